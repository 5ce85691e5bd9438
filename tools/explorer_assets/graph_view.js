// The graph: the SVG that Graphviz laid out for the current layout, its
// nodes, edges and clusters found by their <title>s, panning and zooming
// (the viewBox), and the classes that show the backward step.
(function (GF) {
  "use strict";
  const view = GF.view = {svg: null, root: null, nodes: {}, edges: {}, clusters: {},
                          current: null, dragged: false};
  const host = document.getElementById("graph");
  const MIN_PIXELS = 14, READABLE_PIXELS = 32;     // on-screen height of a followed node
  let vb = null, full = null, marked = [];

  view.show = function (layout) {
    host.innerHTML = layout.svg;
    const svg = view.svg = host.querySelector("svg");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    view.root = svg.querySelector("g.graph");
    const box = svg.viewBox.baseVal;
    full = {x: box.x, y: box.y, w: box.width, h: box.height};
    index(svg);
    GF.state.layout = layout;
    view.fit();
  };

  function titleOf(g) {
    const t = g.querySelector("title");
    return t ? t.textContent : "";
  }

  function index(svg) {
    view.nodes = {}; view.edges = {}; view.clusters = {};
    svg.querySelectorAll("g.node").forEach(function (g) {
      g.dataset.id = titleOf(g);
      view.nodes[g.dataset.id] = g;
    });
    svg.querySelectorAll("g.edge").forEach(function (g) {
      const key = titleOf(g);
      (view.edges[key] = view.edges[key] || []).push(g);
    });
    svg.querySelectorAll("g.cluster").forEach(function (g) {
      g.dataset.path = titleOf(g).replace(/^cluster_/, "");
      view.clusters[g.dataset.path] = g;
    });
  }

  // -- panning and zooming ---------------------------------------------------
  function setViewBox() { view.svg.setAttribute("viewBox", [vb.x, vb.y, vb.w, vb.h].join(" ")); }
  view.fit = function () { vb = Object.assign({}, full); setViewBox(); };
  function toUser(clientX, clientY) {
    const pt = view.svg.createSVGPoint();
    pt.x = clientX; pt.y = clientY;
    return pt.matrixTransform(view.svg.getScreenCTM().inverse());
  }
  view.zoom = function (factor, clientX, clientY) {
    const r = host.getBoundingClientRect();
    const c = toUser(clientX === undefined ? r.left + r.width / 2 : clientX,
                     clientY === undefined ? r.top + r.height / 2 : clientY);
    vb = {x: c.x - (c.x - vb.x) * factor, y: c.y - (c.y - vb.y) * factor,
          w: vb.w * factor, h: vb.h * factor};
    setViewBox();
  };
  function panBy(dxPixels, dyPixels) {
    const scale = view.svg.getScreenCTM().a;      // pixels per user unit
    vb.x -= dxPixels / scale; vb.y -= dyPixels / scale;
    setViewBox();
  }
  // Following the step: the current element zoomed in until readable (a
  // big graph fitted to the window is not), and brought into view.
  view.follow = true;
  view.reveal = function (el) {
    if (!el || !view.follow) return;
    let r = el.getBoundingClientRect();
    if (r.height < MIN_PIXELS) {
      view.zoom(r.height / READABLE_PIXELS, r.left + r.width / 2, r.top + r.height / 2);
      r = el.getBoundingClientRect();
    }
    const h = host.getBoundingClientRect();
    if (r.left >= h.left && r.right <= h.right && r.top >= h.top && r.bottom <= h.bottom) return;
    panBy(h.left + h.width / 2 - (r.left + r.width / 2), h.top + h.height / 2 - (r.top + r.height / 2));
  };
  // Zooming or panning by hand stops the following until asked again.
  function byHand() {
    view.follow = false;
    GF.redraw();
  }
  view.manualFit = function () { view.fit(); byHand(); };
  view.manualZoom = function (factor) { view.zoom(factor); byHand(); };

  host.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    view.zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, ev.clientX, ev.clientY);
    if (view.follow) byHand();
  }, {passive: false});
  let drag = null;
  host.addEventListener("mousedown", function (ev) {
    if (ev.button !== 0) return;
    drag = {x: ev.clientX, y: ev.clientY, moved: 0};
    view.dragged = false;
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    drag.moved += Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y);
    if (drag.moved > 4 && !view.dragged) {
      view.dragged = true;
      host.classList.add("dragging");
      if (view.follow) byHand();
    }
    if (view.dragged) panBy(ev.clientX - drag.x, ev.clientY - drag.y);
    drag.x = ev.clientX; drag.y = ev.clientY;
  });
  window.addEventListener("mouseup", function () { drag = null; host.classList.remove("dragging"); });

  // -- the step --------------------------------------------------------------
  function stateOf(steps, k) {
    if (steps.indexOf(k) >= 0) return "current";
    return steps.length && steps[0] < k ? "done" : "pending";
  }
  function setState(el, prefix, state) {
    el.classList.remove(prefix + "-current", prefix + "-done", prefix + "-pending");
    if (state) el.classList.add(prefix + "-" + state);    // null: hidden in a collapsed box
  }
  function mark(el, cls) { if (el) { el.classList.add(cls); marked.push([el, cls]); } }

  // Backward nodes and gradient edges: run / running / not yet at step k;
  // the op of step k (or the collapsed box that holds it) highlighted.
  view.applyStep = function (k) {
    const L = GF.state.layout;
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
    Object.keys(L.node_steps).forEach(function (id) {
      const g = view.nodes[id];
      if (g) setState(g, "bw", g.classList.contains("folded") ? null : stateOf(L.node_steps[id], k));
    });
    Object.keys(L.grad_steps).forEach(function (key) {
      const state = stateOf(L.grad_steps[key], k);
      (view.edges[key] || []).forEach(function (g) { setState(g, "grad", state); });
    });
    const op = GF.opAt(k);
    view.current = op === null ? null : GF.collapse.shownAs(GF.node(op).backward);
    if (view.current && !view.current.classList.contains("node")) mark(view.current, "bw-current");
    const fwd = op === null ? null : GF.collapse.shownAs(op);
    if (fwd && fwd !== view.current) mark(fwd, "fwd-current");
    const sel = GF.state.selected;
    if (sel) mark(sel.kind === "module" ? GF.collapse.moduleElement(sel.path)
                                        : GF.collapse.shownAs(sel.id), "selected");
  };
  GF.onRedraw(function () { view.applyStep(GF.state.step); });

  // -- clicks ----------------------------------------------------------------
  function layoutNodeSelection(id) {
    const L = GF.state.layout, path = L.boxes[id] || L.box_backward[id];
    if (path !== undefined) return {kind: "module", path: path};
    return GF.node(id) ? {kind: "node", id: id} : null;
  }
  host.addEventListener("click", function (ev) {
    if (view.dragged) return;
    const toggle = ev.target.closest(".toggle");
    if (toggle) { GF.collapse.toggle(toggle.dataset.path); return; }
    const box = ev.target.closest(".module-box");
    const node = ev.target.closest("g.node"), cluster = ev.target.closest("g.cluster");
    const sel = box ? {kind: "module", path: box.dataset.path}
      : node ? layoutNodeSelection(node.dataset.id)
      : cluster ? {kind: "module", path: cluster.dataset.path} : null;
    if (sel) GF.select(sel);
  });
})(window.GF = window.GF || {});
