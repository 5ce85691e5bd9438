"""Reductions over axes (None, an int or a tuple; ``keepdims`` / PyTorch's
``keepdim``), ``sum_to``, the engine's un-broadcast, the cumulative sum,
argmax / argmin and any / all (no gradient). Each reduction keeps the axes
it reduced in ``saved``."""
from __future__ import annotations

import builtins  # this module defines its own sum/max/min/any/all

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample, checked
from ..tensor import Tensor
from .common import (ValuesIndices, accepts_dim, constant, keepdims_shape, normalize_axes,
                     normalize_axis)
from .arithmetic import maximum, minimum, where
from .indexing import gather

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
@accepts_dim
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
@accepts_dim
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (None: all axes) of n elements each.

    forward:  y = sum(x, axis) / n
    gradient: dx = dy / n, broadcast back over the reduced axes
    """
    return Mean(axis, keepdims)(x)


class Max(_Reduction):
    """Max over axes (PyTorch's amax); ties share the gradient evenly."""
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
@accepts_dim
def amax(x, axis=None, keepdims=False):
    """Largest value over ``axis`` (None: all axes); k: how many elements tie for it.

    forward:  y = max(x, axis)
    gradient: dx = dy / k where x == y, else 0
    """
    return Max(axis, keepdims)(x)


class Min(Max):
    samples = _AXES_SAMPLES
    _pick = "min"


@public(Min)
@accepts_dim
def amin(x, axis=None, keepdims=False):
    """Smallest value over ``axis`` (None: all axes); k: how many elements tie for it.

    forward:  y = min(x, axis)
    gradient: dx = dy / k where x == y, else 0
    """
    return Min(axis, keepdims)(x)


@checked(Sample(Floats((3, 4)), axis=1), Sample(Floats((2, 3, 4)), axis=0, keepdims=True))
@accepts_dim
def max(x, axis=None, keepdims=False):
    """As PyTorch's max: ``max(x)`` the largest value (amax); ``max(x, dim)``
    the pair (values, indices) along dim, the values' gradient going to the
    first index that holds the max; ``max(x, other)`` the elementwise maximum.
    A tuple of axes gives the values alone (NumPy's ``max(axis=(0, 1))``)."""
    return _extreme(x, axis, keepdims, amax, "argmax", maximum)


@checked(Sample(Floats((3, 4)), axis=-1), Sample(Floats((2, 3)), axis=0, keepdims=True))
@accepts_dim
def min(x, axis=None, keepdims=False):
    """As PyTorch's min: the smallest value, (values, indices) along an int
    dim, or the elementwise minimum with another tensor (see ``max``)."""
    return _extreme(x, axis, keepdims, amin, "argmin", minimum)


def _extreme(x, axis, keepdims, whole, arg, elementwise):
    if isinstance(axis, Tensor):
        return elementwise(x, axis)
    if axis is None or not isinstance(axis, int):
        return whole(x, axis, keepdims)
    indices = _arg(arg, x, axis, True, op=arg[3:])
    values = gather(x, axis, indices)
    if not keepdims:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(values, indices)


class Var(_Reduction):
    """Variance divided by n - correction (1: unbiased, PyTorch's default;
    0: the population variance). With n <= correction the result is inf or
    NaN, and so is the gradient, as in PyTorch."""
    samples = _AXES_SAMPLES + (Sample(Floats((3, 5)), axis=1, correction=0),)

    def __init__(self, axis=None, keepdims=False, correction=1):
        super().__init__(axis, keepdims)
        self.correction = correction

    def forward(self, x):
        return x.var(axis=self._axes(x), keepdims=self.keepdims, ddof=self.correction)

    def backward(self, gy):
        (x,) = self.inputs
        n = self._count(x.shape) - self.correction
        centred = x - x.mean(axis=self.saved, keepdims=True)
        return self._spread(gy, x.shape) * centred * (2.0 / n if n > 0 else float("inf"))


@public(Var)
@accepts_dim
def var(x, axis=None, unbiased=None, keepdims=False, *, correction=None, ddof=None):
    """Variance over ``axis`` (None: all axes) of n elements each, divided
    by n - correction: unbiased (correction=1) by default, as in PyTorch;
    ``unbiased=False``, ``correction=0`` or NumPy's ``ddof=0`` give the
    population variance.

    forward:  y = sum((x - mean x)^2, axis) / (n - correction)
    gradient: dx = dy * 2 (x - mean x) / (n - correction)
    """
    if isinstance(axis, bool):                        # PyTorch's var(x, unbiased)
        axis, unbiased = None, axis
    return Var(axis, keepdims, _correction(unbiased, correction, ddof))(x)


@accepts_dim
def std(x, axis=None, unbiased=None, keepdims=False, *, correction=None, ddof=None):
    """Standard deviation: the square root of ``var`` (unbiased by default)."""
    return var(x, axis, unbiased, keepdims, correction=correction, ddof=ddof).sqrt()


def _correction(unbiased, correction, ddof):
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError("var: give one of unbiased=, correction= and ddof=")
    if unbiased is not None:
        return int(bool(unbiased))
    return int(given[0]) if given else 1


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
@accepts_dim
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
        if lead < 0 or builtins.any(s != 1 and s != d for s, d in zip(self.shape, x.shape[lead:])):
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


@accepts_dim
def argmax(x, axis=None, keepdims=False):
    """Index of the largest value over ``axis`` (None: of the flattened x),
    as an int64 tensor; no gradient. A full reduction gives a 0-d tensor."""
    return _arg("argmax", x, axis, keepdims)


@accepts_dim
def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value over ``axis`` (None: of the flattened x),
    as an int64 tensor; no gradient."""
    return _arg("argmin", x, axis, keepdims)


def _arg(how, x, axis, keepdims, op=None):
    axis = None if axis is None else normalize_axis(axis, x.ndim, op or how)
    index = getattr(x.data, how)(axis=axis, keepdims=keepdims)
    return constant(backend.array_module(x.data).asarray(index))   # NumPy: a scalar -> 0-d


@accepts_dim
def any(x, axis=None, keepdims=False):
    """Whether any element is true (non-zero) over ``axis``: a bool tensor."""
    return _logic("any", x, axis, keepdims)


@accepts_dim
def all(x, axis=None, keepdims=False):
    """Whether every element is true (non-zero) over ``axis``: a bool tensor."""
    return _logic("all", x, axis, keepdims)


def _logic(how, x, axis, keepdims):
    axes = normalize_axes(axis, x.ndim, how)
    out = getattr(x.data.astype(bool), how)(axis=axes, keepdims=keepdims)
    return constant(backend.array_module(x.data).asarray(out))


class Cumsum(Function):
    """Running sum along ``axis`` (``reverse``: from the end), its own
    gradient's shape: the gradient of a cumsum is a reversed cumsum."""
    saved_inputs = ()
    samples = (Sample(Floats((3, 4)), axis=1), Sample(Floats((2, 3, 2)), axis=0, reverse=True))

    def __init__(self, axis, reverse=False):
        self.axis = axis
        self.reverse = reverse

    def forward(self, x):
        xp = self.xp
        axis = normalize_axis(self.axis, x.ndim, "cumsum")
        if not self.reverse:
            return xp.cumsum(x, axis=axis)
        return xp.flip(xp.cumsum(xp.flip(x, axis=axis), axis=axis), axis=axis)

    def backward(self, gy):
        return Cumsum(self.axis, not self.reverse)(gy)


@public(Cumsum)
@accepts_dim
def cumsum(x, axis):
    """The running sum along ``axis``: y[i] = x[0] + ... + x[i].

    forward:  y_i = sum_{j <= i} x_j   (along axis)
    gradient: dx_i = sum_{j >= i} dy_j   (a cumsum from the end)
    """
    if x.dtype.kind in "bu" or (x.dtype.kind == "i" and x.dtype.itemsize < 8):
        x = x.astype(backend.int64)                # PyTorch sums small integers as int64
    return Cumsum(axis)(x)


class Norm(_Reduction):
    """The p-norm over axes, (sum |x|^p)^(1/p), for a finite p >= 1; its
    gradient is 0 where the norm is 0, as in PyTorch."""
    saves_output = True
    samples = (Sample(Floats((3, 4))), Sample(Floats((2, 3), 0.2, 1.0, signed=True), axis=1, p=1),
               Sample(Floats((2, 3, 2)), axis=(0, 2), keepdims=True, p=3))

    def __init__(self, axis=None, keepdims=False, p=2):
        super().__init__(axis, keepdims)
        self.p = p

    def forward(self, x):
        axes = self._axes(x)
        xp = self.xp
        if self.p == 2:
            return xp.sqrt((x * x).sum(axis=axes, keepdims=self.keepdims))
        return (xp.abs(x) ** self.p).sum(axis=axes, keepdims=self.keepdims) ** (1.0 / self.p)

    def backward(self, gy):
        (x,) = self.inputs
        y = self.output
        if not self.keepdims:
            y = y.reshape(keepdims_shape(x.shape, self.saved))
        zero = constant(y.data == 0)
        safe = where(zero, 1.0, y)
        if self.p == 2:
            ratio = x / safe
        else:
            ratio = x.abs() ** (self.p - 1) * constant(self.xp.sign(x.data)) / safe ** (self.p - 1)
        return self._spread(gy, x.shape) * where(zero, 0.0, ratio)


@public(Norm)
@accepts_dim
def norm(x, p=2, axis=None, keepdims=False):
    """The p-norm of x over ``axis`` (None: all of x): p=2 (or "fro") the
    Euclidean norm, any finite p >= 1, or p=inf, the largest |x| (amax).

    forward:  y = (sum |x|^p)^(1/p)
    gradient: dx = dy * sign(x) |x|^(p-1) / y^(p-1)   (0 where y == 0)
    """
    if p == "fro":
        p = 2
    if p == float("inf"):
        return amax(x.abs(), axis, keepdims)
    if not isinstance(p, (int, float)) or p < 1:
        raise OpError(f"norm: p must be a number >= 1, inf or 'fro', got {p!r}")
    return Norm(axis, keepdims, p)(x)

