// The side panel: what the selected tensor, op, backward node or module is;
// with nothing selected, the op whose backward runs at the current step.
(function (GF) {
  "use strict";
  const panel = document.getElementById("panel");
  const el = GF.el;

  GF.select = function (sel) { GF.state.selected = sel; GF.redraw(); };

  function link(text, action) {
    return el("a", {onclick: function (ev) { ev.preventDefault(); action(); }}, text);
  }
  function nodeLink(id, text) {
    return link(text || GF.tensorName(id), function () { GF.select({kind: "node", id: id}); });
  }
  function stepLink(k) {
    return link(k === 0 ? "the seed (step 0)" : "step " + k, function () { GF.setStep(k); });
  }
  function joined(items) {
    const out = [];
    items.forEach(function (item, i) { if (i) out.push(", "); out.push(item); });
    return out;
  }
  function table(rows) {
    return el("table", {}, rows.filter(function (r) { return r[1] !== null; }).map(function (r) {
      return el("tr", {}, el("td", {}, r[0]), el("td", {}, r[1]));
    }));
  }
  function note(text) { return el("div", {class: "note"}, text); }
  function heading(text) { return el("h3", {}, text); }

  function render() {
    panel.textContent = "";
    const sel = GF.state.selected;
    if (!sel) { show(stepView()); return; }
    panel.appendChild(el("button", {class: "follow", type: "button",
                                    onclick: function () { GF.select(null); }}, "follow the step"));
    let parts;
    if (sel.kind === "module") parts = moduleView(sel.path);
    else {
      const n = GF.node(sel.id);
      parts = n.kind === "tensor" ? tensorView(sel.id)
        : opView(n.kind === "op" ? sel.id : n.op, n.kind === "backward");
    }
    show(parts);
  }
  GF.onRedraw(render);
  function show(parts) {
    parts.forEach(function (p) { if (p) panel.appendChild(p); });
  }

  function stepView() {
    const k = GF.state.step;
    if (k > 0) return [el("div", {class: "sub"}, "step " + k + " of " + GF.nSteps)].concat(
      opView(GF.opAt(k), true));
    const intro = [el("h2", {}, "Before backward()"),
                   el("div", {class: "sub"}, GF.nSteps + " steps: press next (right arrow) to " +
                      "run each op's backward in the order backward() ran them.")];
    return intro.concat(GF.data.outputs.length ? tensorView(GF.data.outputs[0]) : []);
  }

  // -- tensors ---------------------------------------------------------------
  function tensorView(id) {
    const t = GF.node(id);
    return [
      el("h2", {}, GF.tensorName(id)),
      t.aliases.length ? el("div", {class: "sub"}, "also " + t.aliases.join(", ")) : null,
      el("div", {}, t.flags.map(function (f) { return el("span", {class: "flag"}, f); })),
      table([["shape", GF.shape(t.shape)], ["dtype", t.dtype],
             ["module", t.module || "(top level)"],
             ["made by", t.producer ? nodeLink(t.producer, GF.node(t.producer).label) : "(a leaf)"],
             ["used by", t.consumers.length ? joined(t.consumers.map(function (c) {
               return nodeLink(c, GF.node(c).label); })) : null]]),
      heading("value"),
      t.value ? GF.arrayView(t.value) : note("value not kept"),
      heading("gradient"),
      el("div", {class: "grad-section"}, gradView(t)),
    ];
  }

  // A tensor's gradient, and where it stands at the current step.
  function gradView(t) {
    if (!t.requires_grad) return [note("does not require grad: no gradient flows into it")];
    const steps = t.grad_steps, k = GF.state.step, parts = [];
    if (!steps.length) parts.push(note("no backward step handed it a gradient"));
    else parts.push(el("div", {}, "handed to it by ", joined(steps.map(stepLink)),
                       steps.length > 1 ? " (accumulated)" : ""));
    if (!t.grad) {
      parts.push(note("no .grad kept for this intermediate tensor: call retain_grad() on it " +
                      "(or tools.graph_walk.retain_all_grads(loss)) before backward()"));
      return parts;
    }
    const view = GF.arrayView(t.grad), first = steps[0], last = steps[steps.length - 1];
    if (steps.length && k < first) {
      parts.push(note("not computed yet at step " + k + " (shown: its final value)"));
      view.classList.add("later");
    } else if (steps.length && k < last) {
      parts.push(note("partly accumulated at step " + k + "; complete after step " + last));
    }
    parts.push(view);
    return parts;
  }

  // -- ops and backward nodes -------------------------------------------------
  function opView(id, backward) {
    const op = GF.node(id), k = GF.state.step;
    const ran = op.step === null ? "its backward did not run: no gradient reached it"
      : ["its backward ran at ", stepLink(op.step), " of " + GF.nSteps,
         op.step === k ? " (this step)" : ""];
    const other = backward ? nodeLink(id, "the forward op " + op.label)
      : op.backward ? nodeLink(op.backward, "its backward node") : null;
    const settings = Object.keys(op.settings).map(function (key) { return [key, op.settings[key]]; });
    return [
      el("h2", {}, backward ? op.label + "Backward" : op.label),
      el("div", {class: "sub"}, "module " + (op.module || "(top level)"), el("br"), ran),
      other,
      settings.length ? heading("settings") : null, settings.length ? table(settings) : null,
      op.audit ? table([["gradient check", op.audit]]) : null,
      heading("formulas"), el("pre", {class: "formulas"}, op.formulas || "(the op's public function has no docstring)"),
      heading("inputs"), tensorList(op.inputs, "input"),
      heading("outputs"), tensorList(op.outputs, "output"),
    ].concat(backward ? gradientsOf(op) : outputValues(op));
  }

  function tensorList(ids, what) {
    return el("div", {}, ids.map(function (tid, i) {
      const t = GF.node(tid);
      return el("div", {}, what + " " + i + ": ", nodeLink(tid), " " + GF.shape(t.shape) + " " + t.dtype);
    }));
  }

  function outputValues(op) {
    return [heading("output value")].concat(op.outputs.map(function (tid) {
      const t = GF.node(tid);
      return t.value ? GF.arrayView(t.value) : note("value not kept");
    }));
  }

  // What the backward receives (its outputs' gradients) and hands on (its inputs').
  function gradientsOf(op) {
    const parts = [heading("gradient it receives")];
    op.outputs.forEach(function (tid) {
      parts.push(el("div", {}, "d loss / d ", nodeLink(tid)), el("div", {}, gradView(GF.node(tid))));
    });
    parts.push(heading("gradient it hands on"));
    op.inputs.forEach(function (tid, i) {
      const t = GF.node(tid);
      if (!t.requires_grad) return;
      parts.push(el("div", {}, "to input " + i + ", ", nodeLink(tid)), el("div", {}, gradView(t)));
    });
    return parts;
  }

  // -- modules ----------------------------------------------------------------
  function moduleView(path) {
    const info = GF.data.modules[path], collapsed = GF.state.collapsed.has(path);
    const children = Object.keys(GF.data.modules).filter(function (p) {
      return GF.data.modules[p].parent === path;
    });
    const steps = [];
    GF.data.steps.forEach(function (id, i) {
      const m = GF.node(id).module;
      if (m === path || m.startsWith(path + ".")) steps.push(i + 1);
    });
    return [
      el("h2", {}, path), el("div", {class: "sub"}, info.cls || "module"),
      el("button", {class: "collapse-button", type: "button",
                    onclick: function () { GF.collapse.toggle(path); }},
         collapsed ? "expand" : "collapse"),
      table([["parameters", info.n_params === null ? null : info.n_params.toLocaleString("en-US")],
             ["inside", info.parent ? link(info.parent, function () {
               GF.select({kind: "module", path: info.parent}); }) : "(top level)"],
             ["modules", children.length ? joined(children.map(function (c) {
               return link(c, function () { GF.select({kind: "module", path: c}); }); })) : null],
             ["backward steps", steps.length ? (steps.length > 12
               ? [stepLink(steps[0]), " ... ", stepLink(steps[steps.length - 1]),
                  " (" + steps.length + " ops)"]
               : joined(steps.map(stepLink))) : null]]),
    ];
  }
})(window.GF = window.GF || {});
