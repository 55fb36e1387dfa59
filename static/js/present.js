// Presentation mode: one slide at a time, left/right arrow keys move between them.
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll("[data-slide]"));
  if (!slides.length) { return; }
  var current = 0;
  var hash = window.location.hash.match(/^#slide-(\d+)$/);
  if (hash) { current = Math.min(slides.length - 1, Math.max(0, parseInt(hash[1], 10) - 1)); }
  document.body.classList.add("app-present-js");

  function show(index, focus) {
    current = Math.min(slides.length - 1, Math.max(0, index));
    slides.forEach(function (slide, i) { slide.hidden = i !== current; });
    if (window.Plotly) {
      slides[current].querySelectorAll(".js-plotly-plot").forEach(function (el) {
        window.Plotly.Plots.resize(el);
      });
    }
    if (focus) { slides[current].focus(); }
    history.replaceState(null, "", "#slide-" + (current + 1));
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "ArrowRight" || event.key === "PageDown") { show(current + 1, true); event.preventDefault(); }
    if (event.key === "ArrowLeft" || event.key === "PageUp") { show(current - 1, true); event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-slide-next], [data-slide-prev]");
    if (!link) { return; }
    event.preventDefault();
    show(current + (link.hasAttribute("data-slide-next") ? 1 : -1), true);
  });
  show(current, false);
})();
