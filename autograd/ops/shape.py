"""Ops that move values around without arithmetic: reshape, transpose,
broadcast, indexing, joining and splitting, padding, dtype casts and device
moves, and the compositions of them PyTorch code is written with (flatten,
repeat, chunk, ...)."""
from __future__ import annotations

from .. import backend
from ..factories import zeros
from ..function import Function, IndexOpError, OpError, public
from ..samples import Floats, Sample, checked
from ..tensor import Tensor
from .common import accepts_dim, as_tensor, normalize_axis, normalize_axes


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


@accepts_dim
def squeeze(x, axis=None):
    """Drop axes of size 1: all of them, or those named that have size 1 (a
    named axis of another size stays, as in PyTorch). A reshape."""
    axes = normalize_axes(axis, x.ndim, "squeeze")
    if axes is None:
        axes = range(x.ndim)
    drop = [a for a in axes if x.shape[a] == 1]
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in drop))


@checked(Sample(Floats((2, 3, 4)), start_dim=1),
         Sample(Floats((2, 3, 2, 2)), start_dim=1, end_dim=2))
def flatten(x, start_dim=0, end_dim=-1):
    """Axes start_dim..end_dim merged into one: a reshape."""
    if x.ndim == 0:
        return reshape(x, (1,))
    a = normalize_axis(start_dim, x.ndim, "flatten")
    b = normalize_axis(end_dim, x.ndim, "flatten")
    if a > b:
        raise OpError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:a] + (-1,) + x.shape[b + 1:])


@accepts_dim
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
def transpose(x, *dims, axes=None):
    """``transpose(x, d0, d1)`` swaps two axes, as in PyTorch; a permutation
    (one tuple, or three or more axes) permutes them and no axes reverses
    them, as in NumPy: axis i of y is axis axes[i] of x.

    forward:  y = x with its axes permuted by ``axes``
    gradient: dx = dy with its axes permuted by the inverse permutation
    """
    if len(dims) == 2 and all(isinstance(d, int) for d in dims):
        return _swap(x, dims[0], dims[1], "transpose")
    if len(dims) == 1 and (dims[0] is None or isinstance(dims[0], (tuple, list))):
        dims = dims[0]
    return Transpose(tuple(dims) if dims else axes)(x)


def permute(x, *dims):
    """PyTorch's name for a transpose by a full permutation of the axes."""
    return Transpose(dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list))
                     else dims)(x)


def movedim(x, source, destination):
    """Axis ``source`` moved to position ``destination``, the others kept in
    order (NumPy's moveaxis): a transpose."""
    a = normalize_axis(source, x.ndim, "movedim")
    b = normalize_axis(destination, x.ndim, "movedim")
    perm = [i for i in range(x.ndim) if i != a]
    perm.insert(b, a)
    return Transpose(perm)(x)


moveaxis = movedim


def swapaxes(x, axis1, axis2):
    """Exchange two axes: a transpose."""
    return _swap(x, axis1, axis2, "swapaxes")


def _swap(x, axis1, axis2, op):
    perm = list(range(x.ndim))
    a = normalize_axis(axis1, x.ndim, op)
    b = normalize_axis(axis2, x.ndim, op)
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


def expand_as(x, other):
    """x broadcast to ``other``'s shape."""
    return broadcast_to(x, other.shape)


@checked(Sample(Floats((2, 3)), sizes=(2, 1)), Sample(Floats((3,)), sizes=(2, 1, 2)))
def repeat(x, sizes):
    """x tiled ``sizes[i]`` times along axis i (PyTorch's repeat, NumPy's
    tile); extra leading sizes add axes. A broadcast between reshapes."""
    sizes = tuple(sizes)
    if len(sizes) < x.ndim:
        raise OpError(f"repeat: {len(sizes)} sizes for a tensor of {x.ndim} dimensions "
                      "(give one per dimension, or more)")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    spread = reshape(x, tuple(d for n in shape for d in (1, n)))       # (1, n0, 1, n1, ...)
    tiled = broadcast_to(spread, tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))


@checked(Sample(Floats((2, 3)), repeats=2, axis=1), Sample(Floats((3,)), repeats=[1, 0, 2]),
         Sample(Floats((2, 2)), repeats=3))
