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
    var empty = holder.getAttribute("data-empty-label") || "—";
    var blank = 0;
    charts.forEach(function (c) {
      var box = document.createElement("div");
      box.className = "chart";
      box.id = c.id;
      box.setAttribute("data-links", JSON.stringify(c.links || []));
      holder.appendChild(box);
      // Nothing to draw: say so in the chart's place, under its title, rather than draw an empty frame.
      var values = [];
      (c.series || []).forEach(function (s) { values = values.concat(s.values || []); });
      if (!c.categories.length || values.every(function (v) { return !v; })) {
        box.className = "chart chart-empty";
        var title = document.createElement("strong");
        title.textContent = c.title;
        var note = document.createElement("p");
        note.className = "muted";
        note.textContent = empty;
        box.appendChild(title);
        box.appendChild(note);
        blank += 1;
        return;
      }
      var chart = echarts.init(box, theme, { renderer: "canvas" });
      var option;
      if (c.kind === "pie") {
        option = {
          title: { text: c.title, left: "center", textStyle: { fontSize: 14 } },
          tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
          legend: { bottom: 0, type: "scroll" },
          series: [{
            type: "pie", radius: ["32%", "58%"], center: ["50%", "50%"], name: c.series[0].name,
            // Labels sit beside their slice with room to be read whole; a slice of 0 shows none.
            label: { formatter: "{b} {c}", overflow: "none" }, labelLine: { length: 8, length2: 6 },
            avoidLabelOverlap: true, minShowLabelAngle: 1,
            data: c.categories.map(function (name, i) { return { name: name, value: c.series[0].values[i] }; })
          }]
        };
      } else {
        option = {
          title: { text: c.title, textStyle: { fontSize: 14 } },
          tooltip: { trigger: "axis" },
          // The legend below the chart, never over the title.
          legend: { bottom: 0, type: "scroll" },
          grid: { left: 8, right: 16, top: 40, bottom: 36, containLabel: true },
          xAxis: { type: "category", data: c.categories,
                   axisLabel: { rotate: c.categories.length > 8 ? 45 : 0, interval: 0, hideOverlap: true } },
          // Counts are whole numbers: no 0.2, 0.4 … on their axis.
          yAxis: { type: "value", minInterval: c.whole ? 1 : 0 },
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
    // Each chart took its box's size when it was drawn; the boxes settle once all are placed.
    drawn.forEach(function (ch) { ch.resize(); });
    // Charts placed (drawn, or saying there is nothing to draw), and of those the empty ones.
    holder.setAttribute("data-empty", String(blank));
    holder.setAttribute("data-drawn", String(drawn.length + blank));
    window.addEventListener("resize", function () { drawn.forEach(function (ch) { ch.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", load); } else { load(); }
})();
