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

from . import backend, finite_differences as fd
from .engine import grad
from .grad_mode import enable_grad, no_grad
from .factories import zeros_like
from .tensor import Tensor


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
    outs = _float_outputs(fn(*inputs))
    if grad_outputs is None:
        gen = _fresh_generator(inputs, seed + 1)
        grad_outputs = [Tensor._make(fd.random_like(o.data, gen)).requires_grad_() for o in outs]
    else:
        grad_outputs = _as_list(grad_outputs)
    n = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if _differentiable(x)]

    def first_order(*args):
        xs, ws = args[:n], args[n:]
        with enable_grad():
            backend.set_rng_state(rng_state)
            ys = _float_outputs(fn(*xs))
            used = [(y, w) for y, w in zip(ys, ws) if y.requires_grad]
            gs = grad([y for y, _ in used], [xs[i] for i in wrt], [w for _, w in used],
                      create_graph=True, allow_unused=True)
        return tuple(zeros_like(xs[i]) if g is None else g for i, g in zip(wrt, gs))

    return gradcheck(first_order, inputs + list(grad_outputs), eps, atol, rtol,
                     raise_exception, elementwise_limit, seed)


def _as_list(inputs):
    return [inputs] if isinstance(inputs, Tensor) else list(inputs)


def _float_outputs(out):
    """fn's result as a list of its floating-point tensors."""
    return [o for o in (out if isinstance(out, (tuple, list)) else [out]) if o.dtype.kind == "f"]


def _differentiable(x):
    return isinstance(x, Tensor) and x.requires_grad


def _fresh_generator(inputs, seed):
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    return backend.fresh_generator(like.device if like is not None else "cpu", seed)


def _inputs_to_vary(inputs):
    """The indices of the inputs that require grad, all float64."""
    wrt = [i for i, x in enumerate(inputs) if _differentiable(x)]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    for i in wrt:
        if inputs[i].dtype != backend.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                            "need float64 inputs (use .double())")
    return wrt


def _check(fn, inputs, eps, atol, rtol, elementwise_limit, seed):
    wrt = _inputs_to_vary(inputs)
    rng_state = backend.get_rng_state()
    gen = _fresh_generator(inputs, seed)
    with enable_grad():
        outs = _float_outputs(fn(*inputs))
    if not outs:
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    ws = [fd.random_like(o.data, gen) for o in outs]
    analytic = fd.vjp(outs, [inputs[i] for i in wrt], ws)

    def f(arrays):
        """fn's float outputs with the arrays of ``wrt`` replaced."""
        args = list(inputs)
        for i, a in zip(wrt, arrays):
            args[i] = Tensor._make(a, requires_grad=True)
        backend.set_rng_state(rng_state)
        with no_grad():
            return [o.data for o in _float_outputs(fn(*args))]

    base = [inputs[i].data for i in wrt]
    if sum(a.size for a in base) <= elementwise_limit:      # element by element, on small inputs
        _elementwise(inputs, wrt, base, analytic, f, ws, eps, atol, rtol)
    _directional(base, analytic, f, ws, gen, eps, atol, rtol)


def _elementwise(inputs, wrt, base, analytic, f, ws, eps, atol, rtol):
    """Each element of the analytic vjp against its own central difference."""
    for k, (i, a) in enumerate(zip(wrt, base)):
        flat_grad = backend.to_numpy(analytic[k]).reshape(-1)
        for j, num in fd.each_element(f, ws, base, k, eps):
            ana = float(flat_grad[j])
            if abs(ana - num) > atol + rtol * abs(num):
                name = f" '{inputs[i].name}'" if inputs[i].name else ""
                raise GradcheckError(
                    f"gradcheck failed for input {i}{name} (shape {tuple(a.shape)}) at index "
                    f"{_unravel(j, a.shape)}: analytic {ana:.8g}, numeric {num:.8g} "
                    f"(|difference| {abs(ana - num):.3g} > atol + rtol*|numeric| = "
                    f"{atol + rtol * abs(num):.3g})")


def _directional(base, analytic, f, ws, gen, eps, atol, rtol):
    """d/dt <w, f(x + t u)> at 0 against <vjp(w), u> for a random direction u."""
    us = [fd.random_like(a, gen) for a in base]
    numeric = fd.along(f, ws, base, us, eps)
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
