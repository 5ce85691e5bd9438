"""Matrix products: ``a @ b`` for 1-D, 2-D and batched operands with NumPy's
broadcast of the batch dimensions, ``linear``, ``bmm`` and ``einsum``."""
from __future__ import annotations

import string

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample
from .common import pair


class Matmul(Function):
    samples = (Sample(Floats((3, 4)), Floats((4, 5))),
               Sample(Floats((4,)), Floats((4, 3))),
               Sample(Floats((3, 4)), Floats((4,))),
               Sample(Floats((4,)), Floats((4,))),
               Sample(Floats((2, 3, 4)), Floats((4, 5))),       # weight shared over a batch
               Sample(Floats((2, 1, 3, 4)), Floats((3, 4, 2))))  # broadcast batch dims

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise OpError(f"matmul: operands must have at least 1 dimension, got shapes "
                          f"{tuple(a.shape)} and {tuple(b.shape)} (use * for scalars)")
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != k_b:
            raise OpError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not match: "
                          f"last axis of a ({a.shape[-1]}) != "
                          f"{'second-to-last' if b.ndim > 1 else 'only'} axis of b ({k_b})")
        try:
            backend.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise OpError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                          "cannot be broadcast together") from None
        return backend.matmul(a, b)

    def backward(self, gy):
        a, b = self.inputs
        # Treat 1-D operands as a row (a) or a column (b), as NumPy does.
        a2 = a if a.ndim > 1 else a.reshape((1, -1))        # (..., n, k)
        b2 = b if b.ndim > 1 else b.reshape((-1, 1))        # (..., k, m)
        n, k, m = a2.shape[-2], a2.shape[-1], b2.shape[-1]
        lead = gy.ndim - (a.ndim > 1) - (b.ndim > 1)
        g = gy.reshape(gy.shape[:lead] + (n, m))            # (..., n, m)
        ga = gb = None
        if a.requires_grad:
            ga = g @ b2.swapaxes(-1, -2)                    # (..., n, k)
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + (k,))
        if b.requires_grad:
            if b.ndim == 2 and a2.ndim > 2:
                # One (k, B*n) @ (B*n, m) product instead of B products summed.
                gb = a2.reshape((-1, k)).T @ g.reshape((-1, m))
            else:
                gb = a2.swapaxes(-1, -2) @ g                # (..., k, m)
            if b.ndim == 1:
                gb = gb.reshape(gb.shape[:-2] + (k,))
        return ga, gb


@public(Matmul)
def matmul(a, b):
    """a @ b: 1-D, 2-D or batched, with NumPy's broadcast of batch dimensions
    (a 1-D a is a row, a 1-D b a column, dropped again from the result).

    forward:  y = a @ b
    gradient: da = dy @ b^T,  db = a^T @ dy   (b^T: the last two axes swapped)
    """
    return Matmul()(*pair(a, b))


def bmm(a, b):
    """Batched matrix product of two 3-D tensors (B, n, k) @ (B, k, m), as
    PyTorch's bmm: a matmul that refuses other shapes."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise OpError(f"bmm: expected (B, n, k) and (B, k, m) tensors, got shapes "
                      f"{tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


class Einsum(Function):
    """einsum with explicit letters (``...`` is expanded into letters of its
    own first); no letter may repeat within one operand."""
    samples = (Sample(Floats((2, 3, 4)), Floats((2, 5, 4)), equation="bqd,bkd->bqk"),
               Sample(Floats((2, 3, 4)), Floats((4, 2)), equation="...d,de"),
               Sample(Floats((3, 4)), Floats((1, 4)), equation="ij,ij->j"),
               Sample(Floats((3, 4)), equation="ij->i"))

    def __init__(self, equation):
        self.equation = equation

    def forward(self, *xs):
        ins, out = _subscripts(self.equation, [x.ndim for x in xs])
        self.saved = (ins, out)
        return self.xp.einsum(",".join(ins) + "->" + out, *xs)

    def backward(self, gy):
        ins, out = self.saved
        return tuple(self._grad(gy, i) if x.requires_grad else None
                     for i, x in enumerate(self.inputs))

    def _grad(self, gy, i):
        """Input i's gradient: the output's gradient contracted with the other
        inputs into i's letters, broadcast along letters only i had."""
        ins, out = self.saved
        others = [j for j in range(len(ins)) if j != i]
        present = set(out).union(*(ins[j] for j in others))
        kept = "".join(c for c in ins[i] if c in present)
        g = Einsum(",".join([out] + [ins[j] for j in others]) + "->" + kept)(
            gy, *[self.inputs[j] for j in others])
        sizes = iter(g.shape)
        g = g.reshape(tuple(next(sizes) if c in present else 1 for c in ins[i]))
        # Size-1 axes of x that met larger ones: broadcast here, summed back by the engine.
        return g.broadcast_to(backend.broadcast_shapes(g.shape, self.inputs[i].shape))


