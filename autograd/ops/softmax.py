"""softmax and log_softmax along an axis, shifted by the max so that logits
of 1e4 do not overflow and a row masked with a large negative value gets ~0
weight, never NaN."""
from __future__ import annotations

from ..function import Function
from ..samples import Floats, Sample
from .common import normalize_axis
from .fused import FusedGrad

_SAMPLES = (Sample(Floats((3, 5), -2, 2)), Sample(Floats((2, 3, 4), -2, 2), axis=1))


class Softmax(Function):
    saved_inputs = ()
    saves_output = True
    samples = _SAMPLES

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "softmax")
        e = x - x.max(axis=axis, keepdims=True)
        self.xp.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        return e

    def backward(self, gy):
        return SoftmaxBackward(self.axis)(self.output, gy)


class SoftmaxBackward(FusedGrad):
    """gx = y * (gy - sum(gy * y)) from the softmax output y."""
    samples = (Sample(Floats((3, 5), 0.1, 1.0), Floats((3, 5))),
               Sample(Floats((2, 3, 4), 0.1, 1.0), Floats((2, 3, 4)), axis=1))

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, y, gy):
        gx = y * gy
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx

    def formula(self, y, gy):
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    saved_inputs = ()
    saves_output = True
    samples = _SAMPLES

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "log_softmax")
        z = x - x.max(axis=axis, keepdims=True)
        z -= self.xp.log(self.xp.exp(z).sum(axis=axis, keepdims=True))
        return z

    def backward(self, gy):
        return LogSoftmaxBackward(self.axis)(self.output, gy)


class LogSoftmaxBackward(FusedGrad):
    """gx = gy - exp(y) * sum(gy) from the log-softmax output y."""
    samples = (Sample(Floats((3, 5), -2, 0), Floats((3, 5))),
               Sample(Floats((2, 3, 4), -2, 0), Floats((2, 3, 4)), axis=0))

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, y, gy):
        return gy - self.xp.exp(y) * gy.sum(axis=self.axis, keepdims=True)

    def formula(self, y, gy):
        return gy - y.exp() * gy.sum(axis=self.axis, keepdims=True)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)
