/* Draw every chart on the page from its embedded JSON with plotly.js.
 *
 * Each chart is a <div data-chart-src="ID"> next to a
 * <script type="application/json" id="ID">{"key": ..., "traces": [{name, x, y, color}]}</script>.
 * Optional: "x_title" names the x axis (default "step"; time series pass one and
 * date strings as x); a trace's "dash" draws its line dashed or dotted, and
 * "markers" marks every point (a sparse series whose points gaps isolate).
 */
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var GRID = "#eef0f4";
  var AXIS = "#d7dbe3";
  var TEXT = "#5b6474";

  function axis(title) {
    return {
      title: { text: title, font: { size: 11, color: TEXT }, standoff: 8 },
      gridcolor: GRID,
      linecolor: AXIS,
      zeroline: false,
      tickfont: { size: 11, color: TEXT },
      automargin: true,
    };
  }

  function toTrace(t, xTitle) {
    var few = t.x.length <= 30;
    var hoverX = xTitle === "step" ? "step %{x}" : "%{x}";
    return {
      type: "scatter",
      mode: few || t.markers ? "lines+markers" : "lines",
      name: t.name,
      x: t.x,
      y: t.y,
      connectgaps: false,
      line: { color: t.color, width: 2, dash: t.dash || "solid" },
      marker: { color: t.color, size: 5 },
      hovertemplate: hoverX + "<br>%{y:.6g}<extra>%{fullData.name}</extra>",
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart-src"));
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var xTitle = chart.x_title || "step";
    var traces = chart.traces.map(function (t) { return toTrace(t, xTitle); });
    var layout = {
      margin: { l: 56, r: 16, t: traces.length > 1 ? 36 : 12, b: 40 },
      height: 280,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, size: 12, color: TEXT },
      xaxis: axis(xTitle),
      yaxis: axis(chart.key),
      showlegend: traces.length > 1,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
      hovermode: "x unified",
      hoverlabel: { font: { family: FONT, size: 12 } },
    };
    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    };
    window.Plotly.newPlot(el, traces, layout, config);
  }

  function drawAll() {
    if (!window.Plotly) return;
    var charts = document.querySelectorAll("[data-chart-src]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
