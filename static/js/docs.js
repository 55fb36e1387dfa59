// Draws the API documentation from /openapi.json (no inline script, no external calls).
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis]
  });
})();
