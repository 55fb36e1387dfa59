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
    // Draw the slide's chart now that it has a size, or fit it to the size it has now.
    if (window.imrocDrawCharts) { window.imrocDrawCharts(); }
    if (window.imrocResizeCharts) { window.imrocResizeCharts(slides[current]); }
    if (focus) { slides[current].focus(); }
    history.replaceState(null, "", "#slide-" + (current + 1));
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    // Arrow keys inside a form control or an open table keep their usual meaning.
    var target = event.target.closest ? event.target : null;
    if (target && target.closest("input, select, textarea, [role=region]")) { return; }
    if (event.key === "ArrowRight" || event.key === "PageDown") { show(current + 1, true); event.preventDefault(); }
    if (event.key === "ArrowLeft" || event.key === "PageUp") { show(current - 1, true); event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-slide-next], [data-slide-prev]");
    if (!link) { return; }
    event.preventDefault();
    show(current + (link.hasAttribute("data-slide-next") ? 1 : -1), true);
  });
  // Opening or closing a slide's table changes the room left for its chart.
  slides.forEach(function (slide) {
    slide.addEventListener("toggle", function () {
      if (window.imrocResizeCharts) { window.imrocResizeCharts(slide); }
    }, true);
  });
  show(current, false);
})();
