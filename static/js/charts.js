// Draws every chart on the page from its JSON block (no inline script: strict CSP).
// The figures (imroc/charts.py) suggest a height for their rows; here they are fitted to
// where they are shown: presentation mode fills the slide in larger type, a phone gets
// smaller type, and a grid too wide for the screen scrolls sideways inside its frame.
(function () {
  "use strict";
  var NARROW = 520;

  function scaleFonts(node, factor) {
    if (!node || typeof node !== "object") { return; }
    Object.keys(node).forEach(function (key) {
      var value = node[key];
      if (/font$/i.test(key) && value && typeof value.size === "number") {
        value.size = Math.round(value.size * factor);
      }
      if (value && typeof value === "object") { scaleFonts(value, factor); }
    });
  }

  function fit(el, frame, figure) {
    var layout = figure.layout;
    var trace = figure.data[0] || {};
    if (el.closest("[data-present]")) {
      // The slide gives the chart its height (static/css/app.css).
      delete layout.height;
      layout.autosize = true;
      scaleFonts(figure, 1.35);
      if (layout.polar) {
        layout.margin.l = layout.margin.r = 200;
      }
      return;
    }
    var width = frame.clientWidth;
    if (width >= NARROW) { return; }
    scaleFonts(figure, 0.85);
    if (layout.polar) {
      // As tall as the circle needs, not more.
      layout.margin.l = layout.margin.r = 86;
      layout.margin.t = 54 + 22 * figure.data.length;  // the legend takes a line a series
      layout.height = Math.round(width - 2 * 86 + layout.margin.t + layout.margin.b);
    }
    if (trace.type === "bar" && trace.orientation !== "h" && layout.xaxis.ticktext) {
      // Short names under upright bars: one word a line, so neighbours do not touch.
      layout.xaxis.ticktext = layout.xaxis.ticktext.map(function (text) {
        return text.split("<br>").join(" ").split(" ").join("<br>");
      });
    }
    if (trace.type === "heatmap" && trace.x && trace.x.length > 4) {
      // Ten columns cannot be read in 330 pixels: keep them readable and let them scroll.
      el.style.minWidth = (150 + 66 * trace.x.length) + "px";
    }
  }

  function scrollable(frame, el) {
    // A frame that scrolls sideways can be reached and scrolled with the keyboard.
    if (frame.scrollWidth > frame.clientWidth + 1) {
      frame.setAttribute("tabindex", "0");
      frame.setAttribute("role", "region");
      frame.setAttribute("aria-label", (el.getAttribute("aria-label") || "Chart") +
        " Scroll sideways to see all of it.");
      frame.classList.add("app-chart-frame--scrolls");
    }
  }

  function crowded(el, axis) {
    var boxes = Array.prototype.map.call(el.querySelectorAll("." + axis + "tick text"),
      function (text) { return text.getBoundingClientRect(); });
    boxes.sort(function (a, b) { return axis === "x" ? a.left - b.left : a.top - b.top; });
    for (var i = 1; i < boxes.length; i += 1) {
      if (axis === "x" ? boxes[i].left < boxes[i - 1].right + 4
                       : boxes[i].top < boxes[i - 1].bottom) { return true; }
    }
    return false;
  }

  // Long names in narrow columns (or short rows): step the labels' type size down until
  // they no longer run into each other (not below 10 pixels).
  function fitTicks(el) {
    var done = Promise.resolve();
    ["x", "y"].forEach(function (axis) {
      done = done.then(function step() {
        var ax = el.layout && el.layout[axis + "axis"];
        if (!ax || ax.type !== "category" || !crowded(el, axis)) { return null; }
        var size = (ax.tickfont && ax.tickfont.size) || 14;
        if (size <= 10) { return null; }
        var update = {};
        update[axis + "axis.tickfont.size"] = size - 1;
        return window.Plotly.relayout(el, update).then(step);
      });
    });
    return done;
  }

  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) { return; }
      // Charts on hidden slides are drawn when their slide is shown (static/js/present.js).
      if (!el.getClientRects().length) { return; }
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var frame = el.parentElement;
      var figure = JSON.parse(source.textContent);
      fit(el, frame, figure);
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        displayModeBar: false, responsive: true, staticPlot: false
      }).then(function () { return fitTicks(el); }).then(function () {
        scrollable(frame, el);
        el.setAttribute("data-ready", "true");
      });
      el.setAttribute("data-drawn", "true");
    });
  }

  function resize(root) {
    if (!window.Plotly) { return; }
    (root || document).querySelectorAll(".js-plotly-plot").forEach(function (el) {
      if (el.getClientRects().length && el.getAttribute("data-ready")) {
        window.Plotly.Plots.resize(el).then(function () { return fitTicks(el); });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  window.imrocDrawCharts = draw;
  window.imrocResizeCharts = resize;
})();
