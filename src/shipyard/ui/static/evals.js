/* Evaluation pages: draw the plotly figures the server built, and the pick form of the list.
 *
 * A figure is a <div data-figure-src="ID"> next to a
 * <script type="application/json" id="ID">{"data": [...], "layout": {...}}</script>;
 * the shared look (fonts, grid, margins) is merged under the figure's own layout here.
 * The list's form enables Compare for exactly two ticked evaluations and Report for 2–10;
 * without JavaScript it still submits and the server checks the count.
 */
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var TEXT = "#5b6474";
  var AXIS = {
    gridcolor: "#eef0f4",
    linecolor: "#d7dbe3",
    zeroline: false,
    tickfont: { size: 11, color: TEXT },
    title: { font: { size: 11, color: TEXT }, standoff: 8 },
    automargin: true,
  };

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function merge(base, over) {
    var out = {};
    var key;
    for (key in base) out[key] = base[key];
    for (key in over) {
      out[key] = isObject(base[key]) && isObject(over[key]) ? merge(base[key], over[key]) : over[key];
    }
    return out;
  }

  function baseLayout(figure) {
    var many = (figure.data || []).length > 1;
    return {
      margin: { l: 56, r: 16, t: many ? 36 : 12, b: 44 },
      height: 300,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: 12, color: TEXT },
      xaxis: AXIS,
      yaxis: AXIS,
      showlegend: false,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
      hoverlabel: { font: { family: FONT, size: 12 } },
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure-src"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    var layout = merge(baseLayout(figure), figure.layout || {});
    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    };
    window.Plotly.newPlot(el, figure.data, layout, config).then(function () {
      el.setAttribute("data-drawn", "true");
    });
  }

  function drawAll() {
    if (!window.Plotly) return;
    var figures = document.querySelectorAll("[data-figure-src]");
    for (var i = 0; i < figures.length; i++) draw(figures[i]);
  }

  function setupPicker(form) {
    var boxes = form.querySelectorAll('input[name="runs"]');
    var all = form.querySelector("[data-select-all]");
    var compare = form.querySelector("[data-compare-button]");
    var report = form.querySelector("[data-report-button]");
    var hint = form.querySelector("[data-pick-hint]");

    function update() {
      var n = 0;
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked) n++;
        boxes[i].closest("tr").classList.toggle("selected", boxes[i].checked);
      }
      compare.disabled = n !== 2;
      report.disabled = n < 2 || n > 10;
      if (hint) {
        hint.textContent =
          n > 10 ? "At most 10 evaluations fit in a report" :
          n ? n + " ticked: two to compare, 2–10 for a report" :
          "Tick two evaluations to compare them, or 2–10 for a report";
        hint.classList.toggle("warn", n > 10);
      }
      if (all) {
        all.checked = n > 0 && n === boxes.length;
        all.indeterminate = n > 0 && n < boxes.length;
      }
    }

    form.addEventListener("change", function (event) {
      if (event.target === all) {
        for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
      }
      update();
    });
    update();
  }

  function start() {
    drawAll();
    var forms = document.querySelectorAll("[data-eval-pick]");
    for (var i = 0; i < forms.length; i++) setupPicker(forms[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
