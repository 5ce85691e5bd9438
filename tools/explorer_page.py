"""Write the backprop explorer: one self-contained HTML file (no network, no
server) in which one steps through the real backward order of a graph,
inspects tensors and ops, and collapses module boxes.

    html = explorer_html(loss, model=model, order=order)
    write(html, "attention.html")

The page is ``explorer_assets/page.html`` with its CSS and plain JavaScript
(no library) inlined, and the data of ``explorer_data`` and
``explorer_layouts`` as one JSON block. Its Content-Security-Policy forbids
every fetch, so opening it never touches the network.
"""
from __future__ import annotations

import html
import json
import re
from importlib import resources

from nn import atomic

from . import backward_order
from .explorer_data import page_model
from .explorer_layouts import layouts
from .graph_backward import add_backward
from .graph_walk import as_tensor_list, walk

# The page's scripts, in the order they run (each adds its part to window.GF).
SCRIPTS = ("core.js", "heatmap.js", "graph_view.js", "collapse.js", "panel.js", "controls.js")
STYLES = ("explorer.css",)
_MARKER = re.compile(r"\{\{(\w+)\}\}")


def explorer_html(outputs, model=None, order=None, base=None, audit=None, title=None,
                  depth=None, rankdir="TB") -> str:
    """The explorer page of the graph that produced ``outputs``.

    order: the ops as ``tools.backward_order.record()`` saw backward visit
        them; without it, the engine's own schedule (``planned``).
    depth: the module level collapsed when the page opens (None: all open).
    model, base, audit, title, rankdir: as for ``backprop_graph.draw``.
    """
    outputs = as_tensor_list(outputs, "outputs")
    if order is None:
        order = backward_order.planned(outputs)
    graph = add_backward(walk(outputs, model=model, order=order, base=base, audit=audit))
    data = page_model(graph, title=title, depth=depth)
    data["layouts"] = layouts(graph, rankdir)
    return render(data)


def render(data: dict) -> str:
    """The page's HTML around ``data`` (a ``page_model`` with its layouts)."""
    page = _asset("page.html")
    parts = {"title": html.escape(data.get("title") or "backprop explorer"),
             "styles": "\n".join(_asset(name) for name in STYLES),
             "data": script_json(data),
             "scripts": "\n".join(_asset(name) for name in SCRIPTS)}
    # One pass over the template: inserted text is never scanned for markers.
    return _MARKER.sub(lambda m: parts[m.group(1)], page)


def script_json(data) -> str:
    """JSON that can sit inside a <script> element: no "</" and no "<!--"
    (both are still valid JSON: "\\/" and "\\u003c")."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def write(page: str, path) -> str:
    """Write ``page`` to ``path`` (whole or not at all); returns what was written."""
    atomic.write_text(path, page)
    return f"wrote {path} ({len(page.encode('utf-8')) / 1e6:.2f} MB)"


def _asset(name) -> str:
    return (resources.files("tools") / "explorer_assets" / name).read_text(encoding="utf-8")
