// Pulso: the new-ticket form's customer finder (templates/cases/_ticket_customer.html).
// Without JavaScript the finder stays hidden and the plain customer fields do the work. With
// it: the finder is shown; Enter in the search box searches instead of sending the form;
// arrow keys move between the search box and the matches (Tab and Enter work as well); after
// a customer is chosen, or the choice undone, focus goes to the new block.
(function () {
  "use strict";

  function showFinder(root) {
    (root || document).querySelectorAll("[data-customer-finder]").forEach(function (finder) {
      finder.hidden = false;
    });
  }

  function options() {
    return Array.prototype.slice.call(document.querySelectorAll("#customer-matches .customer-option"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    showFinder(document);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || !target.closest || !target.closest("#ticket-customer")) return;
    var search = document.getElementById("customer-search");
    var list = options();
    if (target === search) {
      if (event.key === "Enter") {
        event.preventDefault(); // the search box never sends the ticket form
      } else if (event.key === "ArrowDown" && list.length) {
        event.preventDefault();
        list[0].focus();
      }
      return;
    }
    var index = list.indexOf(target);
    if (index === -1) return;
    if (event.key === "ArrowDown" && index < list.length - 1) {
      event.preventDefault();
      list[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index > 0 ? list[index - 1] : search).focus();
    } else if (event.key === "Escape" && search) {
      event.preventDefault();
      search.focus();
    }
  });

  // htmx:load fires on each element htmx adds: the customer block, swapped whole.
  document.addEventListener("htmx:load", function (event) {
    var block = event.detail && event.detail.elt;
    if (!block || block.id !== "ticket-customer") return;
    showFinder(block);
    var chosen = block.querySelector(".chosen-customer");
    var search = document.getElementById("customer-search");
    if (chosen) chosen.focus();
    else if (search) search.focus();
  });
})();
