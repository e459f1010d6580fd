// Pulso: the queue's bulk actions. Ticks rows (one by one or the whole page), keeps the
// count, and shows only the fields the chosen action reads (forms_bulk.ACTION_FIELDS).
// Without JavaScript every field shows and the form still works.
(function () {
  "use strict";

  function init() {
    var form = document.querySelector("form.bulk-form");
    if (!form) return;
    var rows = Array.prototype.slice.call(form.querySelectorAll("input[data-bulk-row], .bulk-selection input[name=ticket]"));
    var all = form.querySelector("input[data-bulk-all]");
    var count = form.querySelector("[data-bulk-count]");
    var submit = form.querySelector(".bulk-submit");
    var action = form.querySelector("select[name=action]");
    var fieldsData = document.getElementById("bulk-action-fields");
    var fieldsByAction = fieldsData ? JSON.parse(fieldsData.textContent) : {};
    var countTemplate = count ? count.textContent.replace(/\d+/, "{n}") : "";

    function selected() {
      return rows.filter(function (row) { return row.checked; }).length;
    }

    function refresh() {
      var n = selected();
      if (count) count.textContent = countTemplate.replace("{n}", String(n));
      if (submit) submit.disabled = n === 0;
      if (all) {
        all.checked = rows.length > 0 && n === rows.length;
        all.indeterminate = n > 0 && n < rows.length;
      }
      var shown = fieldsByAction[action ? action.value : ""] || [];
      Array.prototype.forEach.call(form.querySelectorAll("[data-bulk-field]"), function (box) {
        box.hidden = shown.indexOf(box.getAttribute("data-bulk-field")) === -1;
      });
    }

    rows.forEach(function (row) { row.addEventListener("change", refresh); });
    if (all) {
      all.addEventListener("change", function () {
        rows.forEach(function (row) { row.checked = all.checked; });
        refresh();
      });
    }
    if (action) action.addEventListener("change", refresh);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
