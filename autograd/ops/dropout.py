"""Inverted dropout: zero each element with probability p and scale the rest
by 1 / (1 - p), so evaluation needs no rescaling. The mask drawn in forward
is kept as booleans (a quarter of a float mask's memory) and reused in
backward."""
from __future__ import annotations

import functools

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample
from .common import constant


class Dropout(Function):
    saved_inputs = ()
    samples = (Sample(Floats((4, 6)), p=0.3), Sample(Floats((2, 3, 4)), p=0.5))

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        keep = backend.keep_mask(x, self.p)          # uniform(0, 1) >= p, drawn cheaply
        self.saved = keep
        return _mask_scale(x, keep, 1.0 / (1.0 - self.p))

    def backward(self, gy):
        return MaskScale(1.0 / (1.0 - self.p))(gy, constant(self.saved))


@public(Dropout)
def dropout(x, p=0.5, training=True):
    """Identity when ``training`` is False or p == 0; zeros when p == 1.

    forward:  y = x * keep / (1 - p), keep drawn once: True with probability 1 - p
    gradient: dx = dy * keep / (1 - p)   (the same mask)
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise OpError(f"dropout: p must be a number, got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise OpError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout(p)(x)


class MaskScale(Function):
    """x * mask * scale for a boolean mask (an input that gets no gradient):
    Dropout's backward and, being linear, its own backward too.

    forward:  y = x * mask * scale
    gradient: dx = dy * mask * scale
    """
    gradient_of = "Dropout"
    saved_inputs = (1,)

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x, mask):
        return _mask_scale(x, mask, self.scale)

    def backward(self, gy):
        return MaskScale(self.scale)(gy, self.inputs[1]), None


def _mask_scale(x, mask, scale):
    """x * mask * scale, in cache-sized chunks over the CPU threads."""
    y = backend.array_module(x).empty(x.shape, x.dtype)
    backend.elementwise_in_chunks([(functools.partial(_mask_scale_into, scale=scale), (x, mask, y))])
    return y


def _mask_scale_into(x, mask, y, *, scale):
    backend.array_module(x).multiply(x, mask, out=y)   # bool -> x's dtype in the ufunc
    y *= scale
