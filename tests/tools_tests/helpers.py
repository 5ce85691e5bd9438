"""Shared by the tools tests: rendering with `dot`, reading DOT text."""
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz's `dot` is not installed (apt-get install graphviz); rendering not tested")

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
