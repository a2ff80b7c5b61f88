/* The dashboard's charts: data from the json_script element #dashboard-data; a click opens the list behind it. */
(function () {
  "use strict";

  function mount(id, option, urls) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) return;
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", function (params) {
      var url = urls[params.dataIndex];
      if (url) window.location.assign(url);
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var palette = { red: "#b42318", yellow: "#d4a017", warning: "#ea580c", paused: "#1e40af", on_track: "#1a7f37" };
    var base = { animation: false, tooltip: { show: false }, grid: { left: 48, right: 16, top: 24, bottom: 48 } };
    mount("chart-trend", Object.assign({}, base, {
      grid: { left: 48, right: 16, top: 24, bottom: 80 },
      xAxis: { type: "category", data: data.trend.days, axisLabel: { rotate: 45 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", name: data.trend.title, data: data.trend.counts, label: { show: false } }]
    }), data.trend.urls);
    mount("chart-points", Object.assign({}, base, {
      xAxis: { type: "category", data: data.points.names },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: data.points.title, data: data.points.counts, label: { show: true, position: "top" } }]
    }), data.points.urls);
    mount("chart-colours", Object.assign({}, base, {
      xAxis: { type: "category", data: data.colours.names },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        type: "bar",
        name: data.colours.title,
        data: data.colours.counts.map(function (count, i) {
          return { value: count, itemStyle: { color: palette[data.colours.keys[i]] } };
        }),
        label: { show: true, position: "top" }
      }]
    }), data.colours.urls);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
