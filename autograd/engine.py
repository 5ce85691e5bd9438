"""The reverse pass.

1. Walk the graph from the roots (iteratively: a chain of 100,000 ops must
   not hit Python's recursion limit) into a topological order of the ops.
2. Visit the ops in that order, each once, after every consumer of its
   outputs has contributed: call its ``backward``, sum a broadcast input's
   gradient back to the input's shape (here, once, for every op), check
   shape and dtype, and accumulate into the input's pending gradient.
3. Free what each op saved unless ``retain_graph``; record nothing unless
   ``create_graph``.
"""
from __future__ import annotations

from . import backend
from .function import Function
from .graph import post_order
from .grad_mode import set_grad_enabled, state
from .tensor import Tensor

# A list here makes every backward append each op it visits, in order (for
# tools/ to draw the order); None, the default, records nothing.
visit_log = None


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
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
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


def _seeds(tensors, grads, caller):
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


def _where(fn):
    path = getattr(fn, "module_path", "")
    return f" in module '{path}'" if path else ""


def _run(roots, seeds, retain_graph, create_graph, wanted, partial):
    """Backpropagate; returns {id: (tensor, gradient)} for the leaves reached
    (and, for ``grad``, the wanted tensors)."""
    order = _order(roots, wanted, partial)
    pending = {}
    for t, g in zip(roots, seeds):
        _accumulate(pending, t, g)
    log = visit_log
    anomaly = state.anomaly
    outer_scope = state.scope
    try:
        with set_grad_enabled(create_graph):
            keep = wanted or ()
            for fn in order:
                gys = []
                used = False
                for ref in fn.outputs:
                    out = ref()
                    key = id(out)
                    entry = pending.get(key) if out is not None else None
                    if entry is None:
                        gys.append(None)
                        continue
                    if key not in keep:
                        del pending[key]
                    g = entry[1]
                    if out._hooks:
                        g = _run_hooks(out, g)
                        if key in keep:
                            pending[key] = (out, g)
                    if out._retain_grad:
                        out.grad = g if out.grad is None else out.grad + g
                    gys.append(g)
                    used = True
                if not used:
                    continue
                _check_versions(fn)
                if log is not None:
                    log.append(fn)
                state.scope = fn.module_path     # ops a create_graph backward records
                if anomaly:
                    state.anomaly = False    # judge the op by its gradients, not its parts
                    try:
                        gxs = fn.backward(*gys)
                    finally:
                        state.anomaly = True
                else:
                    gxs = fn.backward(*gys)
                if not isinstance(gxs, tuple):
                    gxs = (gxs,)
                inputs = fn.inputs
                if len(gxs) != len(inputs):
                    raise RuntimeError(f"{fn.name}.backward returned {len(gxs)} gradients for "
                                       f"{len(inputs)} inputs")
                for i, (x, gx) in enumerate(zip(inputs, gxs)):
                    if gx is not None and x._requires_grad:
                        gx = _fit(gx, x, fn)
                        if anomaly:
                            from .anomaly import check_gradient
                            check_gradient(fn, i, gx)
                        _accumulate(pending, x, gx)
                if not retain_graph:
                    fn.inputs = None
                    fn.saved = None
    finally:
        state.scope = outer_scope
    for key, (t, g) in list(pending.items()):   # leaves (and wanted tensors) are complete now
        if t._hooks and t.grad_fn is None:
            pending[key] = (t, _run_hooks(t, g))
    return pending


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


def _accumulate(pending, t, g):
    key = id(t)
    entry = pending.get(key)
    pending[key] = (t, g if entry is None else entry[1] + g)


def _fit(gx, x, fn):
    """Sum a broadcast gradient back to the input's shape; check it."""
    if not isinstance(gx, Tensor):
        raise TypeError(f"{fn.name}.backward returned a {type(gx).__name__}, not a Tensor")
    g, a = gx.data, x.data
    if g.shape == a.shape and g.dtype == a.dtype:
        return gx                                   # the common case, checked cheaply
    if gx.shape != x.shape:
        from .ops.reduction import sum_to
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
