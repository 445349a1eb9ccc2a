// /funding: the sums as horizontal bar charts with Chart.js (served from node_modules). The
// page hands over the bars as JSON in #funding-data: by place, by commitment and one by one,
// each sum counted once. Selecting a bar opens its page; the tables below hold the same
// figures for reading without script.
(function () {
  "use strict";
  var element = document.getElementById("funding-data");
  if (!element || typeof window.Chart !== "function") {
    return;
  }
  var charts = JSON.parse(element.textContent);
  var colours = { place: "#1f5fbf", commitment: "#2f7d4f", sum: "#7a4bb0" };

  function euros(value) {
    if (value >= 1e9) return "EUR " + (value / 1e9).toLocaleString("en", { maximumFractionDigits: 2 }) + " billion";
    if (value >= 1e6) return "EUR " + (value / 1e6).toLocaleString("en", { maximumFractionDigits: 2 }) + " million";
    return "EUR " + value.toLocaleString("en");
  }

  function short(text) {
    return text.length > 42 ? text.slice(0, 40) + "…" : text;
  }

  window.emkCharts = {};
  Object.keys(charts).forEach(function (key) {
    var canvas = document.getElementById("chart-" + key);
    var bars = charts[key];
    if (!canvas || !bars.length) {
      return;
    }
    window.emkCharts[key] = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: bars.map(function (bar) { return short(bar.label); }),
        datasets: [{
          label: "EUR",
          data: bars.map(function (bar) { return bar.total; }),
          backgroundColor: colours[key] || "#1f5fbf",
        }],
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (context) { return bars[context[0].dataIndex].label; },
              label: function (context) {
                var bar = bars[context.dataIndex];
                return euros(bar.total) + (bar.instruments > 1 ? " in " + bar.instruments + " sums" : "");
              },
            },
          },
        },
        scales: { x: { ticks: { callback: function (value) { return euros(value); } } } },
        onClick: function (event, elements) {
          if (elements.length) {
            window.location.href = bars[elements[0].index].href;
          }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
  });
})();
