"""Pictures for anomaly mode: when ``autograd.detect_anomaly()`` finds a NaN
or an Inf, draw the failing op's neighbourhood (its inputs' ops a few steps
up), the failing op in red. Importing this module installs the reporter:

    import tools.anomaly_picture
"""
from __future__ import annotations

import os

from autograd import anomaly

from .backprop_graph import save
from .dot_writer import to_digraph
from .graph_walk import ops_in_order, walk

# Where pictures go, and how many ops up from the failing one they show.
folder = "."
radius = 3
_count = [0]


def report(error) -> str | None:
    """Draw the neighbourhood of ``error.function``; returns a line for the
    error message naming the file, or None when there is no graph to draw."""
    fn = error.function
    outputs = [ref() for ref in getattr(fn, "outputs", ()) if ref() is not None]
    if not outputs or getattr(fn, "inputs", None) is None:
        return None
    ops = ops_in_order(outputs, radius)
    graph = walk(outputs, max_depth=radius)
    failing = f"op{ops.index(fn)}"
    is_forward = error.tensor is not None and any(error.tensor is o for o in outputs)
    for node in graph.nodes:
        if node.id == failing:
            node.alarm = "NaN/Inf in its output" if is_forward else "NaN/Inf in its gradient"
    _count[0] += 1
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"anomaly-{_count[0]}-{fn.name}.svg")
    written = save(to_digraph(graph, title=f"anomaly: {fn.name}"), path)
    return f"picture of the failing op's neighbourhood: {written}"


def install():
    if report not in anomaly.reporters:
        anomaly.reporters.append(report)


install()
