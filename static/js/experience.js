// Pulso customer page (360): the survey answers' chart of the experience panel. The panel
// arrives by htmx (hx-get) or with the page; its figures come as JSON in the canvas's
// data-experience-chart attribute (htmx drops the <script> tags it swaps in; no inline
// script anywhere: CSP).
(function () {
  "use strict";

  var COLOURS = { csat: "#0d6efd", ces: "#20c997", nps: "#6f42c1" };

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") return;
    var chart = JSON.parse(canvas.dataset.experienceChart);
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series) {
          return {
            label: series.label,
            data: series.values,
            borderColor: COLOURS[series.key],
            backgroundColor: COLOURS[series.key],
            pointRadius: 3,
            spanGaps: true,
            tension: 0.2,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          y: { min: 0, max: 10, ticks: { precision: 0 }, title: { display: true, text: chart.y_title } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) {
                var i = items[0].dataIndex;
                return chart.labels[i] + " · " + chart.references[i];
              },
            },
          },
        },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-experience-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
