// Pulso dashboard: the period selector and the charts. The figures and their translated
// labels come from the page (<script type="application/json" id="dashboard-data">, written by
// json_script); no inline script or style anywhere (CSP: script-src 'self', style-src 'self').
(function () {
  "use strict";

  var COLOURS = {
    blue: "#0d6efd",
    green: "#198754",
    yellow: "#ffc107",
    red: "#dc3545",
    teal: "#20c997",
    purple: "#6f42c1",
    grey: "#6c757d",
    orange: "#fd7e14",
  };

  // --- the period: a preset applies at once, "Custom" opens the two dates ---

  function setupPeriod() {
    var form = document.getElementById("dashboard-filters");
    var select = form && form.querySelector("[data-dashboard-period]");
    if (!select) return;
    var dates = form.querySelectorAll("[data-custom-date]");

    function sync() {
      var custom = select.value === "custom";
      dates.forEach(function (input) {
        input.disabled = !custom; // a preset's dates are not sent: the URL stays the preset
        var box = input.closest(".custom-dates");
        if (box) box.classList.toggle("d-none", !custom);
      });
    }

    select.addEventListener("change", function () {
      sync();
      if (select.value === "custom") {
        if (dates.length) dates[0].focus();
      } else if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
    sync();
  }

  // --- charts ---

  function dataset(label, values, colour, extra) {
    var result = {
      label: label,
      data: values,
      borderColor: colour,
      backgroundColor: colour,
      pointRadius: 3,
      tension: 0.2,
    };
    return Object.assign(result, extra || {});
  }

  function lineChart(labels, datasets, y) {
    return {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: { scales: { y: y || { beginAtZero: true } } },
    };
  }

  function barChart(labels, label, values, colour, horizontal) {
    return {
      type: "bar",
      data: { labels: labels, datasets: [dataset(label, values, colour)] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: horizontal
          ? { x: { beginAtZero: true, ticks: { precision: 0 } } }
          : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    };
  }

  // Churn and experience: a bar per group (coloured by split, grey when the sample is small)
  // and its 95 % interval as a thin dark bar over it; the tooltips come written from the page.
  var SPLIT_COLOURS = {
    nps: COLOURS.purple,
    csat: COLOURS.blue,
    escalated: COLOURS.orange,
    sla_breached: COLOURS.red,
  };

  function churnChart(churn) {
    var colours = churn.splits.map(function (split, index) {
      return churn.muted[index] ? "rgba(108, 117, 125, 0.35)" : SPLIT_COLOURS[split];
    });
    return {
      type: "bar",
      data: {
        labels: churn.labels,
        datasets: [
          {
            label: churn.names.interval,
            data: churn.intervals,
            backgroundColor: "rgba(33, 37, 41, 0.75)",
            barPercentage: 0.2,
            grouped: false,
            order: 0,
          },
          {
            label: churn.names.rate,
            data: churn.rates,
            backgroundColor: colours,
            borderColor: colours,
            grouped: false,
            order: 1,
          },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { min: 0, max: 100, title: { display: true, text: churn.names.rate } } },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) {
              return item.datasetIndex === 1;
            },
            callbacks: {
              label: function (context) {
                return churn.tooltips[context.dataIndex];
              },
            },
          },
        },
      },
    };
  }

  // A point whose sample is below the minimum is drawn hollow, and its tooltip says so.
  function sampled(values, samples, minimum, colour) {
    return {
      pointBackgroundColor: samples.map(function (count) {
        return count < minimum ? "#ffffff" : colour;
      }),
      pointRadius: samples.map(function (count) {
        return count < minimum ? 4 : 3;
      }),
      samples: samples,
    };
  }

  function sampleFooter(names, minimum) {
    return function (items) {
      var lines = [];
      items.forEach(function (item) {
        var samples = item.dataset.samples;
        if (!samples) return;
        var count = samples[item.dataIndex];
        var line = names.sample + ": " + count;
        if (count < minimum) line += " (" + names.few + ")";
        lines.push(line);
      });
      return lines;
    };
  }

  function builders(data) {
    var t = data.trend;
    var n = data.names;
    var min = data.minSample;
    function withFooter(config) {
      config.options.plugins = config.options.plugins || {};
      config.options.plugins.tooltip = config.options.plugins.tooltip || {};
      config.options.plugins.tooltip.callbacks = config.options.plugins.tooltip.callbacks || {};
      config.options.plugins.tooltip.callbacks.footer = sampleFooter(n, min);
      return config;
    }
    return {
      csat: function () {
        return withFooter(
          lineChart(
            t.labels,
            [dataset(n.csat, t.csat, COLOURS.blue, sampled(t.csat, t.csatN, min, COLOURS.blue))],
            { min: 0, max: 100 }
          )
        );
      },
      nps: function () {
        return {
          type: "bar",
          data: {
            labels: t.labels,
            datasets: [
              dataset(
                n.nps,
                t.nps,
                COLOURS.purple,
                Object.assign(
                  { type: "line", yAxisID: "score", order: 0 },
                  sampled(t.nps, t.npsN, min, COLOURS.purple)
                )
              ),
              dataset(n.promoters, t.promoters, COLOURS.green, { stack: "answers", order: 1 }),
              dataset(n.passives, t.passives, COLOURS.yellow, { stack: "answers", order: 1 }),
              dataset(n.detractors, t.detractors, COLOURS.red, { stack: "answers", order: 1 }),
            ],
          },
          options: {
            plugins: { tooltip: { callbacks: { footer: sampleFooter(n, min) } } },
            scales: {
              x: { stacked: true },
              y: {
                stacked: true,
                beginAtZero: true,
                ticks: { precision: 0 },
                title: { display: true, text: n.answers },
              },
              score: {
                position: "right",
                min: -100,
                max: 100,
                grid: { drawOnChartArea: false },
                title: { display: true, text: n.nps },
              },
            },
          },
        };
      },
      ces: function () {
        return withFooter(
          lineChart(
            t.labels,
            [dataset(n.ces, t.ces, COLOURS.teal, sampled(t.ces, t.cesN, min, COLOURS.teal))],
            { min: 1, max: 7 }
          )
        );
      },
      times: function () {
        var config = lineChart(
          t.labels,
          [
            dataset(n.frt, t.frt, COLOURS.orange, sampled(t.frt, t.frtN, min, COLOURS.orange)),
            dataset(n.art, t.art, COLOURS.blue, sampled(t.art, t.artN, min, COLOURS.blue)),
          ],
          { beginAtZero: true, title: { display: true, text: n.hours } }
        );
        config.options.plugins = {
          tooltip: {
            callbacks: {
              // Human durations ("3 h 12 min"), written by the server in the page's language.
              label: function (context) {
                var texts = context.datasetIndex === 0 ? t.frtText : t.artText;
                return context.dataset.label + ": " + texts[context.dataIndex];
              },
              footer: sampleFooter(n, min),
            },
          },
        };
        return config;
      },
      volume: function () {
        return barChart(t.labels, n.volume, t.volume, COLOURS.blue, false);
      },
      channels: function () {
        return barChart(data.channels.labels, n.tickets, data.channels.values, COLOURS.teal, true);
      },
      backlog: function () {
        return barChart(data.backlog.labels, n.tickets, data.backlog.values, COLOURS.orange, false);
      },
      churn: function () {
        return churnChart(data.churn);
      },
    };
  }

  // A click on a point or a bar opens the list of tickets or answers behind it (the page
  // writes each link; a point without one, e.g. the churn chart's, opens nothing).
  // The datasets of a chart in order → the links of each (the NPS chart's line, then its
  // promoters', passives' and detractors' bars; the times chart's FRT, then ART).
  var DATASET_LINKS = {
    nps: ["nps", "promoters", "passives", "detractors"],
    times: ["frt", "art"],
  };

  function linkFor(links, name, datasetIndex, index) {
    var names = DATASET_LINKS[name];
    var series = names ? links[names[datasetIndex]] : links[name];
    return series ? series[index] : null;
  }

  function openListOnClick(config, name, links) {
    config.options = config.options || {};
    config.options.onClick = function (event, elements) {
      if (!elements.length) return;
      var target = linkFor(links, name, elements[0].datasetIndex, elements[0].index);
      if (target) window.location.assign(target);
    };
    config.options.onHover = function (event, elements) {
      var linked =
        elements.length &&
        linkFor(links, name, elements[0].datasetIndex, elements[0].index);
      event.native.target.style.cursor = linked ? "pointer" : "default";
    };
  }

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    var Chart = window.Chart;
    Chart.defaults.locale = document.documentElement.lang || "en";
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation = false;
    var build = builders(data);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-chart");
      var make = build[name];
      if (!make) return;
      var config = make();
      openListOnClick(config, name, data.links || {});
      new Chart(canvas, config);
      canvas.setAttribute("data-drawn", "true");
    });
  }

  function start() {
    setupPeriod();
    drawCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
