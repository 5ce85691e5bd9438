"""Helpers the op modules share: turning operands into tensors (and the
integer -> float promotion), axes, and PyTorch's ``dim=`` / ``keepdim=``."""
from __future__ import annotations

import functools
from collections import namedtuple

from .. import backend
from ..function import OpError
from ..tensor import Tensor


# What max(x, dim), min, sort and topk return, as PyTorch's return types do.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor next to ``like``: Python/NumPy scalars and 0-d
    arrays take ``like``'s dtype (so float32 stays float32), lists land on
    ``like``'s device, arrays keep their own dtype and device."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, ValuesIndices):
        raise TypeError("an op was given the (values, indices) pair that max(x, dim), min, "
                        "sort and topk return, as in PyTorch: take its .values (or use "
                        "amax / amin for the values alone)")
    if like is None:
        return Tensor._make(backend.asarray(value))
    if backend.is_scalar(value):
        return Tensor._make(backend.scalar_like(value, like.data))
    if backend.is_array(value):
        return Tensor._make(value)
    data = backend.asarray(value, device=like.device)
    if data.dtype.kind == "f" and like.dtype.kind == "f":
        data = data.astype(like.dtype)
    return Tensor._make(data)


def pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as Tensors (either may be a scalar). An
    integer or boolean tensor meeting a float (a scalar: the default float;
    a float tensor: its dtype) becomes that float, as in PyTorch, rather
    than NumPy's float64."""
    if type(a) is Tensor:
        if type(b) is float and a.data.dtype.kind == "f":
            return a, Tensor._make(backend.scalar_like(b, a.data))  # x * 0.5: the common case
        if type(b) is Tensor and a.data.dtype is b.data.dtype:
            return a, b                                     # gy * b in a backward: as common
    if isinstance(a, Tensor):
        return _int_meets_float(a, as_tensor(b, a))
    if isinstance(b, Tensor):
        b2, a2 = _int_meets_float(b, as_tensor(a, b))
        return a2, b2
    a = as_tensor(a)
    return a, as_tensor(b, a)


def _int_meets_float(t, other):
    kind, other_kind = t.data.dtype.kind, other.data.dtype.kind
    if kind == other_kind:                          # the common case: nothing to promote
        return t, other
    if other_kind == "f" and kind in "iub":
        t = Tensor._make(t.data.astype(other.data.dtype))
    elif kind == "f" and other_kind in "iub":
        other = Tensor._make(other.data.astype(t.data.dtype))
    return t, other


def floating(x: Tensor) -> Tensor:
    """x itself if floating-point, else x as the default float (float32):
    what PyTorch gives ops with float results (exp, sqrt, true division)
    on integer tensors, where NumPy would give float64."""
    if not isinstance(x, Tensor) or x.data.dtype.kind == "f":
        return x                                    # (a non-Tensor: the op names the problem)
    return Tensor._make(x.data.astype(backend.default_dtype()))


def accepts_dim(function):
    """Let ``function`` take PyTorch's ``dim=`` and ``keepdim=`` for NumPy's
    ``axis=`` and ``keepdims=``: the one place the two spellings meet. Every
    public function and Tensor method with an axis is wrapped by it."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        if kwargs:
            _rename(kwargs, "dim", "axis", function)
            _rename(kwargs, "keepdim", "keepdims", function)
        return function(*args, **kwargs)
    return call


def _rename(kwargs, torch_name, numpy_name, function):
    if torch_name in kwargs:
        if numpy_name in kwargs:
            raise TypeError(f"{function.__name__}: got both {torch_name}= and {numpy_name}= "
                            "(they are the same argument)")
        kwargs[numpy_name] = kwargs.pop(torch_name)


def normalize_axes(axis, ndim: int, op: str):
    """None, an int or a tuple of ints (negative allowed) -> a sorted tuple of
    non-negative axes, or None for "all axes"; a clear error otherwise."""
    if axis is None:
        return None
    try:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
    except TypeError:
        raise OpError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}") from None
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise OpError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise OpError(f"{op}: axis {a} is out of range for a tensor of {ndim} "
                          f"dimension{'s' if ndim != 1 else ''}")
        a %= ndim
        if a in out:
            raise OpError(f"{op}: axis {a} repeated in {axis!r}")
        out.append(a)
    return tuple(sorted(out))


def normalize_axis(axis: int, ndim: int, op: str) -> int:
    return normalize_axes(axis, ndim, op)[0]


def keepdims_shape(shape, axes):
    """The shape a reduction over ``axes`` has with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def constant(array) -> Tensor:
    """An array as a graph constant (masks, indices): no gradient flows in."""
    return Tensor._make(array)
