// Arrays in the panel: one heatmap per embedded 2-D slice (per head for
// attention weights) with a shared colour scale, and summary statistics of
// the whole array. Signed data: blue (negative) - white - red (positive),
// symmetric about 0; data >= 0: white to dark blue. NaN black, Inf magenta.
(function (GF) {
  "use strict";
  const DIVERGING = [[33, 102, 172], [103, 169, 207], [247, 247, 247], [239, 138, 98], [178, 24, 43]];
  const SEQUENTIAL = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
  const NAN_RGB = [0, 0, 0], INF_RGB = [255, 0, 255];

  function numeric(v) {
    if (typeof v === "number") return v;
    return v === "Inf" ? Infinity : v === "-Inf" ? -Infinity : NaN;
  }

  // {lo, hi, stops}: the colour scale of every finite embedded value.
  function scaleOf(slices) {
    let lo = Infinity, hi = -Infinity;
    slices.forEach(function (rows) {
      rows.forEach(function (row) {
        row.forEach(function (v) {
          if (typeof v === "number") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        });
      });
    });
    if (lo === Infinity) { lo = 0; hi = 0; }
    if (lo < 0) {
      const m = Math.max(-lo, hi) || 1;
      return {lo: -m, hi: m, stops: DIVERGING};
    }
    return {lo: 0, hi: hi || 1, stops: SEQUENTIAL};
  }

  function colour(v, scale) {
    const x = numeric(v);
    if (Number.isNaN(x)) return NAN_RGB;
    if (!Number.isFinite(x)) return INF_RGB;
    const t = Math.min(1, Math.max(0, (x - scale.lo) / (scale.hi - scale.lo)));
    const stops = scale.stops, pos = t * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(pos)), f = pos - i;
    return [0, 1, 2].map(function (c) {
      return Math.round(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
    });
  }

  function rgb(c) { return "rgb(" + c[0] + "," + c[1] + "," + c[2] + ")"; }

  function cellSize(rows, cols, nSlices) {
    const maxW = nSlices > 1 ? 170 : 340, maxH = nSlices > 1 ? 150 : 240;
    return Math.max(2, Math.min(32, Math.floor(Math.min(maxW / cols, maxH / rows))));
  }

  function drawSlice(rows, scale, cell) {
    const canvas = GF.el("canvas", {width: rows[0].length * cell, height: rows.length * cell});
    const ctx = canvas.getContext("2d");
    rows.forEach(function (row, i) {
      row.forEach(function (v, j) {
        ctx.fillStyle = rgb(colour(v, scale));
        ctx.fillRect(j * cell, i * cell, cell, cell);
      });
    });
    return canvas;
  }

  // Hovering a cell names its index and value.
  function withReadout(canvas, rows, cell, label, readout) {
    canvas.addEventListener("mousemove", function (ev) {
      const i = Math.floor(ev.offsetY / cell), j = Math.floor(ev.offsetX / cell);
      if (i < 0 || i >= rows.length || j < 0 || j >= rows[0].length) return;
      const index = rows.length === 1 && !label ? "[" + j + "]" : "[" + i + ", " + j + "]";
      readout.textContent = (label ? label + " " : "") + index + " = " + GF.fmt(rows[i][j], 6);
    });
    canvas.addEventListener("mouseleave", function () { readout.textContent = ""; });
  }

  function colourBar(scale) {
    const bar = GF.el("canvas", {width: 160, height: 10});
    const ctx = bar.getContext("2d");
    for (let x = 0; x < 160; x++) {
      ctx.fillStyle = rgb(colour(scale.lo + (x / 159) * (scale.hi - scale.lo), scale));
      ctx.fillRect(x, 0, 1, 10);
    }
    return GF.el("div", {class: "scale"}, GF.fmt(scale.lo), bar, GF.fmt(scale.hi));
  }

  function statsTable(p) {
    const s = p.stats;
    const rows = [["shape", GF.shape(p.shape)], ["dtype", p.dtype]];
    if (s && s.min !== undefined) {
      rows.push(["min", GF.fmt(s.min)], ["max", GF.fmt(s.max)], ["mean", GF.fmt(s.mean)],
                ["norm", GF.fmt(s.norm, 6)]);
    }
    if (s) rows.push(["NaN / Inf", s.nan + " / " + s.inf]);
    return GF.el("table", {class: "stats"}, rows.map(function (r) {
      return GF.el("tr", {"data-stat": r[0]}, GF.el("td", {}, r[0]), GF.el("td", {}, r[1]));
    }));
  }

  function truncationNote(p) {
    const rows = p.slices[0].length, cols = p.slices[0][0].length, n = p.slices.length;
    const what = (n > 1 ? "the first " + n + " slices, " : "") + "the first " + rows + " \u00d7 " +
      cols + (n > 1 ? " of each" : "");
    return GF.el("div", {class: "note"}, "showing " + what + " of shape " + GF.shape(p.shape));
  }

  // The view of one array preview (tools/array_preview.py).
  GF.arrayView = function (p) {
    const box = GF.el("div", {class: "array"});
    if (!p.stats) {                                      // no entries at all
      box.append(GF.el("div", {class: "note"}, "empty"), statsTable(p));
      return box;
    }
    if (p.truncated) box.appendChild(truncationNote(p));
    const scale = scaleOf(p.slices), readout = GF.el("div", {class: "readout"});
    const rows = p.slices[0].length, cols = p.slices[0][0].length;
    const cell = cellSize(rows, cols, p.slices.length);
    const grid = GF.el("div", {class: "slices"});
    p.slices.forEach(function (slice, k) {
      const canvas = drawSlice(slice, scale, cell);
      withReadout(canvas, slice, cell, p.labels[k], readout);
      grid.appendChild(GF.el("div", {class: "slice"}, p.labels[k] || null, canvas));
    });
    box.append(grid, readout, colourBar(scale), statsTable(p));
    return box;
  };
})(window.GF = window.GF || {});
