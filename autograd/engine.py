"""The reverse pass.

    order = the ops between the outputs and the leaves, each after every op
            that consumes its outputs (topological order, walked iteratively)
    seed    the outputs' gradients (1 for a scalar loss)
    for op in order:
        gys = gradients of op's outputs             (complete: consumers came first)
        gxs = op.backward(*gys)                     (the chain rule, for this op)
        each gx summed back to its input's shape    (un-broadcast, once, here)
        and added to that input's pending gradient  (accumulate)

Everything else (hooks, retain_grad, the in-place version check, anomaly
mode, observers, freeing what ops saved) sits behind one named call.
"""
from __future__ import annotations

import contextlib

from . import anomaly, backend
from .function import Function
from .graph import post_order
from .grad_mode import set_grad_enabled, state
from .ops.reduction import sum_to
from .tensor import Tensor

# Callables fn -> None, told of each op whose backward is about to run, in
# order (see ``observing``); empty by default, costing one test per op.
_observers = []


def backward(tensors, grad_tensors=None, retain_graph=False, create_graph=False):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of every
    leaf that requires grad."""
    roots, seeds = _seeds(tensors, grad_tensors, "backward")
    pending = _run(roots, seeds, retain_graph, create_graph, None, False)
    given = set()  # each leaf gets a .grad of its own, never a view or a shared one
    for leaf, g in pending.values():
        if leaf.grad_fn is None and leaf._requires_grad:
            if leaf.grad is not None:
                leaf.grad = leaf.grad + g
            elif create_graph or (g.data.base is None and id(g.data) not in given):
                leaf.grad = g
            else:
                leaf.grad = Tensor._make(g.data.copy())
            given.add(id(leaf.grad.data))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, partial=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a
    tuple; ``.grad`` attributes are left untouched. With ``create_graph`` the
    results are themselves differentiable. ``partial=True`` treats the inputs
    as independent variables: paths through one input's history to another
    input are not followed."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    roots, seeds = _seeds(outputs, grad_outputs, "grad")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    wanted = {id(x) for x in inputs}
    pending = _run(roots, seeds, retain_graph, create_graph, wanted, partial)
    result = []
    for i, x in enumerate(inputs):
        entry = pending.get(id(x))
        if entry is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) was not used to compute "
                               "the outputs; pass allow_unused=True to get None for it")
        result.append(None if entry is None else entry[1])
    return tuple(result)


def schedule(outputs, inputs=None, partial=False) -> list:
    """The ops in the order ``backward()`` from ``outputs`` visits them, each
    after all the ops that consume its outputs. With ``inputs`` (what ``grad``
    asks for), only ops on a path to one of them; with ``partial``, not
    beyond them."""
    roots = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    wanted = None if inputs is None else {id(x) for x in inputs}
    return _order(roots, wanted, partial)


@contextlib.contextmanager
def observing(callback):
    """``with observing(order.append): loss.backward()``: ``callback(op)`` is
    called for each op whose backward runs inside the block, in the order the
    engine runs them (tools/ draws this order)."""
    _observers.append(callback)
    try:
        yield callback
    finally:
        _observers.remove(callback)


# -- the reverse pass ---------------------------------------------------------

def _run(roots, seeds, retain_graph, create_graph, wanted, partial):
    """Backpropagate; returns {id: (tensor, gradient)} for the leaves reached
    (and, for ``grad``, the wanted tensors)."""
    pending = {}
    for t, g in zip(roots, seeds):
        _accumulate(pending, t, g)
    keep = wanted or ()
    outer_scope = state.scope
    try:
        with set_grad_enabled(create_graph), anomaly.watching() as judged:
            for fn in _order(roots, wanted, partial):
                gys, outs = _output_grads(fn, pending, keep)  # outs: alive until backward ran
                if outs is None:
                    continue                        # no gradient reached this op
                gxs = _call_backward(fn, gys, judged)
                for x, gx in zip(fn.inputs, gxs):
                    if gx is not None and x._requires_grad:
                        _accumulate(pending, x, _fit_to_input(gx, x, fn))
                if not retain_graph:
                    _free(fn)
    finally:
        state.scope = outer_scope
    return _finish_leaves(pending)


def _output_grads(fn, pending, keep):
    """The complete gradients of fn's outputs (None for an output no
    gradient reached), taken out of ``pending``, after their hooks and
    ``retain_grad``, and the outputs themselves (their last reference may
    have been in ``pending``); (None, None) if no output has a gradient."""
    gys, outs, used = [], [], False
    for ref in fn.outputs:
        out = ref()
        outs.append(out)
        key = id(out)
        entry = pending.get(key) if out is not None else None
        if entry is None:
            gys.append(None)
            continue
        g = entry[1]
        if out._hooks:
            g = _run_hooks(out, g)
        if key in keep:
            pending[key] = (out, g)
        else:
            del pending[key]
        if out._retain_grad:
            out.grad = g if out.grad is None else out.grad + g
        gys.append(g)
        used = True
    return (gys, outs) if used else (None, None)


def _call_backward(fn, gys, judged):
    """``fn.backward`` (its one call site), after the version check and the
    observers, under fn's module path (ops that a create_graph backward
    records belong to fn's module), its gradients ``judged`` by anomaly mode."""
    _check_versions(fn)
    for observe in _observers:
        observe(fn)
    state.scope = fn.module_path
    gxs = judged(fn, fn.backward(*gys))
    if len(gxs) != len(fn.inputs):
        raise RuntimeError(f"{fn.name}.backward returned {len(gxs)} gradients for "
                           f"{len(fn.inputs)} inputs")
    return gxs


