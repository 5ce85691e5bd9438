"""Reductions over axes (None, an int or a tuple; keepdims as in NumPy),
``sum_to``, the engine's un-broadcast, and argmax / argmin (no gradient).
Each reduction keeps the axes it reduced in ``saved``."""
from __future__ import annotations

import builtins  # this module defines its own sum/max/min

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample
from .common import constant, keepdims_shape, normalize_axes, normalize_axis

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
        """The axes to reduce (None: all), kept in ``saved`` for backward."""
        axes = self.saved = normalize_axes(self.axis, x.ndim, self.name.lower())
        return axes

    def _spread(self, gy, shape):
        """The output gradient broadcast back over the reduced axes."""
        if not self.keepdims:
            gy = gy.reshape(keepdims_shape(shape, self.saved))
        return gy.broadcast_to(shape)

    def _count(self, shape):
        n = 1
        for i, s in enumerate(shape):
            if self.saved is None or i in self.saved:
                n *= s
        return n


class Sum(_Reduction):
    saved_inputs = ()
    samples = _AXES_SAMPLES

    def forward(self, x):
        return x.sum(axis=self._axes(x), keepdims=self.keepdims)

    def backward(self, gy):
        return self._spread(gy, self.inputs[0].shape)


@public(Sum)
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all axes).

    forward:  y = sum(x, axis)
    gradient: dx = dy broadcast back over the summed axes
    """
    return Sum(axis, keepdims)(x)


class Mean(_Reduction):
    saved_inputs = ()
    samples = _AXES_SAMPLES

    def forward(self, x):
        return x.mean(axis=self._axes(x), keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.inputs[0].shape
        return self._spread(gy, shape) * (1.0 / builtins.max(self._count(shape), 1))


@public(Mean)
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (None: all axes) of n elements each.

    forward:  y = sum(x, axis) / n
    gradient: dx = dy / n, broadcast back over the reduced axes
    """
    return Mean(axis, keepdims)(x)


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
        y = self.output.data.reshape(keepdims_shape(x.shape, self.saved))
        hit = (x == y).astype(gy.dtype)
        hit /= hit.sum(axis=self.saved, keepdims=True)
        return self._spread(gy, x.shape) * constant(hit)


@public(Max)
def max(x, axis=None, keepdims=False):
    """Largest value over ``axis`` (None: all axes); k: how many elements tie for it.

    forward:  y = max(x, axis)
    gradient: dx = dy / k where x == y, else 0
    """
    return Max(axis, keepdims)(x)


class Min(Max):
    samples = _AXES_SAMPLES
    _pick = "min"


@public(Min)
def min(x, axis=None, keepdims=False):
    """Smallest value over ``axis`` (None: all axes); k: how many elements tie for it.

    forward:  y = min(x, axis)
    gradient: dx = dy / k where x == y, else 0
    """
    return Min(axis, keepdims)(x)


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
        centred = x - x.mean(axis=self.saved, keepdims=True)
        return self._spread(gy, x.shape) * centred * (2.0 / n)


@public(Var)
def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis`` (None: all axes) of n elements each, divided
    by n - ddof (ddof=0: the population variance).

    forward:  y = sum((x - mean x)^2, axis) / (n - ddof)
    gradient: dx = dy * 2 (x - mean x) / (n - ddof)
    """
    return Var(axis, keepdims, ddof)(x)


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
            y = y.reshape(keepdims_shape(x.shape, self.saved))
        return self._spread(gy, x.shape) * (x - y).exp()


@public(LogSumExp)
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis`` (None: all axes), shifted by the max
    (no overflow; a row of -inf gives -inf, not NaN).

    forward:  y = m + log(sum(exp(x - m), axis)),  m = max(x, axis)
    gradient: dx = dy * exp(x - y)   (= dy * softmax(x, axis))
    """
    return LogSumExp(axis, keepdims)(x)


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


@public(SumTo)
def sum_to(x, shape):
    """x summed down to ``shape`` (undoing a broadcast to x's shape).

    forward:  y = sum of x over its leading axes and where shape has a 1
    gradient: dx = dy broadcast back to x's shape
    """
    return x if tuple(x.shape) == tuple(shape) else SumTo(shape)(x)


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value over ``axis`` (None: of the flattened x),
    as an int64 tensor; no gradient. A full reduction gives a 0-d tensor."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value over ``axis`` (None: of the flattened x),
    as an int64 tensor; no gradient."""
    return _arg("argmin", x, axis, keepdims)


def _arg(how, x, axis, keepdims):
    axis = None if axis is None else normalize_axis(axis, x.ndim, how)
    index = getattr(x.data, how)(axis=axis, keepdims=keepdims)
    return constant(backend.array_module(x.data).asarray(index))   # NumPy: a scalar -> 0-d
