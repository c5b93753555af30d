// Sales report charts (Apache ECharts). CSP-safe: no inline script; the data comes from the
// <script type="application/json"> element the page renders with json_script.
(function () {
  "use strict";
  var COLOURS = { won: "#198754", lost: "#dc3545", quota: "#adb5bd", weighted: "#0d6efd", leads: "#0d6efd",
                  converted: "#198754" };

  function num(value) { return Number(value); }  // display only: the table holds the exact figures

  function funnel(spec) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "<br>" + p.data.raw + " (" + p.data.count + ")"; } },
      series: [{
        type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%", gap: 2,
        label: { show: true, position: "inside" },
        data: spec.series.map(function (s) { return { name: s.name, value: num(s.value), raw: s.value, count: s.count }; })
      }]
    };
  }

  function bar(spec) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: spec.categories },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data.map(num), itemStyle: { color: COLOURS[s.kind] } };
      })
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart-for"));
    if (!source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(spec.type === "funnel" ? funnel(spec) : bar(spec));
    el.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart-for]").forEach(draw);
  });
})();
