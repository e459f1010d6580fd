// Pulso: small progressive enhancements. No inline scripts (CSP: script-src 'self').
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// The ticket page's heartbeat says "writing" while the reply box holds a draft.
function pulsoPresenceActivity() {
  var state = document.getElementById("presence-activity");
  if (!state) return;
  var body = document.querySelector('form[data-action="reply"] textarea[name="body"]');
  state.value = body && body.value.trim() ? "writing" : "viewing";
}
document.addEventListener("input", pulsoPresenceActivity);
document.addEventListener("htmx:afterSwap", pulsoPresenceActivity);
