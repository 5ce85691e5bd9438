"""Nodes and edges (``tools.graph_data``) -> a ``graphviz.Digraph``.

Ops are blue boxes labelled with their name and settings; tensors show shape
and dtype; parameters (yellow) their dotted path; inputs are green, outputs
have a double border; backward nodes are red, linked to their op by a dashed
line; gradient edges are red arrows that point the way the gradient flows.
A gradient holding NaN or Inf turns its tensor red. Every node sits in the
cluster of the module that made it. All text goes out as escaped HTML-like
labels, so names such as ``<lambda>`` or ``<b>`` never reach ``dot`` raw.
"""
from __future__ import annotations

import html

from .graph_walk import format_shape
from .module_tree import ClusterTree

INSTALL_HINT = ("install Graphviz to render: `apt-get install graphviz` (the `dot` program) "
                "and `pip install graphviz` (the Python package)")

RED = "#c0392b"
_FILL = {"op": "#dbe9f6", "op_from_backward": "#fde9d9", "backward": "#f4cccc",
         "parameter": "#fff2cc", "input": "#d9ead3", "tensor": "#ffffff", "module": "#e6e6e6",
         "audit_ok": "#b7e1b1", "audit_fail": "#f08080", "audit_skipped": "#e0e0e0"}
_CLUSTER_FILL = ("#f7f7f7", "#ececec")
_MAX_TEXT = 60


