/* Council dashboard charts (Chart.js, vendored in static/vendor/chartjs/).

   Progressive enhancement: every figure is already in the page's tables. When a chart is drawn, its box is
   shown and its table folds into "Ver tabla"; without JavaScript (or if Chart.js fails) the tables stay open.
   Canvases are aria-hidden: the tables are what assistive technology reads. */
(function () {
  "use strict";

  var source = document.getElementById("council-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var data = JSON.parse(source.textContent);

  // Okabe-Ito: told apart with the common colour-vision deficiencies. Lines also differ by point and dash.
  var BLUE = "#0072B2";
  var ORANGE = "#E69F00";
  var GREEN = "#009E73";
  var VERMILLION = "#D55E00";
  var SERIES = [BLUE, ORANGE, GREEN, "#CC79A7", "#56B4E9"];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot"];
  var DASHES = [[], [6, 3], [2, 2], [10, 3, 2, 3], [14, 4]];
  var INK = "#1d2733";
  var GRID = "#e1e6ed";

  var locale = document.documentElement.lang || "es-PE";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  Chart.defaults.locale = locale;
  Chart.defaults.color = INK;
  Chart.defaults.borderColor = GRID;
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  if (reduceMotion) {
    Chart.defaults.animation = false;
  }

  /* "Producto defectuoso o dañado" -> ["Producto defectuoso", "o dañado"]: axis labels of at most `width`
     characters per line, two lines, an ellipsis beyond. */
  function wrap(text, width) {
    var lines = [""];
    text.split(/\s+/).forEach(function (word) {
      var last = lines.length - 1;
      if (lines[last] && (lines[last] + " " + word).length > width) {
        lines.push(word);
      } else {
        lines[last] = lines[last] ? lines[last] + " " + word : word;
      }
    });
    if (lines.length > 2) {
      lines = [lines[0], lines[1].slice(0, width - 1) + "…"];
    }
    return lines;
  }

  function narrow() {
    return window.matchMedia("(max-width: 575.98px)").matches;
  }

  /* Shows the chart's box, draws it and folds the section's table. Horizontal bar charts grow with their
     rows (data-rows) so labels never overlap. */
  function mount(name, config) {
    var box = document.querySelector('[data-chart="' + name + '"]');
    if (!box) {
      return null;
    }
    box.hidden = false;
    if (box.dataset.rows) {
      box.style.height = Math.max(180, 70 + (narrow() ? 34 : 44) * Number(box.dataset.rows)) + "px";
    }
    var chart = new Chart(box.querySelector("canvas"), config);
    var section = box.closest("section");
    var table = section && section.querySelector("details.chart-table");
    if (table) {
      table.open = false;
    }
    return chart;
  }

  function countTicks(extra) {
    return Object.assign({ precision: 0 }, extra || {});
  }

  // Pareto: hojas per cause (bars, left axis) and cumulative % of all hojas (line, right axis).
  var pareto = data.pareto;
  if (pareto.codes.length) {
    mount("pareto", {
      type: "bar",
      data: {
        labels: pareto.codes,
        datasets: [
          {
            type: "line",
            label: "% acumulado",
            data: pareto.cumulative,
            yAxisID: "share",
            borderColor: ORANGE,
            backgroundColor: ORANGE,
            pointStyle: "rectRot",
            pointRadius: 5,
            borderWidth: 2,
            order: 1,
          },
          {
            label: "Hojas",
            data: pareto.counts,
            yAxisID: "count",
            backgroundColor: BLUE,
            borderRadius: 3,
            order: 2,
          },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        plugins: {
          // The line is drawn over the bars (order), but the legend and tooltip read bars first.
          legend: { reverse: true },
          tooltip: {
            itemSort: function (a, b) { return b.datasetIndex - a.datasetIndex; },
            callbacks: {
              title: function (items) {
                var i = items[0].dataIndex;
                return pareto.codes[i] + " · " + pareto.names[i];
              },
              label: function (item) {
                var suffix = item.dataset.yAxisID === "share" ? " %" : "";
                return item.dataset.label + ": " + number.format(item.parsed.y) + suffix;
              },
            },
          },
        },
        scales: {
          count: { position: "left", beginAtZero: true, ticks: countTicks(), title: { display: true, text: "Hojas" } },
          share: {
            position: "right",
            min: 0,
            max: 100,
            grid: { drawOnChartArea: false },
            ticks: { callback: function (value) { return value + " %"; } },
            title: { display: !narrow(), text: "% acumulado" },
          },
          x: { ticks: { autoSkip: false, maxRotation: 60 } },
        },
      },
    });
  }

  // Weekly trend of the top causes: one line per cause, told apart by colour, point style and dash.
  var trend = data.trend;
  if (trend.series.length) {
    mount("trend", {
      type: "line",
      data: {
        labels: trend.weeks,
        datasets: trend.series.map(function (series, i) {
          return {
            label: narrow() ? series.code : series.code + " · " + series.name,
            data: series.counts,
            borderColor: SERIES[i % SERIES.length],
            backgroundColor: SERIES[i % SERIES.length],
            pointStyle: POINTS[i % POINTS.length],
            pointRadius: 4,
            borderDash: DASHES[i % DASHES.length],
            borderWidth: 2,
            tension: 0, // counts per week: straight segments, never a curve dipping below zero
          };
        }),
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, ticks: countTicks(), title: { display: true, text: "Hojas por semana" } },
          x: { title: { display: !narrow(), text: "Semana del (lunes)" } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return "Semana del " + items[0].label; },
            },
          },
        },
      },
    });
  }

  // Hojas per establishment, and how many of them are still open.
  var places = data.establishments;
  if (places.names.length) {
    mount("establishments", {
      type: "bar",
      data: {
        labels: places.names.map(function (name) { return wrap(name, narrow() ? 16 : 28); }),
        datasets: [
          { label: "Hojas", data: places.counts, backgroundColor: BLUE, borderRadius: 3 },
          { label: "En trámite", data: places.open, backgroundColor: ORANGE, borderRadius: 3 },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: countTicks() } },
      },
    });
  }

  // Satisfaction (CSAT 1-5) and recommendation (NPS -100..100) per cause.
  var surveys = data.surveys;
  if (surveys.codes.length) {
    var causeLabels = surveys.names.map(function (name, i) {
      return narrow() ? surveys.codes[i] : wrap(name, 24);
    });
    var causeTitle = function (items) {
      var i = items[0].dataIndex;
      return surveys.codes[i] === "Sin causa" ? surveys.names[i] : surveys.codes[i] + " · " + surveys.names[i];
    };
    mount("csat", {
      type: "bar",
      data: {
        labels: causeLabels,
        datasets: [{ label: "CSAT promedio (1 a 5)", data: surveys.csat, backgroundColor: GREEN, borderRadius: 3 }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { min: 0, max: 5, ticks: { stepSize: 1 } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: causeTitle } } },
      },
    });
    mount("nps", {
      type: "bar",
      data: {
        labels: causeLabels,
        datasets: [
          {
            label: "NPS",
            data: surveys.nps,
            // Below zero in vermillion, at or above in blue: the sign is also on the axis and in the table.
            backgroundColor: surveys.nps.map(function (v) { return v !== null && v < 0 ? VERMILLION : BLUE; }),
            borderRadius: 3,
            minBarLength: 3, // an NPS of 0 is a result, not a gap
          },
        ],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: {
            min: -100,
            max: 100,
            ticks: { stepSize: 50 },
            grid: { color: function (ctx) { return ctx.tick && ctx.tick.value === 0 ? "#8a94a0" : GRID; } },
          },
        },
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: causeTitle } } },
      },
    });
  }
})();
