// Pulso: the reply box's article finder (templates/knowledge/_agent_finder.html, served by
// knowledge and loaded by the ticket page). "Insert link" / "Insert text" asks the server,
// which records the use (docs/knowledge.md, "For agents") and answers the text; the text goes
// into the reply box at the cursor. Nothing hidden is put in the reply.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function insertAtCursor(box, text) {
    var start = box.selectionStart !== undefined ? box.selectionStart : box.value.length;
    var end = box.selectionEnd !== undefined ? box.selectionEnd : box.value.length;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var trail = after && !/^\n/.test(after) ? "\n\n" : "";
    box.value = before + lead + text + trail + after;
    var caret = (before + lead + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function say(finder, message, failed) {
    var status = finder.querySelector(".article-finder-status");
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("text-danger", !!failed);
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-article-insert]");
    if (!button) return;
    var finder = button.closest("[data-article-finder]");
    var box = document.getElementById("id_reply_body");
    if (!finder || !box) return;
    event.preventDefault();
    var body = new FormData();
    body.append("article", button.getAttribute("data-article"));
    body.append("kind", button.getAttribute("data-kind"));
    button.disabled = true;
    fetch(finder.getAttribute("data-insert-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok || !result.data.text) {
          say(finder, result.data.error || finder.getAttribute("data-failed") || "", true);
          return;
        }
        insertAtCursor(box, result.data.text);
        say(finder, finder.getAttribute("data-inserted") || "", false);
      })
      .catch(function () {
        say(finder, finder.getAttribute("data-failed") || "", true);
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
