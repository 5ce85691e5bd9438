"""Function transforms built on the reverse pass, as torch.autograd.functional:
vjp, jvp (by the double-backward trick), jacobian, hessian, hvp.

``func`` takes Tensors and returns a Tensor (or a tuple); ``inputs`` is a
Tensor or a tuple of Tensors, and results follow the same structure.
"""
from __future__ import annotations

from .engine import grad
from .grad_mode import enable_grad
from .ops.shape import stack
from .factories import ones_like, zeros, zeros_like
from .tensor import Tensor


def _tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _like(structure, values):
    return values[0] if isinstance(structure, Tensor) else tuple(values)


def _prepare(inputs, create_graph):
    """Leaves to differentiate at: the inputs themselves when a graph through
    them is wanted, else fresh leaves holding the same values."""
    out = []
    for x in _tuple(inputs):
        if not isinstance(x, Tensor) or x.dtype.kind != "f":
            raise TypeError(f"functional transforms need floating-point Tensor inputs, got "
                            f"{getattr(x, 'dtype', type(x).__name__)}")
        out.append(x if create_graph and x.requires_grad else x.detach().requires_grad_())
    return tuple(out)


def _grads(outputs, inputs, cotangents, create_graph):
    """Gradients of <cotangents, outputs> w.r.t. inputs, zeros where unused."""
    used = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not used:
        return tuple(zeros_like(x) for x in inputs)
    gs = grad([o for o, _ in used], list(inputs), [c for _, c in used],
              retain_graph=True, create_graph=create_graph, allow_unused=True)
    return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, gs))


def _check_like(vs, refs, what):
    for v, r in zip(vs, refs):
        if v.shape != r.shape:
            raise ValueError(f"{what}: v of shape {v.shape} does not match {r.shape}")


def vjp(func, inputs, v=None, create_graph=False):
    """(func(inputs), v^T J): the vector-Jacobian product. ``v`` may be
    omitted for a single-element output."""
    xs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*xs)
    outs = _tuple(out)
    vs = tuple(ones_like(o) for o in outs) if v is None else _tuple(v)
    _check_like(vs, outs, "vjp")
    g = _grads(outs, xs, vs, create_graph)
    return _detached(out, create_graph), _like(inputs, g)


def jvp(func, inputs, v, create_graph=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward
    trick: J v = d/du <u, J v> of the vjp u^T J, which is linear in u."""
    xs = _prepare(inputs, True)
    vs = _tuple(v)
    _check_like(vs, xs, "jvp")
    with enable_grad():
        out = func(*xs)
        outs = _tuple(out)
        us = tuple(zeros_like(o).requires_grad_() for o in outs)      # dummy cotangents
        g = _grads(outs, xs, us, create_graph=True)                      # u^T J, linear in u
        jv = _grads(g, us, vs, create_graph)
    return _detached(out, create_graph), _like(out, jv)


def jacobian(func, inputs, create_graph=False):
    """d out / d in, shaped out.shape + in.shape, one reverse pass per output
    element. Nested tuples (outputs x inputs) for tuple outputs / inputs."""
    xs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*xs)
    outs = _tuple(out)
    rows = []
    for o in outs:
        per_input = [[] for _ in xs]
        for k in range(o.numel()):
            e = zeros(o.numel(), dtype=o.dtype, device=o.device)
            e.data[k] = 1
            g = _grads((o,), xs, (e.reshape(o.shape),), create_graph)
            for i, gi in enumerate(g):
                per_input[i].append(gi)
        blocks = []
        for x, gs in zip(xs, per_input):
            j = stack(gs, axis=0) if gs else zeros(0, *x.shape, dtype=x.dtype, device=x.device)
            blocks.append(j.reshape(o.shape + x.shape))
        rows.append(_like(inputs, blocks))
    return _like(out, rows)


def hessian(func, inputs, create_graph=False):
    """Second derivatives of a scalar function: the Jacobian of its gradient."""
    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise ValueError(f"hessian: func must return a single element, got shape {out.shape}")
        return _like(inputs, _grads((out,), xs, (ones_like(out),), True))
    return jacobian(gradient, inputs, create_graph)


def hvp(func, inputs, v, create_graph=False):
    """(func(inputs), H v) for a scalar function, without forming H."""
    xs = _prepare(inputs, True)
    vs = _tuple(v)
    _check_like(vs, xs, "hvp")
    with enable_grad():
        out = func(*xs)
        if out.numel() != 1:
            raise ValueError(f"hvp: func must return a single element, got shape {out.shape}")
        g = _grads((out,), xs, (ones_like(out),), True)
        dot = sum(((gi * vi).sum() for gi, vi in zip(g, vs)), start=zeros((), dtype=out.dtype,
                                                                          device=out.device))
        hv = _grads((dot,), xs, (ones_like(dot),), create_graph)
    return _detached(out, create_graph), _like(inputs, hv)


def _detached(out, keep):
    if keep:
        return out
    return out.detach() if isinstance(out, Tensor) else tuple(o.detach() for o in out)