def graphviz_module():
    """The ``graphviz`` package, or an ImportError that says how to get it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("tools: drawing needs the `graphviz` Python package: "
                          "`pip install graphviz` (or `pip install -e .[viz]`)") from None
    return graphviz


def to_digraph(graph, title=None, rankdir="TB", digraph_class=None):
    """A ``graphviz.Digraph`` (or ``digraph_class``, a subclass) of ``graph``;
    ``.source`` is the DOT text."""
    graphviz = graphviz_module()
    attrs = {"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12",
             "nodesep": "0.25", "ranksep": "0.3"}
    if title:
        attrs.update(label=_html([(title, "b")], limit=None), labelloc="t")
    dot = (digraph_class or graphviz.Digraph)(
        "gradformer", graph_attr=attrs,
        node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.06,0.03",
                   "height": "0.3"},
        edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9"})
    tree = ClusterTree(graph)
    subgraphs = {}
    for path in tree.paths:
        cls = tree.class_name(path)
        label = [(path, "b")] + ([(cls, "small")] if cls else [])
        subgraphs[path] = graphviz.Digraph(
            "cluster_" + path,
            graph_attr={"label": _html(label, join=" "), "labeljust": "l", "style": "rounded,filled",
                        "color": "#9e9e9e", "fontsize": "10",
                        "fillcolor": _CLUSTER_FILL[(tree.level(path) - 1) % 2]})
    for n in graph.nodes:
        cluster = tree.cluster_of(n.module)
        target = subgraphs[cluster] if cluster else dot
        target.node(n.id, **_node_attrs(n))
    # Attach the deepest clusters first: a subgraph is copied when attached.
    for path in sorted(tree.paths, key=tree.level, reverse=True):
        parent = tree.parent[path]
        (subgraphs[parent] if parent else dot).subgraph(subgraphs[path])
    for e in graph.edges:
        if e.kind == "data":
            dot.edge(e.src, e.dst)
        elif e.kind == "grad":
            # Laid out along the forward direction, drawn pointing backwards.
            dot.edge(e.dst, e.src, dir="back", color=RED, penwidth="1.3")
        else:
            dot.edge(e.dst, e.src, style="dashed", arrowhead="none", color="#7f7f7f")
    return dot


# -- labels ------------------------------------------------------------------

def _node_attrs(n) -> dict:
    if n.kind == "op":
        return _op_attrs(n)
    if n.kind == "backward":
        return _backward_attrs(n)
    if n.kind == "module":
        return _module_attrs(n)
    return _tensor_attrs(n)


def _op_attrs(n):
    lines = [(n.label, "b")]
    if n.settings:
        lines.append((", ".join(f"{k}={v}" for k, v in n.settings.items()), "small"))
    if n.from_backward:
        lines.append(("recorded by backward", "small"))
    fill = _FILL["op_from_backward" if n.from_backward else "op"]
    if n.audit is not None:
        status, error = n.audit
        lines.append((f"check {status}" + (f", rel. err {error:.1e}" if status != "skipped"
                                           else ""), "small"))
        fill = _FILL["audit_" + status]
    attrs = {"label": _html(lines), "shape": "box", "style": "rounded,filled", "fillcolor": fill}
    if n.alarm:
        lines.append((n.alarm, "small"))
        attrs.update(label=_html(lines), fillcolor=_FILL["audit_fail"], color=RED, penwidth="2.5")
    return attrs


def _backward_attrs(n):
    if n.op is not None and n.op.startswith("mod"):            # a collapsed module's
        lines = [(f"{n.cls or 'Module'}Backward", "b"), (n.label, "small")]
    else:
        lines = [(n.label, "b")]
    if n.order is not None:
        lines.insert(0, (f"step {n.order}", "small"))
    return {"label": _html(lines), "shape": "box", "style": "rounded,filled",
            "fillcolor": _FILL["backward"], "color": RED}


def _module_attrs(n):
    lines = [(n.label, "b")]
    if n.cls:
        lines.append((n.cls, ""))
    lines.append((f"{n.n_params:,} parameters", "small"))
    if n.in_shapes:
        lines.append(("in: " + " ".join(n.in_shapes), "small"))
    if n.out_shapes:
        lines.append(("out: " + " ".join(n.out_shapes), "small"))
    return {"label": _html(lines), "shape": "box3d", "style": "filled",
            "fillcolor": _FILL["module"], "margin": "0.15,0.06"}


def _tensor_attrs(n):
    attrs = {"shape": "box" if n.is_parameter else "ellipse", "style": "filled"}
    if n.is_constant:
        text = n.value if n.value is not None else f"{format_shape(n.shape)} {n.dtype}"
        attrs.update(shape="plaintext", style="", fontsize="9")
        lines = [(text, "small")]
    else:
        lines = []
        if n.is_parameter:
            names = (n.parameter or n.label or "parameter",) + n.aliases
            lines.append((" = ".join(names), "b"))
            attrs["fillcolor"] = _FILL["parameter"]
        elif n.label:
            lines.append((n.label, "b"))
        lines.append((f"{format_shape(n.shape)} {n.dtype}", "" if lines else "small"))
        tags = [t for t, on in (("input", n.is_input), ("output", n.is_output)) if on]
        if tags:
            lines.append((", ".join(tags), "small"))
        if n.is_input:
            attrs["fillcolor"] = _FILL["input"]
        if n.is_output:
            attrs["peripheries"] = "2"
        attrs.setdefault("fillcolor", _FILL["tensor"])
        if not n.is_parameter and not n.is_input and not n.label:
            attrs.update(fontsize="9", height="0.25")
    if n.grad_norm is not None:
        lines.append((f"grad norm {n.grad_norm:.3g}", "red" if n.grad_nonfinite else "small"))
    if n.grad_nonfinite:
        lines.append(("NaN/Inf in grad", "red"))
        attrs.update(color=RED, penwidth="2.5", fontcolor=RED)
    attrs["label"] = _html(lines)
    return attrs


def _html(lines, join="<BR/>", limit=_MAX_TEXT) -> str:
    """An HTML-like Graphviz label from (text, style) lines, every character
    of the text escaped; style: "b" bold, "small", "red", "" plain."""
    parts = []
    for text, style in lines:
        t = _escape(text, limit)
        if style == "b":
            t = f"<B>{t}</B>"
        elif style == "small":
            t = f'<FONT POINT-SIZE="8">{t}</FONT>'
        elif style == "red":
            t = f'<FONT POINT-SIZE="9" COLOR="{RED}"><B>{t}</B></FONT>'
        parts.append(t)
    return "<" + (join.join(parts) or " ") + ">"


def _escape(text, limit=_MAX_TEXT) -> str:
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    # Control characters (a name with a newline or a NUL) become visible escapes.
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return html.escape(text, quote=True) or " "
