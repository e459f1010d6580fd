// Pulso: keyboard shortcuts for agents on the queue and the ticket page, listed by "?".
// No inline scripts (CSP: script-src 'self'); every element is found when its key is pressed,
// so the ticket panel that htmx swaps after each action keeps working.
(function () {
  "use strict";

  var QUEUE_KEY = "pulso:queue"; // the last queue page seen: its tickets' links, in order

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(
      target.closest(
        "input:not([type=checkbox]):not([type=radio]), textarea, select, " +
          "[contenteditable=''], [contenteditable='true']"
      )
    );
  }

  function helpDialog() {
    return document.getElementById("shortcut-help");
  }

  function toggleHelp() {
    var dialog = helpDialog();
    if (!dialog) return false;
    if (dialog.open) dialog.close();
    else dialog.showModal();
    return true;
  }

  // --- the queue -------------------------------------------------------------------------

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-table tr[data-ticket]"));
  }

  function rowLink(row) {
    return row.querySelector("a[href]");
  }

  function rememberQueue() {
    var rows = queueRows();
    if (!rows.length) return;
    var links = rows.map(function (row) {
      return rowLink(row).getAttribute("href");
    });
    try {
      sessionStorage.setItem(QUEUE_KEY, JSON.stringify({ url: location.href, tickets: links }));
    } catch (error) {
      // Storage refused (private mode, quota): next/previous from a ticket is simply off.
    }
  }

  function selectedRow(rows) {
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].classList.contains("shortcut-selected")) return i;
    }
    return -1;
  }

  function moveInQueue(step) {
    var rows = queueRows();
    if (!rows.length) return false;
    var current = selectedRow(rows);
    var next = current === -1 ? (step > 0 ? 0 : rows.length - 1) : current + step;
    next = Math.max(0, Math.min(rows.length - 1, next));
    rows.forEach(function (row, i) {
      row.classList.toggle("shortcut-selected", i === next);
      row.classList.toggle("table-active", i === next);
      if (i === next) row.setAttribute("aria-selected", "true");
      else row.removeAttribute("aria-selected");
    });
    rows[next].scrollIntoView({ block: "nearest" });
    rowLink(rows[next]).focus({ preventScroll: true });
    return true;
  }

  function openSelected() {
    var rows = queueRows();
    var current = selectedRow(rows);
    if (current === -1) return false;
    location.href = rowLink(rows[current]).getAttribute("href");
    return true;
  }

  function tickSelected() {
    var rows = queueRows();
    var current = selectedRow(rows);
    if (current === -1) return false;
    var box = rows[current].querySelector("input[data-bulk-row]");
    if (!box) return false;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true })); // the bulk bar's count
    return true;
  }

  // --- the ticket page -------------------------------------------------------------------

  function storedQueue() {
    try {
      return JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  function moveInTickets(step) {
    var queue = storedQueue();
    if (!queue || !queue.tickets) return false;
    var here = location.pathname;
    var index = queue.tickets.indexOf(here);
    if (index === -1) return false;
    var target = queue.tickets[index + step];
    if (!target) return false;
    location.href = target;
    return true;
  }

  function backToQueue() {
    var queue = storedQueue();
    var link = document.querySelector("[data-shortcut-queue]");
    var url = (queue && queue.url) || (link && link.getAttribute("href"));
    if (!url) return false;
    location.href = url;
    return true;
  }

  function write(kind) {
    var form = document.querySelector('form[data-action="reply"]');
    if (!form) return false;
    var choice = form.querySelector('input[name="kind"][value="' + kind + '"]');
    if (choice) {
      if (choice.disabled) return false;
      choice.checked = true;
    } else if (form.querySelector('input[name="kind"]')) {
      return false; // the lifecycle does not offer this kind of message now
    }
    var body = form.querySelector('textarea[name="body"]');
    if (!body) return false;
    body.focus();
    return true;
  }

  function submitAction(slug) {
    var form = document.querySelector('form[data-action="' + slug + '"]');
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
    return true;
  }

  function focusSearch() {
    var field = document.querySelector("[data-shortcut-search], .queue-filters input[name='q']");
    if (!field) return false;
    field.focus();
    if (field.select) field.select();
    return true;
  }

  var onTicketPage = function () {
    return Boolean(document.getElementById("ticket-panel"));
  };

  var KEYS = {
    "?": toggleHelp,
    "/": focusSearch,
    j: function () {
      return onTicketPage() ? moveInTickets(1) : moveInQueue(1);
    },
    k: function () {
      return onTicketPage() ? moveInTickets(-1) : moveInQueue(-1);
    },
    o: openSelected,
    x: function () {
      return !onTicketPage() && tickSelected();
    },
    Enter: function () {
      return !onTicketPage() && openSelected();
    },
    r: function () {
      return write("public");
    },
    n: function () {
      return write("note");
    },
    a: function () {
      return submitAction("assign-me");
    },
    u: backToQueue,
    m: function () {
      var picker = document.querySelector("[data-shortcut-macro]");
      if (!picker) return false;
      picker.focus();
      return true;
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    var dialog = helpDialog();
    if (dialog && dialog.open && event.key !== "?") return; // Escape closes it natively
    var handler = Object.prototype.hasOwnProperty.call(KEYS, event.key) && KEYS[event.key];
    if (handler && handler()) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-shortcut-help]");
    if (opener) {
      event.preventDefault();
      toggleHelp();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", rememberQueue);
  } else {
    rememberQueue();
  }
})();
