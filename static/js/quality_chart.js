// Pulso quality: the dashboard's scatter of IQS against CSAT % per agent. The quality section
// arrives by htmx (templates/quality/reviews/_dashboard_section.html) with its figures as JSON
// in the canvas's data-chart attribute (htmx drops a fragment's <script> elements, JSON ones
// too); no inline script (CSP: script-src 'self'). Chart.js is the dashboard's vendored copy, loaded before.
(function () {
  "use strict";

  function draw(root) {
    var canvas = root.querySelector("canvas[data-quality-scatter]");
    if (!canvas || !canvas.dataset.chart || canvas.dataset.qualityDrawn || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(canvas.dataset.chart);
    canvas.dataset.qualityDrawn = "1"; // its own mark: the dashboard counts the charts it draws (data-drawn)
    new Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          {
            label: data.y + " / " + data.x,
            data: data.points,
            backgroundColor: "#0d6efd",
            pointRadius: 5,
          },
        ],
      },
      options: {
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var point = item.raw;
                return point.label + ": " + data.y + " " + point.y + " · " + data.x + " " + point.x;
              },
            },
          },
        },
        scales: {
          x: { min: 0, max: 100, title: { display: true, text: data.x } },
          y: { min: 0, max: 100, title: { display: true, text: data.y } },
        },
      },
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target.closest ? event.target.closest("body") || document : document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
})();