def _fit_to_input(gx, x, fn):
    """Sum a broadcast gradient back to the input's shape; check its type,
    shape and dtype."""
    if not isinstance(gx, Tensor):
        raise TypeError(f"{fn.name}.backward returned a {type(gx).__name__}, not a Tensor")
    g, a = gx.data, x.data
    if g.shape == a.shape and g.dtype == a.dtype:
        return gx                                   # the common case, checked cheaply
    if gx.shape != x.shape:
        try:
            gx = sum_to(gx, x.shape)
        except ValueError:
            raise RuntimeError(f"{fn.name}{_where(fn)}: backward gave a gradient of shape "
                               f"{gx.shape} for an input of shape {x.shape}") from None
    if gx.dtype != x.dtype:
        if gx.dtype.kind == "f" and x.dtype.kind == "f":
            gx = gx.astype(x.dtype)   # an input promoted by NumPy's rules
        else:
            raise RuntimeError(f"{fn.name}{_where(fn)}: backward gave a {gx.dtype} gradient "
                               f"for a {x.dtype} input")
    return gx


def _accumulate(pending, t, g):
    """Add ``g`` to the gradient pending for ``t``."""
    key = id(t)
    entry = pending.get(key)
    pending[key] = (t, g if entry is None else entry[1] + g)


def _free(fn):
    """Drop what fn kept for backward: a second backward through it is then
    an error that says to pass retain_graph."""
    fn.inputs = None
    fn.saved = None


def _finish_leaves(pending):
    """Leaves (and wanted tensors) are complete now: run their hooks."""
    for key, (t, g) in list(pending.items()):
        if t._hooks and t.grad_fn is None:
            pending[key] = (t, _run_hooks(t, g))
    return pending


# -- the order ----------------------------------------------------------------

def _order(roots, wanted, partial):
    """Ops reachable from the roots, each after all its consumers. With
    ``wanted`` (ids of the tensors ``grad`` asks for), only ops on a path to
    one of them; with ``partial``, not beyond them."""
    stop = wanted if partial else ()
    post = post_order([r.grad_fn for r in roots], lambda fn: (
        x.grad_fn for x in _inputs(fn)
        if x.grad_fn is not None and x._requires_grad and id(x) not in stop))
    if wanted is not None:
        needed = {}
        for fn in post:            # producers come first: their answer is known
            needed[fn] = any(id(x) in wanted or (id(x) not in stop and needed.get(x.grad_fn, False))
                             for x in fn.inputs if x._requires_grad)
        post = [fn for fn in post if needed[fn]]
    post.reverse()
    return post


def _inputs(fn: Function):
    if fn.inputs is None:
        raise RuntimeError(
            f"trying to backward through the graph a second time (op {fn.name}"
            f"{_where(fn)}): its saved values were freed by the first backward. "
            "Pass retain_graph=True to the first backward() if you need to go back twice.")
    return fn.inputs


# -- the side concerns --------------------------------------------------------

def _seeds(tensors, grads, caller):
    """The roots and their starting gradients (ones for a single element)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads = [None] * len(tensors) if grads is None else list(grads)
    if len(grads) != len(tensors):
        raise ValueError(f"{caller}: {len(tensors)} tensors but {len(grads)} gradients")
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t._requires_grad:
            raise RuntimeError(f"{caller}: tensor {i} does not require grad and has no "
                               "grad_fn (was it computed under no_grad, or from tensors "
                               "that do not require grad?)")
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(f"{caller}: a gradient can be implied only for a "
                                   f"single-element output; tensor {i} has shape {t.shape}: "
                                   "pass grad= (e.g. ones_like) or reduce it first")
            g = Tensor._make(backend.ones_like(t.data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(backend.asarray(g, dtype=t.dtype, device=t.device))
        if g.shape != t.shape:
            raise RuntimeError(f"{caller}: gradient of shape {g.shape} given for tensor {i} "
                               f"of shape {t.shape}")
        seeds.append(g)
    return tensors, seeds


def _run_hooks(t, g):
    """Each hook sees the gradient; one that returns a tensor replaces it."""
    for hook in list(t._hooks.values()):
        result = hook(g)
        if result is not None:
            if not isinstance(result, Tensor) or result.shape != g.shape:
                raise RuntimeError(f"a hook on tensor{t._label()} of shape {t.shape} returned "
                                   f"{getattr(result, 'shape', type(result).__name__)}; "
                                   "a hook must return None or a gradient of the same shape")
            g = result
    return g


def _check_versions(fn):
    """An input (or the output) this op's backward reads must not have been
    changed in place since the forward: its gradient would be silently wrong."""
    inputs, versions = fn.inputs, fn._versions
    for i in (range(len(inputs)) if fn.saved_inputs is None else fn.saved_inputs):
        t = inputs[i]
        if t._version != versions[i]:
            _stale(fn, t, f"input {i}", versions[i])
    if fn.saves_output:
        for ref in fn.outputs:
            out = ref()
            if out is not None and out._version != 0:
                _stale(fn, out, "output", 0)


def _stale(fn, t, which, saved_version):
    name = f" '{t.name}'" if t.name else ""
    raise RuntimeError(
        f"{fn.name}{_where(fn)} saved its {which}, tensor{name} of shape {t.shape}, for "
        f"backward at version {saved_version}, but it has been modified in place since "
        f"(now version {t._version}): its gradient would be wrong. Typical cause: an optimizer "
        "step (or another in-place change) between forward and backward; run backward first, "
        "or recompute the forward after the change.")


def _where(fn):
    return f" in module '{fn.module_path}'" if fn.module_path else ""
