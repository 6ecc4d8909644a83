/* Car park report charts: plain SVG bars, no library. Data from #parking-chart-data. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function bars(svg, values, labels, colour) {
    var width = svg.clientWidth || 600, height = svg.clientHeight || 220, pad = 20;
    var max = Math.max.apply(null, values.concat([1]));
    var step = (width - pad) / Math.max(values.length, 1);
    values.forEach(function (v, i) {
      var h = (height - 2 * pad) * v / max;
      var rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", pad + i * step + 2);
      rect.setAttribute("y", height - pad - h);
      rect.setAttribute("width", Math.max(step - 4, 1));
      rect.setAttribute("height", h);
      rect.setAttribute("fill", colour);
      var title = document.createElementNS(NS, "title");
      title.textContent = labels[i] + ": " + v;
      rect.appendChild(title);
      svg.appendChild(rect);
      if (values.length <= 31 && i % Math.ceil(values.length / 12) === 0) {
        var t = document.createElementNS(NS, "text");
        t.setAttribute("x", pad + i * step + 2);
        t.setAttribute("y", height - 4);
        t.setAttribute("font-size", "10");
        t.textContent = labels[i];
        svg.appendChild(t);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var script = document.getElementById("parking-chart-data");
    if (!script) { return; }
    var data = JSON.parse(script.textContent);
    var byDay = {};
    data.revenue.forEach(function (r) { byDay[r.day] = (byDay[r.day] || 0) + parseFloat(r.total); });
    var days = Object.keys(byDay).sort();
    bars(document.getElementById("revenue-chart"), days.map(function (d) { return byDay[d]; }),
      days.map(function (d) { return d.slice(5); }), "#1f7a68");
    var hours = data.occupancy.map(function (h) {
      return Object.values(h.counts).reduce(function (a, b) { return a + b; }, 0);
    });
    bars(document.getElementById("occupancy-chart"), hours,
      data.occupancy.map(function (h) { return h.hour + ":00"; }), "#1f4fa3");
  });
})();
