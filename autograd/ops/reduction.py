"""Reductions over axes (None, an int or a tuple; keepdims as in NumPy), and
``sum_to``, the engine's un-broadcast."""
from __future__ import annotations

import builtins  # this module defines its own sum/max/min

from ..function import Function, OpError
from ..samples import Floats, Sample
from .common import constant, keepdims_shape, normalize_axes

_AXES_SAMPLES = (
    Sample(Floats((3, 4))),
    Sample(Floats((3, 4)), axis=1),
    Sample(Floats((2, 3, 4)), axis=(0, 2), keepdims=True),
    Sample(Floats((2, 3, 4)), axis=-2),
)


class _Reduction(Function, abstract=True):
    def __init__(self, axis=None, keepdims=False):
        self.axis = axis
        self.keepdims = keepdims

    def _axes(self, x):
        axes = normalize_axes(self.axis, x.ndim, self.name.lower())
        self._reduced = axes
        return axes

    def _spread(self, gy, shape):
        """The output gradient broadcast back over the reduced axes."""
        if not self.keepdims:
            gy = gy.reshape(keepdims_shape(shape, self._reduced))
        return gy.broadcast_to(shape)

    def _count(self, shape):
        n = 1
        for i, s in enumerate(shape):
            if self._reduced is None or i in self._reduced:
                n *= s
        return n


class Sum(_Reduction):
    saved_inputs = ()
    samples = _AXES_SAMPLES

    def forward(self, x):
        return x.sum(axis=self._axes(x), keepdims=self.keepdims)

    def backward(self, gy):
        return self._spread(gy, self.inputs[0].shape)


class Mean(_Reduction):
    saved_inputs = ()
    samples = _AXES_SAMPLES

    def forward(self, x):
        return x.mean(axis=self._axes(x), keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        return self._spread(gy, shape) * (1.0 / builtins.max(self._count(shape), 1))


class Max(_Reduction):
    """Max over axes; ties share the gradient evenly."""
    saves_output = True
    samples = _AXES_SAMPLES
    _pick = "max"

    def forward(self, x):
        axes = self._axes(x)
        if x.size == 0:
            raise OpError(f"{self.name.lower()}: reduction over an empty tensor of shape {x.shape}")
        return getattr(x, self._pick)(axis=axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0].data
        y = self.output.data.reshape(keepdims_shape(x.shape, self._reduced))
        hit = (x == y).astype(gy.dtype)
        hit /= hit.sum(axis=self._reduced, keepdims=True)
        return self._spread(gy, x.shape) * constant(hit)


class Min(Max):
    samples = _AXES_SAMPLES
    _pick = "min"


class Var(_Reduction):
    """Variance with NumPy's ``ddof`` (0: population variance)."""
    samples = _AXES_SAMPLES + (Sample(Floats((3, 5)), axis=1, ddof=1),)

    def __init__(self, axis=None, keepdims=False, ddof=0):
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x):
        return x.var(axis=self._axes(x), keepdims=self.keepdims, ddof=self.ddof)

    def backward(self, gy):
        (x,) = self.inputs
        n = self._count(x.shape) - self.ddof
        centred = x - x.mean(axis=self._reduced, keepdims=True)
        return self._spread(gy, x.shape) * centred * (2.0 / n)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) computed without overflow (shifted by the max)."""
    saves_output = True
    samples = _AXES_SAMPLES

    def forward(self, x):
        xp = self.xp
        axes = self._axes(x)
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)          # rows of -inf stay -inf, not NaN
        s = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        return s if self.keepdims else s.reshape(
            tuple(d for i, d in enumerate(x.shape) if axes is not None and i not in axes))

    def backward(self, gy):
        (x,) = self.inputs
        y = self.output
        if not self.keepdims:
            y = y.reshape(keepdims_shape(x.shape, self._reduced))
        return self._spread(gy, x.shape) * (x - y).exp()


class SumTo(Function):
    """Sum a broadcast array back down to ``shape`` (the engine's un-broadcast)."""
    saved_inputs = ()
    samples = (Sample(Floats((2, 3, 4)), shape=(3, 1)), Sample(Floats((3, 4)), shape=(4,)),
               Sample(Floats((3, 4)), shape=()))

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        if lead < 0 or any(s != 1 and s != d for s, d in zip(self.shape, x.shape[lead:])):
            raise OpError(f"sum_to: cannot sum shape {x.shape} down to {self.shape}")
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(self.shape) if s == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        return gy.broadcast_to(self.inputs[0].shape)


def sum(x, axis=None, keepdims=False): return Sum(axis, keepdims)(x)
def mean(x, axis=None, keepdims=False): return Mean(axis, keepdims)(x)
def max(x, axis=None, keepdims=False): return Max(axis, keepdims)(x)
def min(x, axis=None, keepdims=False): return Min(axis, keepdims)(x)
def var(x, axis=None, keepdims=False, ddof=0): return Var(axis, keepdims, ddof)(x)
def logsumexp(x, axis=None, keepdims=False): return LogSumExp(axis, keepdims)(x)


def sum_to(x, shape):
    return x if tuple(x.shape) == tuple(shape) else SumTo(shape)(x)
