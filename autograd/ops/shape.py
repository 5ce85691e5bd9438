"""Ops that move values around without arithmetic: reshape, transpose,
broadcast, indexing, joining and splitting, dtype casts and device moves."""
from __future__ import annotations

from .. import backend
from ..function import Function, OpError
from ..samples import Floats, Sample
from ..tensor import Tensor
from .common import as_tensor, normalize_axis, normalize_axes


class Reshape(Function):
    saved_inputs = ()
    samples = (Sample(Floats((3, 4)), shape=(2, 6)), Sample(Floats((2, 3, 2)), shape=(-1,)),
               Sample(Floats((6,)), shape=(1, 6, 1)))

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise OpError(f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} "
                          f"({x.size} elements) into {self.shape}") from None

    def backward(self, gy):
        return gy.reshape(self.inputs[0].shape)


class Transpose(Function):
    """Permute axes (None reverses them, as NumPy's ``.T``)."""
    saved_inputs = ()
    samples = (Sample(Floats((3, 4))), Sample(Floats((2, 3, 4)), axes=(1, 2, 0)))

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        if self.axes is not None:
            nd = x.ndim
            valid = sorted(a % nd for a in self.axes if -nd <= a < nd)
            if len(self.axes) != nd or valid != list(range(nd)):
                raise OpError(f"transpose: axes {self.axes} are not a permutation of the "
                              f"{x.ndim} axes of a tensor of shape {tuple(x.shape)}")
        return x.transpose(self.axes)

    def backward(self, gy):
        ndim = gy.ndim
        if self.axes is None:
            return gy.transpose()
        inverse = [0] * ndim
        for i, a in enumerate(self.axes):
            inverse[a % ndim] = i
        return gy.transpose(tuple(inverse))


class BroadcastTo(Function):
    saved_inputs = ()
    samples = (Sample(Floats((3, 1)), shape=(2, 3, 4)), Sample(Floats((4,)), shape=(3, 4)))

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        try:
            return self.xp.broadcast_to(x, self.shape)
        except ValueError:
            raise OpError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to "
                          f"{self.shape}") from None

    def backward(self, gy):
        return gy  # the engine sums it back to the input's shape


def _device_index(index, xp):
    """A user's index with lists/Tensors turned into arrays of ``xp``."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list) or backend.is_array(i):
            i = xp.asarray(i) if not isinstance(i, list) or i else xp.asarray(i, dtype="int64")
        out.append(i)
    return tuple(out)


def _is_advanced(index) -> bool:
    """Does the index hold arrays (NumPy's "advanced indexing")?"""
    return any(getattr(i, "ndim", 0) > 0 for i in index)


class GetItem(Function):
    """x[index]: slices, integers, None, Ellipsis, integer and boolean arrays."""
    saved_inputs = ()
    samples = (Sample(Floats((4, 5)), index=(slice(1, 3), slice(None, None, 2))),
               Sample(Floats((4, 3)), index=([0, 2, 2, 3],)),            # repeats add up
               Sample(Floats((3, 4)), index=(Ellipsis, [1, 0])),
               Sample(Floats((2, 3)), index=([[True, False, True], [False, True, True]],)),
               Sample(Floats((3, 4)), index=(1, None, slice(None))))

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        index = _device_index(self.index, self.xp)
        try:
            y = x[index]
        except IndexError as e:
            raise OpError(f"getitem: {e} (tensor of shape {tuple(x.shape)})") from None
        self.saved = index
        return y

    def backward(self, gy):
        return GetItemBackward(self.saved, self.inputs[0].shape)(gy)


class GetItemBackward(Function):
    """Zeros of ``shape`` with ``gy`` added at ``index`` (repeats accumulate)."""
    saved_inputs = ()
    samples = (Sample(Floats((2, 3)), index=(slice(0, 2), slice(1, 4)), shape=(4, 4)),
               Sample(Floats((3,)), index=([0, 2, 0],), shape=(4,)))

    def __init__(self, index, shape):
        self.index = index
        self.shape = tuple(shape)

    def forward(self, gy):
        xp = self.xp
        index = _device_index(self.index, xp)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_advanced(index):
            flat = []
            for i in index:  # boolean masks -> the integer arrays NumPy would use
                if hasattr(i, "dtype") and i.dtype.kind == "b":
                    flat.extend(xp.nonzero(i))
                else:
                    flat.append(i)
            backend.scatter_add(gx, tuple(flat), gy)
        else:
            gx[index] = gy
        self.saved = index
        return gx

    def backward(self, ggx):
        return GetItem(self.saved)(ggx)


class Concatenate(Function):
    saved_inputs = ()
    samples = (Sample(Floats((2, 3)), Floats((4, 3))),
               Sample(Floats((2, 1)), Floats((2, 3)), Floats((2, 2)), axis=1))

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        axis = normalize_axis(self.axis, xs[0].ndim, "concatenate")
        for x in xs[1:]:
            if x.ndim != xs[0].ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape))
                                           if i != axis):
                raise OpError(f"concatenate: shapes {tuple(xs[0].shape)} and {tuple(x.shape)} "
                              f"differ outside axis {self.axis}")
        self._sizes = [x.shape[axis] for x in xs]
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        bounds, total = [], 0
        for s in self._sizes[:-1]:
            total += s
            bounds.append(total)
        return Split(bounds, self.axis)(gy)


