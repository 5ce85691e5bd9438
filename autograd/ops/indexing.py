"""Picking values by integer indices along one axis, PyTorch's way: gather
(differentiable, the one new derivative here), and what is built on it or
on indexing: index_select, sort / argsort / topk (values differentiable,
indices not), one_hot, nonzero."""
from __future__ import annotations

from .. import backend
from ..function import Function, IndexOpError, OpError, public
from ..samples import Floats, Ints, Sample, checked
from ..tensor import Tensor
from .common import ValuesIndices, accepts_dim, as_tensor, constant, normalize_axis
from .shape import getitem


def along_axis(index, axis, xp):
    """The full index tuple that picks ``index[i, ..., j]`` along ``axis`` and
    position i, ..., j elsewhere (so ``a[along_axis(...)]`` is PyTorch's gather)."""
    grids = []
    for d, n in enumerate(index.shape):
        if d == axis:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grids.append(xp.arange(n).reshape(shape))
    return tuple(grids)


def check_gather_index(x, axis, index, op):
    """PyTorch's rules: an integer index of x's rank, no larger than x outside
    ``axis``, its values in [0, x.shape[axis])."""
    if index.dtype.kind not in "iu":
        raise OpError(f"{op}: index must hold integers, got {index.dtype}")
    if index.ndim != x.ndim or any(i > s for d, (i, s) in enumerate(zip(index.shape, x.shape))
                                   if d != axis):
        raise OpError(f"{op}: index of shape {tuple(index.shape)} does not fit a tensor of "
                      f"shape {tuple(x.shape)} along dim {axis} (same rank, no larger outside "
                      "that dim)")
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= x.shape[axis]:
            raise IndexOpError(f"{op}: index {lo if lo < 0 else hi} is out of range for dim "
                               f"{axis} of size {x.shape[axis]}")


class Gather(Function):
    """y[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (and likewise for the
    other axes); index gets no gradient."""
    saved_inputs = (1,)
    samples = (Sample(Floats((3, 4)), Ints((3, 2), high=4), axis=1),
               Sample(Floats((3, 2, 2)), Ints((4, 2, 1), high=3), axis=0))

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x, index):
        axis = normalize_axis(self.axis, x.ndim, "gather")
        check_gather_index(x, axis, index, "gather")
        self.saved = tuple(x.shape)
        return x[along_axis(index, axis, self.xp)]

    def backward(self, gy):
        return GatherBackward(self.axis, self.saved)(self.inputs[1], gy), None


@public(Gather)
@accepts_dim
def gather(x, axis, index):
    """Values of x picked along ``axis`` by an integer ``index`` of x's rank
    (PyTorch's gather(input, dim, index)).

    forward:  y[..., i, ...] = x[..., index[..., i, ...], ...]   (i on axis)
    gradient: dx = zeros of x's shape with dy added at index (repeats add up)
    """
    return Gather(axis)(x, as_tensor(index, x))


class GatherBackward(Function):
    """Gather's gradient: zeros of ``shape`` with dy added where index points.

    forward:  dx = zeros(shape); dx[..., index[..., i, ...], ...] += dy[..., i, ...]
    gradient: d(dy) = gather(ddx, axis, index)
    """
    gradient_of = "Gather"
    saved_inputs = (0,)

    def __init__(self, axis, shape):
        self.axis = axis
        self.shape = shape

    def forward(self, index, gy):
        gx = self.xp.zeros(self.shape, dtype=gy.dtype)
        axis = normalize_axis(self.axis, gy.ndim, "gather")
        backend.scatter_add(gx, along_axis(index, axis, self.xp), gy)
        return gx

    def backward(self, ggx):
        return None, Gather(self.axis)(ggx, self.inputs[0])


@checked(Sample(Floats((4, 3)), index=[0, 3, 3, 1, 2], axis=0),
         Sample(Floats((2, 4)), index=[2, 0], axis=-1))
@accepts_dim
def index_select(x, axis, index):
    """The slices of x at a 1-D integer ``index`` along ``axis`` (a getitem)."""
    index = as_tensor(index, x)
    if index.ndim != 1 or index.dtype.kind not in "iu":
        raise OpError(f"index_select: index must be a 1-D integer tensor, got shape "
                      f"{tuple(index.shape)} of {index.dtype}")
    axis = normalize_axis(axis, x.ndim, "index_select")
    return getitem(x, (slice(None),) * axis + (index,))


def _order(x, axis, descending, op):
    """The indices that sort x along ``axis`` (stable: ties keep their order)."""
    axis = normalize_axis(axis, max(x.ndim, 1), op)
    data = x.data if x.dtype.kind not in "bu" else x.data.astype(backend.int64)
    xp = backend.array_module(data)
    return constant(xp.argsort(-data if descending else data, axis=axis, kind="stable")), axis


@checked(Sample(Floats((3, 4))), Sample(Floats((2, 3, 2)), axis=1, descending=True))
@accepts_dim
def sort(x, axis=-1, descending=False, stable=True):
    """(values, indices) of x sorted along ``axis``; the values are a gather,
    so their gradient flows back to where each value came from. Always
    stable (ties keep their order)."""
    indices, axis = _order(x, axis, descending, "sort")
    return ValuesIndices(gather(x, axis, indices), indices)


@accepts_dim
def argsort(x, axis=-1, descending=False, stable=True):
    """The indices that sort x along ``axis`` (int64, no gradient; stable)."""
    return _order(x, axis, descending, "argsort")[0]


@checked(Sample(Floats((3, 5)), k=2), Sample(Floats((4, 3)), k=3, axis=0, largest=False))
@accepts_dim
def topk(x, k, axis=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (``largest=False``: smallest)
    elements along ``axis``, largest first; the values are differentiable."""
    indices, axis = _order(x, axis, largest, "topk")
    if not 0 <= k <= x.shape[axis]:
        raise OpError(f"topk: k={k} is out of range for dim {axis} of size {x.shape[axis]}")
    indices = getitem(indices, (slice(None),) * axis + (slice(0, k),))
    return ValuesIndices(gather(x, axis, indices), indices)


def one_hot(ids, num_classes=-1):
    """int64 one-hot rows for integer ``ids``: ids.shape + (num_classes,)
    (-1: max(ids) + 1)."""
    data = as_tensor(ids).data
    if data.dtype.kind not in "iu":
        raise OpError(f"one_hot: ids must be integers, got {data.dtype}")
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise IndexOpError(f"one_hot: ids must lie in [0, {num_classes - 1}], got values in "
                           f"[{int(data.min())}, {int(data.max())}]")
    xp = backend.array_module(data)
    return constant((data[..., None] == xp.arange(num_classes)).astype(backend.int64))


def nonzero(x, as_tuple=False):
    """The indices of the non-zero elements: an int64 (count, ndim) tensor
    (``as_tuple``: one 1-D tensor per axis), no gradient."""
    data = x.data if isinstance(x, Tensor) else as_tensor(x).data
    xp = backend.array_module(data)
    if data.ndim == 0:                              # PyTorch: (1, 0) if true, else (0, 0)
        found = xp.zeros((int(bool(data)), 0), dtype=backend.int64)
        return (constant(found[:, 0]),) if as_tuple else constant(found)
    found = xp.nonzero(data)
    if as_tuple:
        return tuple(constant(i.astype(backend.int64)) for i in found)
    return constant(xp.stack(found, axis=1).astype(backend.int64))
