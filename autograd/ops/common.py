"""Helpers the op modules share: turning operands into tensors, axes."""
from __future__ import annotations

from .. import backend
from ..function import OpError
from ..tensor import Tensor


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor next to ``like``: Python/NumPy scalars and 0-d
    arrays take ``like``'s dtype (so float32 stays float32), lists land on
    ``like``'s device, arrays keep their own dtype and device."""
    if isinstance(value, Tensor):
        return value
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
    integer tensor meeting a float scalar becomes float32, as in PyTorch,
    rather than NumPy's float64."""
    if type(a) is Tensor and type(b) is float and a.data.dtype.kind == "f":
        return a, Tensor._make(backend.scalar_like(b, a.data))     # x * 0.5: the common case
    if isinstance(a, Tensor):
        return _int_meets_float(a, as_tensor(b, a), b)
    if isinstance(b, Tensor):
        b2, a2 = _int_meets_float(b, as_tensor(a, b), a)
        return a2, b2
    a = as_tensor(a)
    return a, as_tensor(b, a)


def _int_meets_float(t, other, raw):
    if t.dtype.kind in "iub" and other.dtype.kind == "f" and not isinstance(raw, Tensor) \
            and backend.is_scalar(raw):
        t = Tensor._make(t.data.astype(other.dtype))
    return t, other


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