class Stack(Function):
    saved_inputs = ()
    samples = (Sample(Floats((2, 3)), Floats((2, 3))),
               Sample(Floats((3,)), Floats((3,)), Floats((3,)), axis=1))

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        for x in xs[1:]:
            if x.shape != xs[0].shape:
                raise OpError(f"stack: all tensors need one shape, got {tuple(xs[0].shape)} "
                              f"and {tuple(x.shape)}")
        return self.xp.stack(xs, axis=self.axis)

    def backward(self, gy):
        axis = normalize_axis(self.axis, gy.ndim, "stack")
        lead = (slice(None),) * axis
        return tuple(gy[lead + (i,)] for i in range(gy.shape[axis]))


class Split(Function):
    """Split into pieces at ``indices`` (a list), or into N equal ``sections``."""
    saved_inputs = ()
    samples = (Sample(Floats((5, 3)), indices_or_sections=[1, 3]),
               Sample(Floats((2, 6)), indices_or_sections=3, axis=1))

    def __init__(self, indices_or_sections, axis=0):
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "split")
        n = self.indices_or_sections
        if isinstance(n, int) and (n < 1 or x.shape[axis] % n):
            raise OpError(f"split: axis {self.axis} of size {x.shape[axis]} does not split "
                          f"into {n} equal sections")
        pieces = tuple(self.xp.split(x, n, axis=axis))
        self._shapes = [p.shape for p in pieces]
        return pieces

    def backward(self, *gys):
        like = next(g for g in gys if g is not None)
        from ..tensor import zeros
        gys = [g if g is not None else zeros(*s, dtype=like.dtype, device=like.device)
               for g, s in zip(gys, self._shapes)]
        return Concatenate(self.axis)(*gys)


class AsType(Function):
    """Cast to ``dtype``; the gradient is cast back."""
    saved_inputs = ()
    samples = (Sample(Floats((3, 4)), dtype="float64"),)

    def __init__(self, dtype):
        self.dtype = backend.as_dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return AsType(self.inputs[0].dtype)(gy)


class ToDevice(Function):
    """Copy to another device; the gradient is copied back."""
    saved_inputs = ()
    samples = (Sample(Floats((3, 4)), device="cpu"),)

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        return backend.asarray(x, device=self.device, copy=True)

    def backward(self, gy):
        return ToDevice(self.inputs[0].device)(gy)


# -- public functions --------------------------------------------------------

def reshape(x, shape):
    if isinstance(shape, int):
        shape = (shape,)
    return x if tuple(shape) == x.shape else Reshape(shape)(x)


def transpose(x, axes=None):
    return Transpose(axes)(x)


def permute(x, axes):
    return Transpose(axes)(x)


def swapaxes(x, axis1, axis2):
    perm = list(range(x.ndim))
    a = normalize_axis(axis1, x.ndim, "swapaxes")
    b = normalize_axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return Transpose(perm)(x)


def broadcast_to(x, shape):
    return x if tuple(shape) == x.shape else BroadcastTo(shape)(x)


def squeeze(x, axis=None):
    """Drop axes of size 1 (all of them, or those named)."""
    axes = normalize_axes(axis, x.ndim, "squeeze")
    if axes is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise OpError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 "
                          f"(shape {tuple(x.shape)})")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def unsqueeze(x, axis):
    """Insert an axis of size 1 at ``axis`` (negative counts from the end)."""
    ndim = x.ndim + 1
    a = normalize_axis(axis, ndim, "unsqueeze")
    shape = list(x.shape)
    shape.insert(a, 1)
    return Reshape(shape)(x)


def getitem(x, index):
    return GetItem(index)(x)


def concatenate(tensors, axis=0):
    tensors = _tensors(tensors, "concatenate")
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    tensors = _tensors(tensors, "stack")
    return Stack(axis)(*tensors)


def split(x, indices_or_sections, axis=0):
    if not isinstance(indices_or_sections, int):
        indices_or_sections = list(indices_or_sections)
    return Split(indices_or_sections, axis)(x)


def astype(x, dtype):
    return x if backend.as_dtype(dtype) == x.dtype else AsType(dtype)(x)


def to_device(x, device):
    kind, index = backend.parse_device(device)
    name = "cpu" if kind.name == "cpu" else f"{kind.name}:{index}"
    return x if name == x.device else ToDevice(name)(x)


def _tensors(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise OpError(f"{op}: needs at least one tensor")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, first) for t in tensors]
