// Pulso: the web form's suggested articles (templates/portal/new_case.html, served by
// knowledge: docs/knowledge.md, "Deflection"). htmx asks /help/suggest/ with GET while the
// visitor types; matching reads only the subject and the description's beginning, so only
// those are sent — cut by characters and by their percent-encoded size (an accented letter
// is 6 to 9 bytes in the address), keeping the request a few KB whatever is typed.
(function () {
  "use strict";

  var LIMITS = {
    subject: { chars: 200, encoded: 600 },
    description: { chars: 500, encoded: 1500 },
  };

  // The longest start of `value` within both limits, never splitting a character.
  function cut(value, limit) {
    var kept = "";
    var size = 0;
    var count = 0;
    for (var ch of String(value)) {
      var more = encodeURIComponent(ch).length;
      if (count >= limit.chars || size + more > limit.encoded) break;
      kept += ch;
      size += more;
      count += 1;
    }
    return kept;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var target = event.detail.elt;
    if (!target || target.id !== "help-suggestions") return;
    var data = event.detail.formData;
    var params = event.detail.parameters;
    Object.keys(LIMITS).forEach(function (name) {
      if (data && typeof data.get === "function") {
        var value = data.get(name);
        if (typeof value === "string") data.set(name, cut(value, LIMITS[name]));
      } else if (params && typeof params[name] === "string") {
        params[name] = cut(params[name], LIMITS[name]);
      }
    });
  });
})();
