"""Walk the graph that autograd recorded, the very one ``backward()`` walks,
into plain nodes and edges (``tools.graph_data``).

    graph = walk(loss, model=model)

The walk is iterative (a chain of 100,000 ops is fine), deterministic (ids
follow the forward order of the ops and the order of their inputs, so the
same model gives the same graph) and read-only: it never records an op,
frees a saved value, or touches a ``.grad``.

``backward()`` without ``retain_graph=True`` frees each op's inputs, so walk
before it, or backpropagate with ``retain_graph=True``. Intermediate tensors
have a ``.grad`` only if ``retain_grad()`` was called on them before
backward (``retain_all_grads`` does that for a whole graph).
"""
from __future__ import annotations

import gc
import math

import autograd as ag
import nn
from autograd.graph import recorded_ops
from autograd.tensor import Tensor

from .graph_data import Edge, Graph, ModuleInfo, Node


def walk(outputs, model=None, order=None, base=None, audit=None, max_depth=None) -> Graph:
    """Nodes and edges of the graph that produced ``outputs`` (a Tensor or a
    list of them).

    model: an ``nn.Module``; its parameters are labelled with their dotted
        paths (``encoder.layers.0.self_attn.w_q.weight``) and its module
        tree gives the clusters and the parameter counts of collapsed modules.
    order: the ops in the order a backward pass visited them (from
        ``tools.backward_order.record()``); each op's step is kept in
        ``graph.order_of`` for ``add_backward``.
    base: output tensor(s) of an earlier graph (the forward pass of a
        ``create_graph=True`` gradient): ops not in it are flagged
        ``from_backward``.
    audit: an ``autograd.check_graph`` report: each op gets its result.
    max_depth: only the ops at most that many steps up from the outputs'.
    """
    outputs = as_tensor_list(outputs, "outputs")
    was_enabled = gc.isenabled()
    gc.disable()              # hundreds of thousands of new objects, none of them cyclic
    try:
        return _walk(outputs, model, order, base, audit, max_depth)
    finally:
        if was_enabled:
            gc.enable()


def _walk(outputs, model, order, base, audit, max_depth) -> Graph:
    ops = ops_in_order(outputs, max_depth)
    op_ids = {fn: f"op{i}" for i, fn in enumerate(ops)}
    base_ops = set(ops_in_order(as_tensor_list(base, "base"))) if base is not None else None
    graph = Graph()
    tensors = _op_nodes(graph, ops, op_ids, outputs, base_ops, audit)
    params = _parameter_names(model)
    output_ids = {id(t) for t in outputs}
    for key, (node_id, t, fn, paths) in tensors.items():
        graph.nodes.append(_tensor_node(node_id, t, fn, params, paths, key in output_ids))
        graph.sources[node_id] = t
    graph.sources.update((op_id, fn) for fn, op_id in op_ids.items())
    graph.outputs = [tensors[id(t)][0] for t in outputs]
    graph.modules = _module_infos(model)
    graph.order_of = _steps(order, op_ids)
    return graph


def _op_nodes(graph, ops, op_ids, outputs, base_ops, audit):
    """A node per op and the data edges to and from it; returns the tensors
    drawn (every input of an op, and the outputs walked from) as
    id(tensor) -> [node id, tensor, producing op, consumers' module paths]."""
    needed = {id(t) for fn in ops for t in fn.inputs} | {id(t) for t in outputs}
    tensors = {}

    def entry_of(t):
        entry = tensors.get(id(t))
        if entry is None:
            entry = tensors[id(t)] = [f"t{len(tensors)}", t, None, []]
        return entry

    for fn in ops:
        op_id, path = op_ids[fn], fn.module_path
        graph.nodes.append(Node(id=op_id, kind="op", label=fn.name, module=path,
                                settings={k: format_setting(v) for k, v in fn.settings().items()},
                                from_backward=base_ops is not None and fn not in base_ops,
                                audit=_audit_result(audit, fn)))
        for slot, x in enumerate(fn.inputs):
            entry = entry_of(x)
            entry[3].append(path)
            graph.edges.append(Edge(entry[0], op_id, "data", slot))
        for slot, ref in enumerate(fn.outputs):
            y = ref()
            if y is not None and id(y) in needed:
                entry = entry_of(y)
                entry[2] = fn
                graph.edges.append(Edge(op_id, entry[0], "data", slot))
    for t in outputs:
        entry_of(t)
    return tensors


def ops_in_order(outputs, max_depth=None) -> list:
    """The ops that produced ``outputs``, in forward order (autograd's walk)."""
    return recorded_ops(outputs, max_depth)


def retain_all_grads(outputs) -> int:
    """Call ``retain_grad()`` on every intermediate tensor of the graph, so
    that a following backward leaves their gradients (and norms) to draw.
    Returns how many tensors it marked."""
    count = 0
    outputs = as_tensor_list(outputs, "outputs")
    for fn in ops_in_order(outputs):
        for x in fn.inputs:
            if x.grad_fn is not None and not x._retain_grad:
                x.retain_grad()
                count += 1
    for t in outputs:
        if t.grad_fn is not None and not t._retain_grad:
            t.retain_grad()
            count += 1
    return count


