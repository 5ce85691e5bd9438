"""The Graphviz layouts the explorer page switches between: the whole graph,
and the graph collapsed at each module depth (``graph_collapse``), each as
the SVG that ``dot`` lays out from the same DOT as the static pictures.

Collapsing a module on the page picks the most compact layout that shows
every open module open, and covers the modules still to collapse in it
with a box. So that the page can step through backward on any layout, each
layout says, for its node ids (SVG ``<title>``s):

    node_steps  backward node -> the backward steps it stands for ([]: none ran)
    grad_steps  "a->b" (the drawn gradient edge) -> the steps that produce it
                (0: the seed d(loss)/d(loss) = 1)
    members     id in the whole graph -> the box node now standing for it
    modules     node -> module path it is drawn in
    boxes       a collapsed module's node -> its path (box_backward: its backward node's)
"""
from __future__ import annotations

import re
import shutil

from .dot_writer import INSTALL_HINT, to_digraph
from .explorer_data import SEED_STEP
from .graph_collapse import collapse_with_ids
from .module_tree import ClusterTree

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)


def layouts(graph, rankdir="TB") -> list:
    """The whole graph's layout, then one per module depth 1, 2, ..."""
    if shutil.which("dot") is None:
        raise RuntimeError(f"the explorer page needs Graphviz's `dot` to lay out the graph: "
                           f"{INSTALL_HINT}")
    tree = ClusterTree(graph)
    deepest = max((tree.level(p) for p in tree.paths), default=0)
    result = [layout(graph, graph, {}, None, rankdir)]
    for depth in range(1, deepest + 1):
        collapsed, members = collapse_with_ids(graph, depth)
        result.append(layout(graph, collapsed, members, depth, rankdir))
    return result


def layout(full, drawn, members, depth, rankdir="TB") -> dict:
    """One layout: ``drawn`` (``full`` or a collapse of it, ``members``
    mapping ``full``'s ids to ``drawn``'s) as SVG, with its step tables."""
    at = members.get
    node_steps = {n.id: set() for n in drawn.nodes if n.kind == "backward"}
    for n in full.nodes:
        if n.kind == "backward" and n.order is not None:
            node_steps[at(n.id, n.id)].add(n.order)
    order = {n.id: n.order for n in full.nodes if n.kind == "backward"}
    grad_steps = {}
    for e in full.edges:
        src, dst = at(e.src, e.src), at(e.dst, e.dst)
        if e.kind != "grad" or src == dst:
            continue
        step = order[e.src] if e.src in order else SEED_STEP   # else: from the output tensor
        if step is not None:
            grad_steps.setdefault(f"{dst}->{src}", set()).add(step)   # drawn dst -> src
    return {"depth": depth, "svg": svg_of(drawn, rankdir),
            "node_steps": {k: sorted(v) for k, v in node_steps.items()},
            "grad_steps": {k: sorted(v) for k, v in grad_steps.items()},
            "members": dict(members),
            "modules": {n.id: n.module for n in drawn.nodes if n.module},
            **_boxes(drawn)}


def _boxes(drawn) -> dict:
    """Each collapsed module's node, and its backward node -> the module's path."""
    boxes = {n.id: n.label for n in drawn.nodes if n.kind == "module"}
    backward = {n.id: boxes[n.op] for n in drawn.nodes if n.kind == "backward" and n.op in boxes}
    return {"boxes": boxes, "box_backward": backward}


def svg_of(graph, rankdir="TB") -> str:
    """The SVG element ``dot`` lays out, without XML prolog and comments."""
    svg = to_digraph(graph, rankdir=rankdir).pipe(format="svg").decode("utf-8")
    return _PROLOG.sub("", svg).strip()
