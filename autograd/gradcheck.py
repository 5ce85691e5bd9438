"""Gradient checking against central finite differences, in float64.

Two checks, as JAX's ``check_vjp`` and PyTorch's gradcheck do:
- a random-direction check, cheap on inputs of any size: for a random
  direction u and output cotangent w, d/dt <w, f(x + t u)> must equal
  <vjp(w), u>;
- an elementwise check on small inputs: each element of vjp(w) against its
  own finite difference; a failure names the input, the index, and both
  values.
Random-number state is replayed before every evaluation, so functions with
dropout see the same masks each time.
"""
from __future__ import annotations

from . import backend
from .engine import grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, zeros_like


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              elementwise_limit=2048, seed=0):
    """Check the gradients of ``fn(*inputs)`` with respect to every input
    that requires grad. Returns True, or raises GradcheckError (returns False
    with ``raise_exception=False``)."""
    try:
        _check(fn, _as_list(inputs), eps, atol, rtol, elementwise_limit, seed)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, elementwise_limit=2048, seed=0):
    """Check second derivatives: gradcheck of (inputs, w) -> vjp_fn(w), the
    first-order gradients computed with ``create_graph=True``."""
    inputs = _as_list(inputs)
    rng_state = backend.get_rng_state()
    outs = [o for o in _outputs(fn(*inputs)) if o.dtype.kind == "f"]
    if grad_outputs is None:
        gen = _fresh_generator(inputs, seed + 1)
        grad_outputs = [_random_like(o, gen, requires_grad=True) for o in outs]
    else:
        grad_outputs = _as_list(grad_outputs)
    n = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if _differentiable(x)]

    def first_order(*args):
        xs, ws = args[:n], args[n:]
        with enable_grad():
            backend.set_rng_state(rng_state)
            ys = [o for o in _outputs(fn(*xs)) if o.dtype.kind == "f"]
            used = [(y, w) for y, w in zip(ys, ws) if y.requires_grad]
            gs = grad([y for y, _ in used], [xs[i] for i in wrt], [w for _, w in used],
                      create_graph=True, allow_unused=True)
        return tuple(zeros_like(xs[i]) if g is None else g for i, g in zip(wrt, gs))

    return gradcheck(first_order, inputs + list(grad_outputs), eps, atol, rtol,
                     raise_exception, elementwise_limit, seed)


def _as_list(inputs):
    return [inputs] if isinstance(inputs, Tensor) else list(inputs)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _differentiable(x):
    return isinstance(x, Tensor) and x.requires_grad


def _fresh_generator(inputs, seed):
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    return backend.fresh_generator(like.device if like is not None else "cpu", seed)


def _random_like(t, gen, requires_grad=False):
    out = Tensor._make(gen.standard_normal(t.shape, dtype=t.dtype))
    if backend.device_of(out.data) != t.device:
        out = Tensor._make(backend.asarray(out.data, device=t.device))
    out.requires_grad = requires_grad
    return out


def _check(fn, inputs, eps, atol, rtol, elementwise_limit, seed):
    wrt = [i for i, x in enumerate(inputs) if _differentiable(x)]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    for i in wrt:
        if inputs[i].dtype != backend.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                            "need float64 inputs (use .double())")
    rng_state = backend.get_rng_state()
    gen = _fresh_generator(inputs, seed)

    with enable_grad():
        outs = [o for o in _outputs(fn(*inputs)) if o.dtype.kind == "f"]
    if not outs:
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    ws = [_random_like(o, gen) for o in outs]
    used = [(o, w) for o, w in zip(outs, ws) if o.requires_grad]
    if used:
        analytic = grad([o for o, _ in used], [inputs[i] for i in wrt], [w for _, w in used],
                        allow_unused=True)
    else:
        analytic = [None] * len(wrt)
    analytic = [zeros_like(inputs[i]).data if g is None else g.data
                for i, g in zip(wrt, analytic)]

    def outputs(arrays):
        """fn's float outputs with the arrays of ``wrt`` replaced."""
        args = list(inputs)
        for i, a in zip(wrt, arrays):
            args[i] = Tensor._make(a, requires_grad=True)
        backend.set_rng_state(rng_state)
        with no_grad():
            return [o.data for o in _outputs(fn(*args)) if o.dtype.kind == "f"]

    def slope(plus, minus):
        """<w, fn(plus) - fn(minus)> / 2 eps: outputs differenced element by
        element first, so large constants in them (masked scores) cancel."""
        return sum(float((w.data * (a - b)).sum())
                   for w, a, b in zip(ws, outputs(plus), outputs(minus))) / (2 * eps)

    base = [inputs[i].data for i in wrt]

    # Element by element, on small inputs.
    if sum(a.size for a in base) <= elementwise_limit:
        _elementwise(inputs, wrt, base, analytic, slope, eps, atol, rtol)
    _directional(inputs, wrt, base, analytic, slope, gen, eps, atol, rtol)


def _elementwise(inputs, wrt, base, analytic, slope, eps, atol, rtol):
    """Each element of the analytic vjp against its own central difference."""
    for k, (i, a) in enumerate(zip(wrt, base)):
        flat_grad = backend.to_numpy(analytic[k]).reshape(-1)
        for j in range(a.size):
            plus, minus = list(base), list(base)
            plus[k], minus[k] = a.copy(), a.copy()
            plus[k].reshape(-1)[j] += eps
            minus[k].reshape(-1)[j] -= eps
            num = slope(plus, minus)
            ana = float(flat_grad[j])
            if abs(ana - num) > atol + rtol * abs(num):
                name = f" '{inputs[i].name}'" if inputs[i].name else ""
                raise GradcheckError(
                    f"gradcheck failed for input {i}{name} (shape {tuple(a.shape)}) at index "
                    f"{_unravel(j, a.shape)}: analytic {ana:.8g}, numeric {num:.8g} "
                    f"(|difference| {abs(ana - num):.3g} > atol + rtol*|numeric| = "
                    f"{atol + rtol * abs(num):.3g})")


def _directional(inputs, wrt, base, analytic, slope, gen, eps, atol, rtol):
    """d/dt <w, f(x + t u)> at 0 against <vjp(w), u> for a random direction u."""
    us = [gen.standard_normal(a.shape, dtype=a.dtype) for a in base]
    us = [backend.asarray(u, device=inputs[i].device) for i, u in zip(wrt, us)]
    numeric = slope([a + eps * u for a, u in zip(base, us)],
                    [a - eps * u for a, u in zip(base, us)])
    exact = sum(float((g * u).sum()) for g, u in zip(analytic, us))
    if abs(exact - numeric) > atol + rtol * abs(numeric):
        raise GradcheckError(
            f"gradcheck failed in a random direction: analytic {exact:.8g}, numeric "
            f"{numeric:.8g} (|difference| {abs(exact - numeric):.3g} > atol + rtol*|numeric| "
            f"= {atol + rtol * abs(numeric):.3g})")


def _unravel(j, shape):
    index = []
    for s in reversed(shape):
        index.append(j % s)
        j //= s
    return tuple(reversed(index))
