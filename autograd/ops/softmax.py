"""softmax and log_softmax along an axis, shifted by the max so that logits
of 1e4 do not overflow and a row masked with a large negative value gets ~0
weight, never NaN. Their gradients are fast backward-only ops."""
from __future__ import annotations

from .. import backend
from ..function import Function, public
from ..samples import Floats, Sample
from .common import accepts_dim, normalize_axis
from .fast_gradient import FastGradient

_SAMPLES = (Sample(Floats((3, 5), -2, 2)), Sample(Floats((2, 3, 4), -2, 2), axis=1))


class Softmax(Function):
    saved_inputs = ()
    saves_output = True
    samples = _SAMPLES

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "softmax")
        if x.size == 0:
            return x.copy()                     # nothing to normalise (an empty axis or batch)
        out = self.xp.empty(x.shape, x.dtype)
        if axis == x.ndim - 1:
            backend.in_row_blocks(_softmax, x, out)   # blocks of rows over the CPU threads
        else:
            _softmax(x, out, axis)
        return out

    def backward(self, gy):
        return SoftmaxBackward(self.axis)(self.output, gy)


@public(Softmax)
@accepts_dim
def softmax(x, axis=-1):
    """Softmax along ``axis``, shifted by the max (no overflow).

    forward:  y = exp(x - max x) / sum(exp(x - max x), axis)
    gradient: dx = y * (dy - sum(dy * y, axis))
    """
    return Softmax(axis)(x)


def _softmax(x, out, axis=-1):
    """out = exp(x - max x) / sum(exp(x - max x)) along ``axis``."""
    xp = backend.array_module(x)
    xp.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    xp.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)


class SoftmaxBackward(FastGradient):
    """Softmax's gradient from its output y and the incoming dy, in one pass.

    forward:  dx = y * (dy - sum(dy * y, axis))
    gradient: that formula differentiated with primitive ops (``formula``)
    """
    gradient_of = "Softmax"

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, y, gy):
        gx = self.xp.empty(y.shape, self.xp.result_type(y, gy))
        if normalize_axis(self.axis, y.ndim, "softmax") == y.ndim - 1:
            backend.in_row_blocks(_softmax_gradient, y, gy, gx)
        else:
            _softmax_gradient(y, gy, gx, self.axis)
        return gx

    def formula(self, y, gy):
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


def _softmax_gradient(y, gy, gx, axis=-1):
    """gx = y * dy - y * sum(y * dy) along ``axis`` (= y * (dy - sum(dy * y)))."""
    xp = backend.array_module(y)
    xp.multiply(y, gy, out=gx)
    gx -= y * gx.sum(axis=axis, keepdims=True)


class LogSoftmax(Function):
    saved_inputs = ()
    saves_output = True
    samples = _SAMPLES

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "log_softmax")
        if x.size == 0:
            return x.copy()
        z = x - x.max(axis=axis, keepdims=True)
        z -= self.xp.log(self.xp.exp(z).sum(axis=axis, keepdims=True))
        return z

    def backward(self, gy):
        return LogSoftmaxBackward(self.axis)(self.output, gy)


@public(LogSoftmax)
@accepts_dim
def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``, computed without forming softmax.

    forward:  y = x - max x - log(sum(exp(x - max x), axis))
    gradient: dx = dy - exp(y) * sum(dy, axis)
    """
    return LogSoftmax(axis)(x)


class LogSoftmaxBackward(FastGradient):
    """LogSoftmax's gradient from its output y and the incoming dy.

    forward:  dx = dy - exp(y) * sum(dy, axis)
    gradient: that formula differentiated with primitive ops (``formula``)
    """
    gradient_of = "LogSoftmax"

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, y, gy):
        return gy - self.xp.exp(y) * gy.sum(axis=self.axis, keepdims=True)

    def formula(self, y, gy):
        return gy - y.exp() * gy.sum(axis=self.axis, keepdims=True)
