// Module boxes collapse to one node and expand again. The user's collapsed
// modules pick the most compact layout that still shows every open module
// open (the layouts of tools/explorer_layouts.py: the whole graph, and the
// graph collapsed at depth 1, 2, ...); collapsed modules that this layout
// still draws as clusters ("folds") are covered by a box in place.
(function (GF) {
  "use strict";
  const modules = GF.data.modules;     // path -> {cls, n_params, parent, level}
  const C = GF.collapse = {};
  let folds = [], overlays = {}, boxNodes = {};

  function within(path, outer) { return path === outer || path.startsWith(outer + "."); }
  function hiddenByAncestor(path, collapsed) {
    for (let p = modules[path].parent; p; p = modules[p].parent) {
      if (collapsed.has(p)) return true;
    }
    return false;
  }

  C.maxLevel = Object.keys(modules).reduce(function (m, p) {
    return Math.max(m, modules[p].level);
  }, 0);

  // The layout collapsed one level below the deepest open module shown.
  C.layoutFor = function (collapsed) {
    let deepestOpen = 0;
    Object.keys(modules).forEach(function (path) {
      if (!collapsed.has(path) && !hiddenByAncestor(path, collapsed)) {
        deepestOpen = Math.max(deepestOpen, modules[path].level);
      }
    });
    const layouts = GF.data.layouts;
    return layouts.find(function (l) { return l.depth === deepestOpen + 1; }) || layouts[0];
  };

  // The fold hiding a node of the current layout, or null.
  function foldOf(layoutId) {
    const m = GF.state.layout.modules[layoutId] || "";
    return folds.find(function (p) { return within(m, p); }) || null;
  }

  // The element that shows node `fullId` of the whole graph now: its node,
  // the collapsed module's node it was merged into, or the box over its fold.
  C.shownAs = function (fullId) {
    const L = GF.state.layout, id = L.members[fullId] || fullId, fold = foldOf(id);
    return fold ? overlays[fold] : (GF.view.nodes[id] || null);
  };

  // The element that shows module `path`: its cluster, its node or the box
  // over it, else the nearest enclosing one that does.
  C.moduleElement = function (path) {
    for (let p = path; p; p = modules[p] ? modules[p].parent : "") {
      const fold = folds.find(function (f) { return within(p, f); });
      if (fold) return overlays[fold];
      const el = GF.view.clusters[p] || boxNodes[p];
      if (el) return el;
    }
    return null;
  };

  C.toggle = function (path) {
    const collapsed = GF.state.collapsed;
    if (collapsed.has(path)) collapsed.delete(path); else collapsed.add(path);
    C.apply();
  };
  // depth d: every module d levels down or deeper collapsed (null: all open).
  C.setDepth = function (depth) {
    GF.state.collapsed = new Set(Object.keys(modules).filter(function (p) {
      return depth !== null && modules[p].level >= depth;
    }));
    C.apply();
  };
  // The depth whose collapse the user's state is, "" for all open, null if mixed.
  C.depthOfState = function () {
    const collapsed = GF.state.collapsed;
    if (!collapsed.size) return "";
    for (let d = 1; d <= C.maxLevel; d++) {
      const want = Object.keys(modules).filter(function (p) { return modules[p].level >= d; });
      if (want.length === collapsed.size && want.every(function (p) { return collapsed.has(p); })) {
        return String(d);
      }
    }
    return null;
  };

  C.apply = function () {
    const layout = C.layoutFor(GF.state.collapsed);
    if (layout !== GF.state.layout) GF.view.show(layout);
    else GF.view.svg.querySelectorAll(".folded").forEach(function (el) { el.classList.remove("folded"); });
    const old = GF.view.svg.querySelector("#gf-layer");
    if (old) old.remove();
    folds = Array.from(GF.state.collapsed).filter(function (p) {
      return GF.view.clusters[p] && !hiddenByAncestor(p, GF.state.collapsed);
    });
    boxNodes = {};
    Object.keys(layout.boxes).forEach(function (id) {
      if (GF.view.nodes[id]) boxNodes[layout.boxes[id]] = GF.view.nodes[id];
    });
    const layer = GF.svg("g", {id: "gf-layer"});
    overlays = {};
    folds.forEach(function (p) {
      overlays[p] = foldBox(p, GF.view.clusters[p].getBBox());
      layer.appendChild(overlays[p]);
    });
    addToggles(layer);
    hideFolded();
    GF.view.root.appendChild(layer);
    GF.redraw();
  };

  function hideFolded() {
    const view = GF.view;
    Object.keys(view.nodes).forEach(function (id) {
      if (foldOf(id)) view.nodes[id].classList.add("folded");
    });
    Object.keys(view.clusters).forEach(function (p) {
      if (folds.some(function (f) { return within(p, f); })) view.clusters[p].classList.add("folded");
    });
    Object.keys(view.edges).forEach(function (key) {
      const ends = key.split("->"), a = foldOf(ends[0]);
      if (a && a === foldOf(ends[1])) {
        view.edges[key].forEach(function (g) { g.classList.add("folded"); });
      }
    });
  }

  // "-" on each open module's cluster, "+" on each collapsed one.
  function addToggles(layer) {
    Object.keys(GF.view.clusters).forEach(function (p) {
      if (folds.some(function (f) { return within(p, f); })) return;
      layer.appendChild(toggleButton(p, GF.view.clusters[p].getBBox(), "\u2212"));
    });
    Object.keys(boxNodes).forEach(function (p) {
      if (!foldOf(boxNodes[p].dataset.id)) layer.appendChild(toggleButton(p, boxNodes[p].getBBox(), "+"));
    });
  }

  // Sizes in graph units grow with the box, so that a big box collapsed in
  // a big graph stays readable when the whole graph is in view.
  function sizeFor(b, divisor, largest) {
    return Math.max(14, Math.min(largest, b.width / divisor, b.height / divisor));
  }

  function toggleButton(path, b, sign) {
    const s = sizeFor(b, 12, 60), x = b.x + b.width - s - 3, y = b.y + 3;
    const g = GF.svg("g", {class: "toggle", "data-path": path});
    const verb = sign === "+" ? "expand " : "collapse ";
    g.appendChild(GF.svg("title")).textContent = verb + path;
    g.appendChild(GF.svg("rect", {x: x, y: y, width: s, height: s, rx: s / 5}));
    g.appendChild(GF.svg("text", {x: x + s / 2, y: y + s * 0.82, "text-anchor": "middle",
                                  "font-size": s * 0.93})).textContent = sign;
    return g;
  }

  function foldBox(path, b) {
    const info = modules[path];
    const g = GF.svg("g", {class: "module-box", "data-path": path});
    g.appendChild(GF.svg("rect", {x: b.x, y: b.y, width: b.width, height: b.height, rx: 8}));
    const lines = [path, info.cls || "", info.n_params === null ? "" :
                   info.n_params.toLocaleString("en-US") + " parameters", "(collapsed)"];
    const font = sizeFor(b, 14, 72);
    lines.forEach(function (text, i) {
      const t = GF.svg("text", {x: b.x + font * 0.7, y: b.y + font * (1.5 + 1.25 * i),
                                "font-size": i ? font * 0.85 : font,
                                "font-weight": i ? "normal" : "bold"});
      t.textContent = text;
      g.appendChild(t);
    });
    g.appendChild(toggleButton(path, b, "+"));
    return g;
  }
})(window.GF = window.GF || {});
