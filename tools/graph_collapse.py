"""``depth=N``: everything inside a module N clusters deep becomes one node.

A collapsed module keeps the edges that cross its border (so a connected
graph stays connected), and is labelled with its class, its parameter count
and the shapes that go in and come out. Its backward nodes become one
backward node. The tensors walked from (the loss) stay visible.
"""
from __future__ import annotations

from dataclasses import replace

from .graph_data import Edge, Graph, Node
from .graph_walk import format_shape
from .module_tree import ClusterTree


def collapse(graph: Graph, depth: int) -> Graph:
    """A new Graph where each module at cluster level ``depth`` (1 = the
    top-level modules, like ``encoder``) is one node."""
    return collapse_with_ids(graph, depth)[0]


def collapse_with_ids(graph: Graph, depth: int) -> tuple:
    """``collapse`` and, for every node merged into a box, old id -> the id
    of the box node (or box backward node) now standing for it."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1 (1 = top-level modules), got {depth!r}")
    tree = ClusterTree(graph)
    box_of = _box_of(graph, tree, depth)
    moved = _kept_visible(graph, tree, box_of)
    if not box_of:
        return graph, {}
    boxes = _make_boxes(graph, tree, box_of)
    new_id = _merge_into_boxes(graph, box_of, boxes)
    nodes = {n.id: n for n in graph.nodes}
    _count_parameters(graph, box_of, boxes)
    _border_shapes(graph, nodes, box_of, boxes, moved)
    return _assemble(graph, box_of, boxes, moved, new_id), new_id


def _box_of(graph, tree, depth):
    """node id -> path of the collapsed module it falls in."""
    box_of = {}
    for n in graph.nodes:
        cluster = tree.cluster_of(n.module)
        if cluster and tree.level(cluster) >= depth:
            box_of[n.id] = tree.ancestor_at(cluster, depth)
    return box_of


def _kept_visible(graph, tree, box_of):
    """Tensors that stay visible, just outside their box: the outputs walked
    from, and parameters also used outside their module (tied weights).
    Takes them out of ``box_of``; returns id -> the moved node."""
    used_outside = {e.src for e in graph.edges
                    if e.kind == "data" and e.src in box_of and box_of[e.src] != box_of.get(e.dst)}
    moved = {}
    for n in graph.nodes:
        if n.id in box_of and n.kind == "tensor" and (
                n.is_output or (n.is_parameter and n.id in used_outside)):
            moved[n.id] = replace(n, module=tree.parent[box_of.pop(n.id)])
    return moved


def _make_boxes(graph, tree, box_of):
    """path -> [its module node, its backward node (made when needed)]."""
    boxes = {}
    for n in graph.nodes:
        box = box_of.get(n.id)
        if box is not None and box not in boxes:
            info = graph.modules.get(box)
            boxes[box] = [Node(id=f"mod{len(boxes)}", kind="module", label=box,
                               module=tree.parent[box], cls=info.cls if info else None,
                               n_params=info.n_params if info else None), None]
    return boxes


def _merge_into_boxes(graph, box_of, boxes):
    """old node id -> the id of the box node (or box backward node) it joins;
    a box's backward node takes the earliest backward step of its members."""
    new_id = {}
    for n in graph.nodes:
        box = box_of.get(n.id)
        if box is None:
            continue
        entry = boxes[box]
        if n.kind != "backward":
            new_id[n.id] = entry[0].id
            continue
        if entry[1] is None:
            entry[1] = Node(id=entry[0].id + "b", kind="backward", label=box,
                            module=entry[0].module, cls=entry[0].cls, op=entry[0].id)
        bw = entry[1]
        if n.order is not None and (bw.order is None or n.order < bw.order):
            bw.order = n.order
        new_id[n.id] = bw.id
    return new_id


def _assemble(graph, box_of, boxes, moved, new_id):
    """The collapsed graph: each box where its first node was, the edges
    between the new nodes once each."""
    out = Graph(outputs=list(graph.outputs), modules=dict(graph.modules),
                order_of=dict(graph.order_of))
    placed = set()
    for n in graph.nodes:
        if n.id in box_of:
            module_node, bw_node = boxes[box_of[n.id]]
            node = bw_node if n.kind == "backward" else module_node
            if node.id not in placed:
                placed.add(node.id)
                out.nodes.append(node)
        else:
            out.nodes.append(moved.get(n.id, n))
    seen = set()
    for e in graph.edges:
        src, dst = new_id.get(e.src, e.src), new_id.get(e.dst, e.dst)
        if src == dst or (src, dst, e.kind) in seen:
            continue
        seen.add((src, dst, e.kind))
        same = src == e.src and dst == e.dst
        out.edges.append(Edge(src, dst, e.kind, e.slot if same else None))
    return out


def _count_parameters(graph, box_of, boxes):
    """Without a model's numbers, count the parameters drawn inside each box."""
    counts = {}
    for n in graph.nodes:
        if n.is_parameter and n.id in box_of:
            counts[box_of[n.id]] = counts.get(box_of[n.id], 0) + _numel(n.shape)
    for box, (module_node, _) in boxes.items():
        if module_node.n_params is None:
            module_node.n_params = counts.get(box, 0)


def _border_shapes(graph, nodes, box_of, boxes, moved):
    """In/out shapes of each box: tensors whose data edges cross its border."""
    ins = {box: {} for box in boxes}
    outs = {box: {} for box in boxes}
    for e in graph.edges:
        if e.kind != "data":
            continue
        a, b = box_of.get(e.src), box_of.get(e.dst)
        if a == b:
            continue
        src, dst = nodes[e.src], nodes[e.dst]
        tensor = src if src.kind == "tensor" else dst   # (an output lifted out of box a)
        if tensor.is_parameter:                    # counted as parameters, not as data
            continue
        if a is not None:                          # leaves box a
            outs[a].setdefault(format_shape(tensor.shape), None)
        if b is not None:                          # enters box b
            ins[b].setdefault(format_shape(tensor.shape), None)
    for box, (module_node, _) in boxes.items():
        module_node.in_shapes = tuple(ins[box])
        module_node.out_shapes = tuple(outs[box])


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n
