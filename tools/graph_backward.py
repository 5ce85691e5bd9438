"""The backward graph, drawn from the same recorded ops as the forward one.

Each forward op gets one backward node (``Matmul`` -> ``MatmulBackward``)
linked to it, and gradient edges run the way ``backward()`` sends the
gradient: from the output tensor (the loss) to the backward node of the op
that made it, from each backward node to the backward nodes of the ops that
made its inputs, and finally into the ``.grad`` of each leaf that requires
grad (the parameters W_q, W_k, W_v, ...). Nothing is re-derived: an edge
exists exactly where the engine would pass a gradient.
"""
from __future__ import annotations

from .graph_data import Edge, Graph, Node


def add_backward(graph: Graph) -> Graph:
    """A new Graph: ``graph`` plus backward nodes, "grad" and "link" edges.
    Backward nodes carry the step of ``graph.order_of`` when there is one."""
    nodes = {n.id: n for n in graph.nodes}
    producer = {e.dst: e.src for e in graph.edges
                if e.kind == "data" and nodes[e.src].kind == "op"}
    out = Graph(nodes=list(graph.nodes), edges=list(graph.edges), outputs=list(graph.outputs),
                modules=dict(graph.modules), order_of=dict(graph.order_of),
                sources=graph.sources)
    bw = {}
    for n in graph.nodes:
        if n.kind == "op":
            bw[n.id] = "b" + n.id
            out.nodes.append(Node(id=bw[n.id], kind="backward", label=n.label + "Backward",
                                  module=n.module, op=n.id, order=graph.order_of.get(n.id),
                                  from_backward=n.from_backward))
            out.edges.append(Edge(bw[n.id], n.id, "link"))
    seen = set()

    def grad_edge(src, dst):
        if (src, dst) not in seen:
            seen.add((src, dst))
            out.edges.append(Edge(src, dst, "grad"))

    for t in graph.outputs:                       # the seed: d(out)/d(out) = 1
        if nodes[t].requires_grad and t in producer:
            grad_edge(t, bw[producer[t]])
    for e in graph.edges:
        if e.kind != "data" or nodes[e.dst].kind != "op" or not nodes[e.src].requires_grad:
            continue
        x = nodes[e.src]
        if e.src in producer:
            grad_edge(bw[e.dst], bw[producer[e.src]])
        elif x.is_leaf:
            grad_edge(bw[e.dst], x.id)            # accumulates into x.grad
    return out
