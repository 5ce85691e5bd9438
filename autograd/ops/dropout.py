"""Inverted dropout: zero each element with probability p and scale the rest
by 1 / (1 - p), so evaluation needs no rescaling. The mask drawn in forward
is reused in backward."""
from __future__ import annotations

from .. import backend
from ..function import Function, OpError
from ..samples import Floats, Sample
from .common import constant


class Dropout(Function):
    saved_inputs = ()
    samples = (Sample(Floats((4, 6)), p=0.3), Sample(Floats((2, 3, 4)), p=0.5))

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        keep = backend.generator_for(x).random(x.shape, dtype=x.dtype) >= self.p
        scaled = keep.astype(x.dtype)
        scaled *= 1.0 / (1.0 - self.p)
        self.saved = scaled
        return x * scaled

    def backward(self, gy):
        return gy * constant(self.saved)


def dropout(x, p=0.5, training=True):
    """Identity when ``training`` is False or p == 0; zeros when p == 1."""
    if not 0.0 <= p <= 1.0:
        raise OpError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout(p)(x)
