// Draws the dashboard's charts with ECharts from the data the page carries in #dash-data
// (no inline scripts: CSP). A click on a bar, point or slice opens the list behind it.
// Where the page names ECharts in data-echarts instead of loading it, it is fetched here: at once
// on a wide screen, and on a phone only when the user asks for the charts (the tiles and the
// table carry the same figures), which keeps a phone's dashboard light.
(function () {
  "use strict";
  function load() {
    var holder = document.getElementById("dash-charts");
    if (!holder) { return; }
    var src = holder.getAttribute("data-echarts");
    if (typeof echarts !== "undefined" || !src) { draw(); return; }
    var fetchCharts = function () {
      var s = document.createElement("script");
      s.src = src;
      s.onload = draw;
      document.head.appendChild(s);
    };
    if (window.matchMedia("(min-width: 768px)").matches) { fetchCharts(); return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-plain";
    button.id = "show-charts";
    button.textContent = holder.getAttribute("data-show-label") || "Charts";
    button.addEventListener("click", function () { button.remove(); fetchCharts(); });
    holder.appendChild(button);
  }
  function draw() {
    var holder = document.getElementById("dash-charts");
    var data = document.getElementById("dash-data");
    if (!holder || !data || typeof echarts === "undefined") { return; }
    var charts = JSON.parse(data.textContent || "[]");
    var theme = holder.getAttribute("data-theme") || null;
    var drawn = [];
    charts.forEach(function (c) {
      var box = document.createElement("div");
      box.className = "chart";
      box.id = c.id;
      box.setAttribute("data-links", JSON.stringify(c.links || []));
      holder.appendChild(box);
      var chart = echarts.init(box, theme, { renderer: "canvas" });
      var option;
      if (c.kind === "pie") {
        option = {
          title: { text: c.title, left: "center", textStyle: { fontSize: 14 } },
          tooltip: { trigger: "item" },
          legend: { bottom: 0 },
          series: [{
            type: "pie", radius: ["35%", "65%"], name: c.series[0].name,
            data: c.categories.map(function (name, i) { return { name: name, value: c.series[0].values[i] }; })
          }]
        };
      } else {
        option = {
          title: { text: c.title, textStyle: { fontSize: 14 } },
          tooltip: { trigger: "axis" },
          legend: { top: 0, right: 0 },
          grid: { left: 40, right: 16, top: 40, bottom: 60 },
          xAxis: { type: "category", data: c.categories, axisLabel: { rotate: c.categories.length > 8 ? 45 : 0 } },
          yAxis: { type: "value" },
          series: c.series.map(function (s) { return { type: c.kind, name: s.name, data: s.values, smooth: false }; })
        };
      }
      option.animation = false;
      option.backgroundColor = "transparent";
      chart.setOption(option);
      chart.on("click", function (p) {
        var link = (c.links || [])[p.dataIndex];
        if (link) { window.location.href = link; }
      });
      drawn.push(chart);
    });
    holder.setAttribute("data-drawn", String(drawn.length));
    window.addEventListener("resize", function () { drawn.forEach(function (ch) { ch.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", load); } else { load(); }
})();
