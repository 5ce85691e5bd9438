"""Layer normalisation over the last axis (Ba, Kiros & Hinton 2016):
y = (x - mean) / sqrt(var + eps) * weight + bias, with the population
variance and eps inside the square root, as in the paper and PyTorch."""
from __future__ import annotations

import functools

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample
from ..factories import ones, zeros
from .common import as_tensor
from .fast_gradient import FastGradient


def _layer_norm(x, y, xhat, rstd, *, weight, bias, eps):
    """Along the last axis, into y, xhat and rstd: xhat = (x - mean x) * rstd,
    rstd = 1 / sqrt(var x + eps), y = xhat * weight + bias."""
    xp = backend.array_module(x)
    xp.subtract(x, x.mean(axis=-1, keepdims=True), out=xhat)      # x - mean
    (xhat * xhat).mean(axis=-1, keepdims=True, out=rstd)          # var
    rstd += eps
    xp.sqrt(rstd, out=rstd)
    xp.divide(1.0, rstd, out=rstd)
    xhat *= rstd
    xp.multiply(xhat, weight, out=y)
    y += bias


class LayerNorm(Function):
    saved_inputs = (0, 1)
    samples = (Sample(Floats((3, 5)), Floats((5,)), Floats((5,))),
               Sample(Floats((2, 3, 4)), Floats((4,)), Floats((4,)), eps=1e-3))

    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, weight, bias):
        d = x.shape[-1] if x.ndim else None
        if weight.shape != (d,) or bias.shape != (d,):
            raise OpError(f"layer_norm: weight {tuple(weight.shape)} and bias "
                          f"{tuple(bias.shape)} must both have shape ({d},) to normalise "
                          f"the last axis of {tuple(x.shape)}")
        xp = self.xp
        y = xp.empty(x.shape, xp.result_type(x, weight, bias))
        xhat, rstd = xp.empty(x.shape, x.dtype), xp.empty(x.shape[:-1] + (1,), x.dtype)
        backend.in_row_blocks(functools.partial(_layer_norm, weight=weight, bias=bias,
                                                eps=self.eps), x, y, xhat, rstd)
        self.saved = (xhat, rstd)
        return y

    def backward(self, gy):
        x, weight, _ = self.inputs
        gx, gw, gb = LayerNormBackward(self.eps, self.saved)(x, weight, gy)
        return gx, gw, gb


@public(LayerNorm)
def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Normalise the last axis of x; weight/bias default to 1 and 0.

    forward:  xhat = (x - mean x) / sqrt(var x + eps)   (over the last axis)
              y = xhat * weight + bias
    gradient: g = dy * weight
              dx = (g - mean g - xhat * mean(g * xhat)) / sqrt(var x + eps)
              dweight = sum(dy * xhat), dbias = sum(dy)   (over the leading axes)
    """
    if x.ndim == 0:
        raise OpError("layer_norm: needs a tensor of at least 1 dimension to normalise its "
                      "last axis, got shape ()")
    d = x.shape[-1]
    weight = ones(d, dtype=x.dtype, device=x.device) if weight is None else as_tensor(weight, x)
    bias = zeros(d, dtype=x.dtype, device=x.device) if bias is None else as_tensor(bias, x)
    return LayerNorm(eps)(x, weight, bias)


class LayerNormBackward(FastGradient):
    """LayerNorm's (dx, dweight, dbias) from x, weight and dy in one pass,
    using the x-hat and 1/std its forward kept (``saved``).

    forward:  g = dy * weight
              dx = (g - mean g - xhat * mean(g * xhat)) * rstd
              dweight = sum(dy * xhat), dbias = sum(dy)
    gradient: that formula, x-hat and rstd recomputed from x, differentiated
              with primitive ops (``formula``)
    """
    gradient_of = "LayerNorm"

    def __init__(self, eps, saved):
        self.eps = eps
        self.saved = saved

    def forward(self, x, weight, gy):
        xhat, rstd = self.saved
        lead = tuple(range(x.ndim - 1))
        gw = (gy * xhat).sum(axis=lead)
        gb = gy.sum(axis=lead)
        gx = self.xp.empty(x.shape, self.xp.result_type(gy, weight, xhat))
        backend.in_row_blocks(functools.partial(_layer_norm_gradient, weight=weight),
                              gy, xhat, rstd, gx)
        return gx, gw, gb

    def formula(self, x, weight, gy):
        lead = tuple(range(x.ndim - 1))
        xc = x - x.mean(axis=-1, keepdims=True)
        rstd = 1 / ((xc * xc).mean(axis=-1, keepdims=True) + self.eps).sqrt()
        xhat = xc * rstd
        g = gy * weight
        gx = (g - g.mean(axis=-1, keepdims=True)
              - xhat * (g * xhat).mean(axis=-1, keepdims=True)) * rstd
        return gx, (gy * xhat).sum(axis=lead), gy.sum(axis=lead)


def _layer_norm_gradient(gy, xhat, rstd, gx, *, weight):
    """Along the last axis, into gx: g = dy * weight (d loss / d x-hat),
    gx = (g - mean g - xhat * mean(g * xhat)) * rstd."""
    backend.array_module(gy).multiply(gy, weight, out=gx)         # g
    mean_g_xhat = (gx * xhat).mean(axis=-1, keepdims=True)
    gx -= gx.mean(axis=-1, keepdims=True)
    gx -= xhat * mean_g_xhat
    gx *= rstd
