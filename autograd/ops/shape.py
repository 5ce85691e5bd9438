"""Ops that move values around without arithmetic: reshape, transpose,
broadcast, indexing, joining and splitting, dtype casts and device moves."""
from __future__ import annotations

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Sample
from ..tensor import Tensor, zeros
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


@public(Reshape)
def reshape(x, shape):
    """The same values in ``shape`` (one -1 is inferred), row-major order.

    forward:  y = x read in row-major order into ``shape``
    gradient: dx = dy reshaped to x's shape
    """
    if isinstance(shape, int):
        shape = (shape,)
    return x if tuple(shape) == x.shape else Reshape(shape)(x)


def squeeze(x, axis=None):
    """Drop axes of size 1 (all of them, or those named): a reshape."""
    axes = normalize_axes(axis, x.ndim, "squeeze")
    if axes is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise OpError(f"squeeze: axis {a} has size {x.shape[a]}, not 1 "
                          f"(shape {tuple(x.shape)})")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def unsqueeze(x, axis):
    """Insert an axis of size 1 at ``axis`` (negative counts from the end):
    a reshape."""
    ndim = x.ndim + 1
    a = normalize_axis(axis, ndim, "unsqueeze")
    shape = list(x.shape)
    shape.insert(a, 1)
    return Reshape(shape)(x)


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


@public(Transpose)
def transpose(x, axes=None):
    """The axes of x permuted: axis i of y is axis axes[i] of x (None: reversed).

    forward:  y = x with its axes permuted by ``axes``
    gradient: dx = dy with its axes permuted by the inverse permutation
    """
    return Transpose(axes)(x)


def permute(x, axes):
    """PyTorch's name for transpose with explicit axes."""
    return Transpose(axes)(x)


def swapaxes(x, axis1, axis2):
    """Exchange two axes: a transpose."""
    perm = list(range(x.ndim))
    a = normalize_axis(axis1, x.ndim, "swapaxes")
    b = normalize_axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return Transpose(perm)(x)


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


@public(BroadcastTo)
def broadcast_to(x, shape):
    """x repeated along new leading axes and axes of size 1 to fill ``shape``.

    forward:  y = x broadcast to ``shape`` (NumPy's rules)
    gradient: dx = dy summed back to x's shape (by the engine, once)
    """
    return x if tuple(shape) == x.shape else BroadcastTo(shape)(x)


def expand(x, shape):
    """PyTorch's expand: broadcast_to, where -1 keeps that dimension."""
    lead = len(shape) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return broadcast_to(x, shape)


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


@public(GetItem)
def getitem(x, index):
    """x[index] with NumPy's basic and advanced indexing.

    forward:  y = x[index]
    gradient: dx = zeros of x's shape with dy added at index
              (an element picked twice gets both gradients)
    """
    return GetItem(index)(x)


class GetItemBackward(Function):
    """GetItem's gradient: zeros of ``shape`` with dy added at ``index`` (the
    forward's index, already arrays of the device; repeats accumulate).

    forward:  dx = zeros(shape); dx[index] += dy
    gradient: d(dy) = ddx[index]   (a getitem again)
    """
    gradient_of = "GetItem"
    saved_inputs = ()

    def __init__(self, index, shape):
        self.index = index
        self.shape = tuple(shape)

    def forward(self, gy):
        xp = self.xp
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_advanced(self.index):
            flat = []
            for i in self.index:  # boolean masks -> the integer arrays NumPy would use
                if hasattr(i, "dtype") and i.dtype.kind == "b":
                    flat.extend(xp.nonzero(i))
                else:
                    flat.append(i)
            backend.scatter_add(gx, tuple(flat), gy)
        else:
            gx[self.index] = gy
        return gx

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


def _tensors(tensors, op):
    """The tensors to join, as Tensors next to the first one (scalars, lists too)."""
    tensors = list(tensors)
    if not tensors:
        raise OpError(f"{op}: needs at least one tensor")
    first = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [as_tensor(t, first) for t in tensors]


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
        self.saved = [x.shape[axis] for x in xs]          # the sizes along axis
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        bounds, total = [], 0
        for s in self.saved[:-1]:
            total += s
            bounds.append(total)
        return Split(bounds, self.axis)(gy)


@public(Concatenate)
def concatenate(tensors, axis=0):
    """The tensors joined along an existing ``axis``.

    forward:  y = [x1, x2, ...] joined along axis
    gradient: dx1, dx2, ... = dy split along axis at the inputs' sizes
    """
    tensors = _tensors(tensors, "concatenate")
    return Concatenate(axis)(*tensors)


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


@public(Stack)
def stack(tensors, axis=0):
    """Tensors of one shape joined along a new ``axis``.

    forward:  y[..., i, ...] = x_i   (i on the new axis)
    gradient: dx_i = dy[..., i, ...]
    """
    tensors = _tensors(tensors, "stack")
    return Stack(axis)(*tensors)


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
        self.saved = [p.shape for p in pieces]
        return pieces

    def backward(self, *gys):
        like = next(g for g in gys if g is not None)
        gys = [g if g is not None else zeros(*s, dtype=like.dtype, device=like.device)
               for g, s in zip(gys, self.saved)]
        return Concatenate(self.axis)(*gys)


@public(Split)
def split(x, indices_or_sections, axis=0):
    """Pieces of x along ``axis``: cut at a list of indices, or N equal ones.

    forward:  y1, y2, ... = x[..., :i1, ...], x[..., i1:i2, ...], ...
    gradient: dx = dy1, dy2, ... concatenated (zeros for a piece without one)
    """
    if not isinstance(indices_or_sections, int):
        indices_or_sections = list(indices_or_sections)
    return Split(indices_or_sections, axis)(x)


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


@public(AsType)
def astype(x, dtype):
    """x cast to ``dtype``.

    forward:  y = x as dtype
    gradient: dx = dy cast back to x's dtype
    """
    return x if backend.as_dtype(dtype) == x.dtype else AsType(dtype)(x)


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


@public(ToDevice)
def to_device(x, device):
    """x copied to ``device`` ("cpu", "cuda", "cuda:N").

    forward:  y = x on device
    gradient: dx = dy copied back to x's device
    """
    kind, index = backend.parse_device(device)
    name = "cpu" if kind.name == "cpu" else f"{kind.name}:{index}"
    return x if name == x.device else ToDevice(name)(x)
