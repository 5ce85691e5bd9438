// gradformer backprop explorer: the page's data, its state and small helpers.
// Plain JavaScript, no library; every part adds itself to window.GF.
(function (GF) {
  "use strict";
  GF.data = JSON.parse(document.getElementById("explorer-data").textContent);
  GF.state = {
    step: 0,                 // 0: before backward (the seed); k: the k-th op's backward runs
    selected: null,          // {kind: "node", id} | {kind: "module", path}; null: follow the step
    collapsed: new Set(),    // module paths the user collapsed
    layout: null,            // the layout shown (one of GF.data.layouts)
  };
  GF.nSteps = GF.data.steps.length;

  // An HTML element: el("td", {class: "x"}, "text", child, ...).
  GF.el = function (tag, attrs) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (let i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  };
  GF.svg = function (tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(node, attrs);
    return node;
  };
  function setAttrs(node, attrs) {
    for (const key in attrs || {}) {
      if (key === "onclick") node.addEventListener("click", attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
  }
  function append(node, child) {
    if (child === null || child === undefined) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  // Numbers as the panel shows them; NaN and infinities travel as strings.
  GF.fmt = function (x, digits) {
    if (typeof x !== "number") return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
    return Number(x.toPrecision(digits || 4)).toString();
  };
  GF.shape = function (shape) {
    return "(" + shape.join(", ") + (shape.length === 1 ? "," : "") + ")";
  };

  GF.node = function (id) { return GF.data.nodes[id]; };
  // The forward op run at step k (1-based), or null at step 0.
  GF.opAt = function (k) { return k >= 1 ? GF.data.steps[k - 1] : null; };
  GF.stepName = function (k) {
    if (k === 0) return "the seed: d(output)/d(output) = 1";
    const op = GF.node(GF.opAt(k));
    return op.label + "Backward" + (op.module ? " in " + op.module : "");
  };
  // A tensor's name as the panel lists it.
  GF.tensorName = function (id) {
    const t = GF.node(id);
    if (t.parameter || t.label) return t.parameter || t.label;
    return (t.producer ? GF.node(t.producer).label + " output" : "tensor") + " (" + id + ")";
  };

  // Parts register what to redraw when the step, selection or layout changes.
  const redraws = [];
  GF.onRedraw = function (fn) { redraws.push(fn); };
  GF.redraw = function () { redraws.forEach(function (fn) { fn(); }); };
})(window.GF = window.GF || {});
