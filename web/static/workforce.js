// The workforce page: forecast calls (bars) and agents needed (lines) per 15-minute interval, with
// Chart.js from the JSON block the server writes (no inline script: the console's CSP forbids it).
(function () {
  "use strict";
  const canvas = document.getElementById("workforce-chart");
  const source = document.getElementById("workforce-data");
  if (!window.Chart || !canvas || !source) return;
  const d = JSON.parse(source.textContent);
  window.hotlineWorkforceChart = new window.Chart(canvas, {
    data: {
      labels: d.labels,
      datasets: [
        {type: "bar", label: "Forecast calls", data: d.offered, backgroundColor: "#9aa5b1", yAxisID: "calls"},
        {type: "line", label: "Agents on the phones (" + (d.model || "Erlang C") + ")", data: d.agents, borderColor: "#2b6cb0",
         pointRadius: 0, stepped: true, yAxisID: "agents"},
        {type: "line", label: "Agents scheduled (with shrinkage)", data: d.scheduled, borderColor: "#dd6b20",
         pointRadius: 0, stepped: true, yAxisID: "agents"},
      ].concat(d.coverage && d.coverage.length ? [
        {type: "line", label: "Agents on shifts", data: d.coverage, borderColor: "#2f855a", borderDash: [4, 3],
         pointRadius: 0, stepped: true, yAxisID: "agents"}] : []),
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {legend: {position: "top"}},
      scales: {
        x: {title: {display: true, text: "Interval"}, ticks: {maxTicksLimit: 16}},
        calls: {position: "left", beginAtZero: true, title: {display: true, text: "Calls per 15 min"}},
        agents: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}, title: {display: true, text: "Agents"}},
      },
    },
  });
})();