def format_setting(value) -> str:
    """A setting as short, stable text: numbers, tuples, slices; arrays and
    tensors by shape only; functions by name (never a memory address)."""
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        value = value.item()                       # a NumPy scalar, a 0-d array or tensor
    if isinstance(value, (bool, int, str)) or value is None:
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, slice):
        parts = ["" if v is None else format_setting(v)
                 for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if value is Ellipsis:
        return "..."
    if isinstance(value, (tuple, list)):
        inner = ", ".join(format_setting(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"{type(value).__name__}{tuple(shape)} {value.dtype}"
    if callable(value):
        return getattr(value, "__qualname__", None) or type(value).__name__
    return type(value).__name__


def format_shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def grad_stats(grad):
    """(L2 norm, has NaN or Inf) of a gradient, computed without recording."""
    if grad.data.size == 0:
        return 0.0, False
    with ag.no_grad():
        g = grad.detach().astype(ag.float64)
        norm = (g * g).sum().sqrt().item()
        peak = g.abs().max().item()
    return norm, not math.isfinite(peak)


# -- helpers -----------------------------------------------------------------

def as_tensor_list(value, what) -> list:
    items = [value] if isinstance(value, Tensor) else list(value)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"graph walk: {what}[{i}] is a {type(t).__name__}, not a Tensor")
    if not items:
        raise ValueError(f"graph walk: no {what} tensors given")
    return items


def _parameter_names(model):
    """id(parameter) -> every dotted name it has in the model (first is its own)."""
    if model is None:
        return {}
    if not isinstance(model, nn.Module):
        raise TypeError(f"graph walk: model must be an nn.Module, got {type(model).__name__}")
    names = {}
    for name, p in model.named_parameters(prefix=model.path, remove_duplicate=False):
        names.setdefault(id(p), []).append(name)
    return names


def _module_infos(model) -> dict:
    if model is None:
        return {}
    return {path: ModuleInfo(type(m).__name__, m.num_parameters(),
                             type(m).forward is nn.Module.forward)
            for path, m in model.named_modules(prefix=model.path)}


def _common_path(paths) -> str:
    """The longest dotted prefix shared by all ``paths``."""
    if not paths:
        return ""
    parts = paths[0].split(".") if paths[0] else []
    for p in paths[1:]:
        other = p.split(".") if p else []
        n = 0
        while n < min(len(parts), len(other)) and parts[n] == other[n]:
            n += 1
        parts = parts[:n]
    return ".".join(parts)


def _audit_result(audit, fn):
    """("ok" | "fail" | "skipped", worst relative error) of an audited op."""
    if audit is None:
        return None
    try:
        check = audit[fn]
    except KeyError:
        return None
    status = "skipped" if check.skipped else ("ok" if check.ok else "fail")
    return status, check.max_relative


def _tensor_node(node_id, t, fn, params, consumer_paths, is_output) -> Node:
    names = params.get(id(t), [])
    is_param = isinstance(t, nn.Parameter) or bool(names)
    leaf = t.grad_fn is None
    # Numbers, tables and buffers the ops use, as opposed to data fed in
    # (anything named, needing grad, or integer/boolean like ids and masks).
    constant = (leaf and not is_param and not t._requires_grad and not is_output
                and (t.ndim == 0 or (t.dtype.kind == "f" and not t.name)))
    if fn is not None:
        module = fn.module_path               # made by the op's module
    elif names:
        module = names[0].rpartition(".")[0]  # owned by the module that holds it
    elif is_param or constant:
        module = _common_path(consumer_paths)  # no owner known: where it is used
    else:
        module = ""                           # data fed in from outside
    node = Node(id=node_id, kind="tensor", label=t.name or "", module=module,
                shape=tuple(t.shape), dtype=_dtype_name(t.dtype),
                parameter=names[0] if names else (t.name if is_param else None),
                aliases=tuple(names[1:]), is_parameter=is_param, is_leaf=leaf,
                is_input=leaf and not is_param and not constant, is_constant=constant,
                is_output=is_output, requires_grad=t._requires_grad)
    if constant and t.data.size == 1:
        node.value = format_setting(t.item()) if t.dtype.kind in "fiub" else None
    if t.grad is not None:
        node.grad_norm, node.grad_nonfinite = grad_stats(t.grad)
    return node


_DTYPE_NAMES = {}      # id(dtype) -> (dtype, its name): str(dtype) is slow, ids are not


def _dtype_name(dtype) -> str:
    entry = _DTYPE_NAMES.get(id(dtype))
    if entry is None:
        entry = _DTYPE_NAMES[id(dtype)] = (dtype, str(dtype))   # keeps the id taken
    return entry[1]


def _steps(order, op_ids) -> dict:
    """node id -> 1-based step of its first visit, counting only this graph's ops."""
    if order is None:
        return {}
    steps = {}
    for fn in order:
        node_id = op_ids.get(fn)
        if node_id is not None and node_id not in steps:
            steps[node_id] = len(steps) + 1
    return steps
