// Report charts with Chart.js (web/static/vendor/chartjs): the data comes from a JSON script block
// the server writes (no inline script: the console's CSP forbids it).
(function () {
  "use strict";
  if (!window.Chart) return;
  const COLOURS = ["#9ae6b4", "#2b6cb0", "#805ad5", "#dd6b20", "#a0aec0"];

  // The agent report: minutes in each state per agent, stacked.
  const agentCanvas = document.getElementById("agent-chart");
  if (agentCanvas) {
    const a = JSON.parse(document.getElementById("agent-chart-data").textContent);
    window.hotlineAgentChart = new window.Chart(agentCanvas, {
      type: "bar",
      data: {labels: a.labels, datasets: a.datasets.map((d, i) => ({...d, backgroundColor: COLOURS[i % COLOURS.length]}))},
      options: {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {position: "top"}},
                scales: {x: {stacked: true, title: {display: true, text: a.text.agent}},
                         y: {stacked: true, beginAtZero: true, title: {display: true, text: a.text.minutes}}}},
    });
  }

  const canvas = document.getElementById("report-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source) return;
  const data = JSON.parse(source.textContent);
  const t = data.text;
  window.hotlineReportChart = new window.Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        {type: "bar", label: t.offered, data: data.offered, backgroundColor: "#9aa5b1", yAxisID: "calls"},
        {type: "bar", label: t.answered, data: data.answered, backgroundColor: "#2b6cb0", yAxisID: "calls"},
        {type: "line", label: t.service_level, data: data.service_level, borderColor: "#c05621",
         backgroundColor: "#c05621", yAxisID: "percent", spanGaps: true, tension: 0.2},
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: {mode: "index", intersect: false},
      plugins: {legend: {position: "top"}},
      scales: {
        x: {title: {display: true, text: t.period}},
        calls: {type: "linear", position: "left", beginAtZero: true, title: {display: true, text: t.calls},
                ticks: {precision: 0}},
        percent: {type: "linear", position: "right", min: 0, max: 100, title: {display: true, text: t.service_level},
                  grid: {drawOnChartArea: false}, ticks: {callback: (v) => v + " %"}},
      },
    },
  });
})();
