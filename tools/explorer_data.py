"""The explorer page's data model: what the page knows of each node of a
graph with its backward nodes (``walk`` + ``add_backward``), as JSON-ready
dicts, plus the backward order and the module tree.

    {"title": ..., "steps": [op id of step 1, of step 2, ...], "outputs": [ids],
     "nodes": {node id: {...}}, "modules": {path: {...}}, "depth": ...}

Tensors carry their values and gradient (``array_preview``) and the steps
whose backward handed them a gradient; ops their settings, inputs, outputs,
formulas (``Function.formulas()``, shown as written) and the step at which
``backward()`` ran them. The Graphviz layouts are added by
``explorer_layouts``; the page is written by ``explorer_page``.
"""
from __future__ import annotations

import inspect

from .array_preview import preview
from .graph_data import Graph
from .module_tree import ClusterTree

SEED_STEP = 0       # the step of the seed d(loss)/d(loss) = 1, before any op's backward


def page_model(graph: Graph, title=None, depth=None) -> dict:
    """The page's data of ``graph`` (with backward nodes and sources).
    depth: the module level collapsed when the page opens (None: all open)."""
    return {"title": title or "", "steps": steps(graph), "outputs": list(graph.outputs),
            "nodes": node_infos(graph), "modules": module_infos(graph), "depth": depth}


def steps(graph: Graph) -> list:
    """The op ids in the order ``backward()`` ran them (step k = item k-1)."""
    return sorted(graph.order_of, key=graph.order_of.get)


def node_infos(graph: Graph) -> dict:
    wiring = _wiring(graph)
    infos = {}
    for n in graph.nodes:
        if n.kind == "tensor":
            infos[n.id] = _tensor_info(n, graph, wiring)
        elif n.kind == "op":
            infos[n.id] = _op_info(n, graph, wiring)
        elif n.kind == "backward":
            infos[n.id] = {"kind": "backward", "label": n.label, "module": n.module,
                           "op": n.op, "step": n.order}
    return infos


def module_infos(graph: Graph) -> dict:
    """path -> class, parameter count, enclosing cluster and level of every
    module box the graph has (containers like ModuleList get none)."""
    tree = ClusterTree(graph)
    infos = {}
    for path in tree.paths:
        info = graph.modules.get(path)
        infos[path] = {"cls": info.cls if info else None,
                       "n_params": info.n_params if info else None,
                       "parent": tree.parent[path], "level": tree.level(path)}
    return infos


def _wiring(graph):
    """Each op's input and output tensor ids (by slot), each tensor's
    producing op and consuming ops, from the data edges."""
    inputs, outputs, producer, consumers = {}, {}, {}, {}
    kind = {n.id: n.kind for n in graph.nodes}
    label = {n.id: n.label for n in graph.nodes}
    backward_of = {n.op: n.id for n in graph.nodes if n.kind == "backward"}
    for e in graph.edges:
        if e.kind != "data":
            continue
        if kind[e.dst] == "op":
            inputs.setdefault(e.dst, []).append((e.slot, e.src))
            consumers.setdefault(e.src, []).append(e.dst)
        else:
            outputs.setdefault(e.src, []).append((e.slot, e.dst))
            producer[e.dst] = e.src
    return {"inputs": {k: [t for _, t in sorted(v)] for k, v in inputs.items()},
            "outputs": {k: [t for _, t in sorted(v)] for k, v in outputs.items()},
            "producer": producer, "consumers": consumers, "label": label,
            "backward_of": backward_of}


def _tensor_info(n, graph, wiring) -> dict:
    t = graph.sources.get(n.id)
    producer = wiring["producer"].get(n.id)
    consumers = list(dict.fromkeys(wiring["consumers"].get(n.id, [])))
    head_axis = _head_axis(wiring, producer, n.shape)
    flags = [name for name, on in (("parameter", n.is_parameter), ("input", n.is_input),
                                   ("output", n.is_output), ("leaf", n.is_leaf),
                                   ("constant", n.is_constant),
                                   ("requires grad", n.requires_grad)) if on]
    grad_steps = sorted({graph.order_of[op] for op in consumers if op in graph.order_of})
    if n.is_output and n.requires_grad:
        grad_steps.insert(0, SEED_STEP)
    grad = getattr(t, "grad", None)
    return {"kind": "tensor", "label": n.label, "parameter": n.parameter,
            "aliases": list(n.aliases), "module": n.module, "shape": list(n.shape),
            "dtype": n.dtype, "flags": flags, "producer": producer, "consumers": consumers,
            "value": preview(t.data, head_axis) if t is not None else None,
            "grad": preview(grad.data, head_axis) if grad is not None else None,
            "grad_steps": grad_steps, "requires_grad": n.requires_grad}


def _head_axis(wiring, producer, shape):
    """Attention weights, the softmax over (..., h, T_q, T_k), are shown one
    heatmap per head: the axis before the last two."""
    if producer is None or len(shape) < 3 or wiring["label"][producer] != "Softmax":
        return None
    return len(shape) - 3


def _op_info(n, graph, wiring) -> dict:
    fn = graph.sources.get(n.id)
    formulas = inspect.cleandoc(type(fn).formulas()) if fn is not None else ""
    return {"kind": "op", "label": n.label, "module": n.module, "settings": dict(n.settings),
            "formulas": formulas, "inputs": wiring["inputs"].get(n.id, []),
            "outputs": wiring["outputs"].get(n.id, []), "step": graph.order_of.get(n.id),
            "backward": wiring["backward_of"].get(n.id), "from_backward": n.from_backward,
            "audit": _audit_text(n.audit)}


def _audit_text(audit):
    """An ``autograd.check_graph`` result as the panel states it."""
    if audit is None:
        return None
    status, error = audit
    return status if status == "skipped" else f"{status}, worst relative error {error:.1e}"
