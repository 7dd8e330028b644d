/* The run chart of one improvement action (/consejo/acciones/<pk>/), with Chart.js (static/vendor/chartjs/).

   Hojas per week of the action's causes, its baseline and target as horizontal lines and a vertical marker on
   the week it was implemented. Progressive enhancement as on the dashboard: the table below holds every figure
   and stays open without JavaScript; once the chart is drawn it folds into "Ver tabla". The canvas is
   aria-hidden: the table is what assistive technology reads. */
(function () {
  "use strict";

  var source = document.getElementById("action-chart-data");
  var box = document.querySelector('[data-chart="run"]');
  if (!source || !box || typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var data = JSON.parse(source.textContent);

  // Okabe-Ito colours, as in council-charts.js; the lines also differ by dash, so colour is never the only cue.
  var BLUE = "#0072B2";
  var VERMILLION = "#D55E00";
  var GREEN = "#009E73";
  var INK = "#1d2733";
  var GRID = "#e1e6ed";
  var locale = document.documentElement.lang || "es-PE";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var narrow = window.matchMedia("(max-width: 575.98px)").matches;
  var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var rate = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); // as the page

  function flat(value) {
    return data.weeks.map(function () { return value; });
  }

  // A vertical dashed line (and its label) at the implementation week: Chart.js has no built-in marker.
  var implementationMarker = {
    id: "implementationMarker",
    afterDatasetsDraw: function (chart) {
      if (data.implemented === null || data.implemented === undefined) {
        return;
      }
      var x = chart.scales.x.getPixelForValue(data.implemented);
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = INK;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = INK;
      ctx.font = "600 12px " + Chart.defaults.font.family;
      var label = data.implemented_label;
      var width = ctx.measureText(label).width;
      ctx.textBaseline = "top";
      ctx.textAlign = x + width + 6 > area.right ? "right" : "left";
      ctx.fillText(label, ctx.textAlign === "right" ? x - 4 : x + 4, area.top + 2);
      ctx.restore();
    },
  };

  var datasets = [
    {
      label: "Hojas por semana",
      data: data.counts,
      borderColor: BLUE,
      backgroundColor: BLUE,
      pointRadius: narrow ? 2 : 3,
      borderWidth: 2,
      tension: 0,
    },
  ];
  if (data.baseline !== null) {
    datasets.push({
      label: "Línea base (" + rate.format(data.baseline) + ")",
      data: flat(data.baseline),
      borderColor: VERMILLION,
      backgroundColor: VERMILLION,
      borderDash: [8, 4],
      borderWidth: 2,
      pointRadius: 0,
      pointHitRadius: 0,
    });
  }
  if (data.target !== null) {
    datasets.push({
      label: "Meta (" + rate.format(data.target) + ")",
      data: flat(data.target),
      borderColor: GREEN,
      backgroundColor: GREEN,
      borderDash: [2, 3],
      borderWidth: 2,
      pointRadius: 0,
      pointHitRadius: 0,
    });
  }

  Chart.defaults.locale = locale;
  Chart.defaults.color = INK;
  Chart.defaults.borderColor = GRID;
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;

  box.hidden = false;
  new Chart(box.querySelector("canvas"), {
    type: "line",
    data: { labels: data.weeks, datasets: datasets },
    plugins: [implementationMarker],
    options: {
      maintainAspectRatio: false,
      animation: reduceMotion ? false : undefined,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: {
          beginAtZero: true,
          ticks: { precision: 0 },
          title: { display: true, text: "Hojas por semana" },
        },
        x: {
          ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: narrow ? 6 : 14 },
          title: { display: !narrow, text: "Semana del (lunes)" },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 8 } },
        tooltip: {
          callbacks: {
            title: function (items) { return "Semana del " + items[0].label; },
            label: function (item) {
              return item.datasetIndex === 0
                ? item.dataset.label + ": " + number.format(item.parsed.y)
                : item.dataset.label.replace(/ \(.*\)$/, "") + ": " + number.format(item.parsed.y);
            },
          },
        },
      },
    },
  });
  var table = box.closest("section").querySelector("details.chart-table");
  if (table) {
    table.open = false;
  }
})();