@accepts_dim
def repeat_interleave(x, repeats, axis=None):
    """Each element (each slice along ``axis``; None: of the flattened x)
    repeated ``repeats`` times in place: ``[a, b] -> [a, a, b, b]``; an int,
    or one count per element."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis(axis, x.ndim, "repeat_interleave")
    if isinstance(repeats, int):
        n = x.shape[axis]
        spread = reshape(x, x.shape[:axis + 1] + (1,) + x.shape[axis + 1:])
        tiled = broadcast_to(spread, x.shape[:axis + 1] + (repeats,) + x.shape[axis + 1:])
        return reshape(tiled, x.shape[:axis] + (n * repeats,) + x.shape[axis + 1:])
    counts = as_tensor(repeats, x).data
    xp = backend.array_module(counts)
    if counts.shape != (x.shape[axis],):
        raise OpError(f"repeat_interleave: {counts.size} repeats for dim {axis} of size "
                      f"{x.shape[axis]}")
    index = xp.repeat(xp.arange(x.shape[axis]), counts)
    return getitem(x, (slice(None),) * axis + (index,))


def clone(x):
    """A copy of x (its own memory), differentiable: a cast to its own dtype."""
    return AsType(x.dtype)(x)


def contiguous(x):
    """x itself when its memory is row-major already, else a row-major copy."""
    return x if x.data.flags.c_contiguous else clone(x)


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
            raise IndexOpError(f"getitem: {e} (tensor of shape {tuple(x.shape)})") from None
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
        return Split(self.saved, self.axis)(gy)


@public(Concatenate)
@accepts_dim
def concatenate(tensors, axis=0):
    """The tensors joined along an existing ``axis`` (``cat`` in PyTorch).

    forward:  y = [x1, x2, ...] joined along axis
    gradient: dx1, dx2, ... = dy split along axis at the inputs' sizes
    """
    tensors = _tensors(tensors, "concatenate")
    return Concatenate(axis)(*tensors)


cat = concatenate


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
@accepts_dim
def stack(tensors, axis=0):
    """Tensors of one shape joined along a new ``axis``.

    forward:  y[..., i, ...] = x_i   (i on the new axis)
    gradient: dx_i = dy[..., i, ...]
    """
    tensors = _tensors(tensors, "stack")
    return Stack(axis)(*tensors)


class Split(Function):
    """Split into consecutive pieces of the given ``sizes`` along ``axis``."""
    saved_inputs = ()
    samples = (Sample(Floats((5, 3)), sizes=[1, 2, 2]),
               Sample(Floats((2, 6)), sizes=[3, 3], axis=1))

    def __init__(self, sizes, axis=0):
        self.sizes = list(sizes)
        self.axis = axis

    def forward(self, x):
        axis = normalize_axis(self.axis, x.ndim, "split")
        if sum(self.sizes) != x.shape[axis] or any(n < 0 for n in self.sizes):
            raise OpError(f"split: sizes {self.sizes} do not add up to the size "
                          f"{x.shape[axis]} of axis {self.axis}")
        cuts, total = [], 0
        for n in self.sizes[:-1]:
            total += n
            cuts.append(total)
        return tuple(self.xp.split(x, cuts, axis=axis))

    def backward(self, *gys):
        like = next(g for g in gys if g is not None)
        shape = list(like.shape)
        axis = normalize_axis(self.axis, len(shape), "split")
        filled = []
        for g, n in zip(gys, self.sizes):
            shape[axis] = n
            filled.append(g if g is not None else zeros(*shape, dtype=like.dtype,
                                                        device=like.device))
        return Concatenate(self.axis)(*filled)


@public(Split)
@accepts_dim
def split(x, split_size_or_sections, axis=0):
    """Pieces of x along ``axis``, as in PyTorch: an int is the size of each
    piece (the last may be smaller), a list the sizes of the pieces. (For n
    equal pieces, use chunk.)

    forward:  y1, y2, ... = x[..., :n1, ...], x[..., n1:n1+n2, ...], ...
    gradient: dx = dy1, dy2, ... concatenated (zeros for a piece without one)
    """
    axis_size = x.shape[normalize_axis(axis, x.ndim, "split")]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 1:
            raise OpError(f"split: the size of a piece must be positive, got {size} "
                          "(split takes piece sizes, as in PyTorch; chunk takes a count)")
        sizes = [size] * (axis_size // size) + ([axis_size % size] if axis_size % size else [])
    else:
        sizes = [int(n) for n in split_size_or_sections]
    return Split(sizes or [0], axis)(x)


@accepts_dim
def chunk(x, chunks, axis=0):
    """x cut into ``chunks`` pieces along ``axis``, each of ceil(size / chunks)
    elements (the last may be smaller, and there may be fewer pieces), as in
    PyTorch."""
    if not isinstance(chunks, int) or chunks < 1:
        raise OpError(f"chunk: the number of chunks must be a positive int, got {chunks!r}")
    n = x.shape[normalize_axis(axis, x.ndim, "chunk")]
    return split(x, max(-(-n // chunks), 1), axis)


class Pad(Function):
    """Constant padding with PyTorch's ``pad``: (left, right) of the last
    axis first, then of the one before, ..."""
    saved_inputs = ()
    samples = (Sample(Floats((2, 3)), pad=(1, 2)), Sample(Floats((2, 2, 3)), pad=(0, 1, 2, 0),
                                                          value=0.5))

    def __init__(self, pad, value=0.0):
        self.pad = tuple(pad)
        self.value = value

    def forward(self, x):
        widths = self._widths(x.ndim)
        return self.xp.pad(x, widths, mode="constant", constant_values=self.value)

    def _widths(self, ndim):
        pairs = [self.pad[i:i + 2] for i in range(0, len(self.pad), 2)]
        if len(self.pad) % 2 or len(pairs) > ndim or any(w < 0 for w in self.pad):
            raise OpError(f"pad: {self.pad} is not (left, right) pairs of non-negative widths "
                          f"for at most the {ndim} dimensions of the input")
        return [(0, 0)] * (ndim - len(pairs)) + [tuple(p) for p in reversed(pairs)]

    def backward(self, gy):
        index = tuple(slice(a, n - b) for (a, b), n in zip(self._widths(gy.ndim), gy.shape))
        return gy[index]


@public(Pad)
def pad(x, pad, mode="constant", value=None):
    """x padded with ``value`` (default 0): ``pad`` = (left, right) for the
    last axis, then (top, bottom) for the one before, ... (PyTorch's F.pad;
    only mode "constant").

    forward:  y = x with value-filled borders of the given widths
    gradient: dx = dy with the borders cut off
    """
    if mode != "constant":
        raise OpError(f"pad: only mode='constant' is supported, got {mode!r}")
    return Pad(pad, 0.0 if value is None else value)(x)


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
