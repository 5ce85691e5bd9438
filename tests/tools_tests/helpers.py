"""Shared by the tools tests: rendering with `dot`, reading DOT text, the
explorer pages and the headless browser that opens them."""
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tools import backward_order, scenes
from tools.browser import missing as browser_missing
from tools.graph_walk import ops_in_order, retain_all_grads

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` is not installed (apt-get install graphviz); rendering not tested")
needs_browser = pytest.mark.skipif(
    shutil.which("dot") is None or browser_missing() is not None,
    reason=f"explorer not tested in a browser: {browser_missing() or 'no Graphviz `dot`'}")

_CLUSTER = re.compile(r'^\s*subgraph "?cluster_(.*?)"? \{$')
_NODE = re.compile(r"^\s*(\w+) \[")


def render_svg(digraph, timeout=120):
    """Run `dot -Tsvg` on the DOT text; the parsed SVG (an XML element)."""
    done = subprocess.run(["dot", "-Tsvg"], input=digraph.source.encode(), capture_output=True,
                          timeout=timeout, check=True)
    return ET.fromstring(done.stdout)


def svg_text(root) -> str:
    return " ".join(t for el in root.iter() for t in (el.text,) if t)


def dot_layout(source):
    """(cluster path -> parent cluster path or "", node id -> cluster path or "")
    read back from DOT text as the writer lays it out."""
    parents, where, stack = {}, {}, []
    for line in source.splitlines():
        m = _CLUSTER.match(line)
        if m:
            parents[m.group(1)] = stack[-1] if stack else ""
            stack.append(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif "->" not in line:
            n = _NODE.match(line)
            if n and n.group(1) not in ("graph", "node", "edge"):
                where[n.group(1)] = stack[-1] if stack else ""
    return parents, where


def weakly_connected(graph) -> bool:
    ids = [n.id for n in graph.nodes]
    parent = {i: i for i in ids}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for e in graph.edges:
        parent[find(e.src)] = find(e.dst)
    return len({find(i) for i in ids}) == 1


def backpropagated_scene(name):
    """A built-in scene after a backward pass (every intermediate gradient
    kept), the ops in the order backward visited them, and each op's node id
    in a graph walk of it (``op<i>``: forward order)."""
    scene = scenes.build(name)
    retain_all_grads([scene.loss])
    with backward_order.record() as order:
        scene.loss.backward(retain_graph=True)
    op_ids = {fn: f"op{i}" for i, fn in enumerate(ops_in_order([scene.loss]))}
    return scene, order, op_ids