@public(Einsum)
def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum("bhqd,bhkd->bhqk", q, k)``: each
    letter an axis, letters missing from the output summed over (implicit
    output: the letters seen once, sorted, after those of ``...``).

    forward:  y = sum over the contracted letters of the product of the operands
    gradient: dx_i = einsum of dy with the other operands into x_i's letters
              (broadcast along letters only x_i has)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum(equation)(*operands)


def _subscripts(equation, ndims):
    """(input letters per operand, output letters), "..." written out."""
    lhs, arrow, out = equation.replace(" ", "").partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise OpError(f"einsum: {equation!r} has {len(ins)} operands, got {len(ndims)} tensors")
    free = [c for c in string.ascii_letters if c not in equation]
    ranks = []
    for s, nd in zip(ins, ndims):
        letters = s.replace("...", "")
        if not letters.isalpha() and letters or len(set(letters)) != len(letters):
            raise OpError(f"einsum: bad subscripts {s!r} in {equation!r} (letters, at most one "
                          "'...', no letter twice in one operand)")
        rank = nd - len(letters)
        if rank < 0 or (rank and "..." not in s):
            raise OpError(f"einsum: subscripts {s!r} do not fit a tensor of {nd} dimensions")
        ranks.append(rank)
    ellipsis = "".join(free[:max(ranks, default=0)])
    ins = [s.replace("...", ellipsis[len(ellipsis) - r:]) for s, r in zip(ins, ranks)]
    if arrow:
        return ins, out.replace("...", ellipsis)
    joined = "".join(ins)
    once = sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ellipsis)
    return ins, ellipsis + "".join(once)


class Linear(Function):
    """y = x @ weight.T + bias with PyTorch's (out_features, in_features)
    weight; leading dimensions of x are folded into one matrix product."""
    saved_inputs = (0, 1)
    samples = (Sample(Floats((3, 4)), Floats((5, 4)), Floats((5,))),
               Sample(Floats((2, 3, 4)), Floats((2, 4)), Floats((2,))),
               Sample(Floats((4,)), Floats((3, 4))))

    def forward(self, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise OpError(f"linear: input of shape {tuple(x.shape)} does not fit a weight of "
                          f"shape {tuple(weight.shape)} (expected (..., {weight.shape[-1]}) "
                          "for a weight (out_features, in_features))")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise OpError(f"linear: bias of shape {tuple(bias.shape)} does not fit a weight "
                          f"of shape {tuple(weight.shape)}")
        y = backend.matmul(x.reshape(-1, x.shape[-1]), weight.T)      # (N, out)
        if bias is not None:
            y += bias
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, gy):
        x, weight = self.inputs[:2]
        n_out, n_in = weight.shape
        g2 = gy.reshape((-1, n_out))                                  # (N, out)
        gx = (g2 @ weight).reshape(x.shape) if x.requires_grad else None
        gw = g2.T @ x.reshape((-1, n_in)) if weight.requires_grad else None
        if len(self.inputs) == 2:
            return gx, gw
        gb = g2.sum(axis=0) if self.inputs[2].requires_grad else None
        return gx, gw, gb


@public(Linear)
def linear(x, weight, bias=None):
    """x @ weight.T + bias, as PyTorch's F.linear.

    forward:  y = x @ weight^T + bias
    gradient: dx = dy @ weight,  dweight = dy^T @ x,  dbias = sum(dy)
              (the leading axes of x and dy folded into one)
    """
    return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)
