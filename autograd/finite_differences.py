"""Central finite differences: the numeric side of ``gradcheck`` and of
``check_graph``.

Both compare an analytic vector-Jacobian product w^T J with the slope of
t -> <w, f(x + t u)> at t = 0, estimated as

    (<w, f(x + eps u)> - <w, f(x - eps u)>) / (2 eps)

in a random direction u (cheap for inputs of any size) and, on small
inputs, along each element in turn. ``f`` maps a list of arrays (the
inputs being varied) to the list of its output arrays.
"""
from __future__ import annotations

from . import backend
from .engine import grad
from .factories import zeros_like
from .tensor import Tensor


def slope(f, ws, plus, minus, eps) -> float:
    """<w, f(plus) - f(minus)> / 2 eps, the outputs differenced element by
    element first, so that large constants in them (masked scores) cancel."""
    return sum(float((w * (a - b)).sum()) for w, a, b in zip(ws, f(plus), f(minus))) / (2 * eps)


def along(f, ws, base, directions, eps) -> float:
    """The slope at ``base`` in ``directions`` (one array per base array, or
    None to hold that one fixed)."""
    plus = [a if u is None else a + eps * u for a, u in zip(base, directions)]
    minus = [a if u is None else a - eps * u for a, u in zip(base, directions)]
    return slope(f, ws, plus, minus, eps)


def each_element(f, ws, base, k, eps):
    """(flat index j, the slope along element j of ``base[k]``) for every
    element of ``base[k]``."""
    a = base[k]
    for j in range(a.size):
        plus, minus = list(base), list(base)
        plus[k], minus[k] = a.copy(), a.copy()
        plus[k].reshape(-1)[j] += eps
        minus[k].reshape(-1)[j] -= eps
        yield j, slope(f, ws, plus, minus, eps)


def random_like(array, gen):
    """Standard normal values of ``array``'s shape, dtype and device, from ``gen``."""
    u = gen.standard_normal(array.shape, dtype=array.dtype)
    return backend.asarray(u, device=backend.device_of(array))


def vjp(outputs, inputs, ws):
    """The analytic w^T J: the gradient array of each of ``inputs`` (zeros
    where no output depends on it) for the cotangents ``ws`` (arrays)."""
    used = [(o, w) for o, w in zip(outputs, ws) if o.requires_grad]
    grads = grad([o for o, _ in used], inputs, [Tensor._make(w) for _, w in used],
                 allow_unused=True) if used else [None] * len(inputs)
    return [zeros_like(x).data if g is None else g.data for x, g in zip(inputs, grads)]
