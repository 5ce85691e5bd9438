"""``Tensor``: an array of any device plus what backpropagation needs.

Operators and methods delegate to the op functions of ``autograd.ops``; the
ops are where forward and backward live. Most methods *are* those functions
(bound at the end of this file), so ``x.sum(1, keepdim=True)`` is
``autograd.sum(x, 1, keepdim=True)``, same arguments, same docstring.
"""
from __future__ import annotations

import contextlib

from . import backend
from .grad_mode import state


class Tensor:
    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "name",
                 "_retain_grad", "_version", "_hooks", "__weakref__")
    __array_ufunc__ = None        # ndarray (op) Tensor defers to Tensor's reflected op
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if device is None and backend.is_array(data):
            device = backend.device_of(data)
        self.data = backend.asarray(data, dtype, device, copy=True)
        self.grad = None
        self.grad_fn = None
        self.name = name
        self._retain_grad = False
        self._version = 0
        self._hooks = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None):
        """Wrap an array without copying or checking (the ops' fast path)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t.name = None
        t._retain_grad = False
        t._version = 0
        t._hooks = None
        return t

    # -- what it is ---------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if value and not backend.is_floating(self.data.dtype):
            raise TypeError(f"only floating-point tensors can require gradients; "
                            f"this tensor{self._label()} is {self.data.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad cannot be turned off on a non-leaf tensor; "
                               "use .detach()")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    def numel(self) -> int:
        return self.data.size

    def size(self, dim=None):
        """The shape (a tuple), or the size of axis ``dim``, as in PyTorch."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_ops_common.normalize_axis(dim, self.data.ndim, "size")]

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return self.data.ndim

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def _label(self):
        return f" '{self.name}'" if self.name else ""

    def __repr__(self):
        body = backend.format_array(self.data, prefix="tensor(")
        extra = []
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self.dtype not in (backend.default_dtype(), backend.int64, backend.bool_):
            extra.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        if self.name:
            extra.append(f"name='{self.name}'")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    # -- leaving the graph / the device -------------------------------------
    def numpy(self):
        """A NumPy array with the values (copied off a GPU if needed)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        if self.device != "cpu":
            raise TypeError(f"cannot convert a tensor on {self.device} to NumPy implicitly; "
                            "call .numpy()")
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): the tensor has {self.data.size} elements, not 1")
        return self.data.item()

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats a 0-d tensor's value, as in PyTorch."""
        if self.data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"cannot format a tensor of shape {self.shape} with {spec!r}: "
                            "only 0-d tensors take a format spec (use .item() or .tolist())")
        return repr(self)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} "
                             "elements is ambiguous")
        return bool(self.item())

    def detach(self):
        """The same data, cut from the graph (a new leaf that needs no grad)."""
        return Tensor._make(self.data)

    def to(self, *args, device=None, dtype=None, copy=False, non_blocking=False):
        """This tensor on a device and/or in a dtype, as PyTorch's ``to``:
        ``to("cuda")``, ``to(ag.float64)``, ``to("cuda", ag.float16)``,
        ``to(other)`` (other's device and dtype). Differentiable; ``self``
        when nothing changes (unless ``copy``)."""
        if len(args) == 1 and isinstance(args[0], Tensor):
            device, dtype = args[0].device, args[0].dtype
        else:
            device, dtype = backend.device_and_dtype(args, device, dtype)
        out = self
        if dtype is not None and backend.as_dtype(dtype) != self.dtype:
            out = _sh.astype(out, dtype)
        if device is not None:
            out = _sh.to_device(out, device)
        return _sh.clone(out) if copy and out is self else out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def astype(self, dtype):
        return _sh.astype(self, dtype)

    def float(self):
        return _sh.astype(self, backend.float32)

    def double(self):
        return _sh.astype(self, backend.float64)

    def long(self):
        return _sh.astype(self, backend.int64)

    def half(self):
        return _sh.astype(self, backend.float16)

    def int(self):
        return _sh.astype(self, backend.int32)

    def bool(self):
        return _sh.astype(self, backend.bool_)

    def type(self, dtype=None):
        """Cast to ``dtype`` (PyTorch's ``x.type(torch.float)``); without one,
        the dtype's name."""
        return str(self.dtype) if dtype is None else _sh.astype(self, dtype)

    # -- backpropagation ----------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that
        requires grad. ``grad`` is required unless self has one element."""
        _engine.backward([self], [grad], retain_graph=retain_graph or create_graph,
                         create_graph=create_graph)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retain_grad = True
        return self

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is complete, during
        backward; returning a tensor replaces the gradient. Returns a handle
        whose ``remove()`` takes the hook off."""
        if not self._requires_grad:
            raise RuntimeError(f"register_hook: tensor{self._label()} does not require grad")
        if self._hooks is None:
            self._hooks = {}
        key = object()
        self._hooks[key] = hook
        return _HookHandle(self._hooks, key)

    # -- in place (bump the version, so a stale saved tensor is caught) -----
    @contextlib.contextmanager
    def _in_place(self, what, value=None):
        """``with self._in_place("add_", other) as v: self.data += v``: refuse
        a change the graph would miss, bump the version, hand over ``value``
        as an array, and turn an array library error into one naming the
        method and the shapes."""
        if self._requires_grad and state.grad_enabled:
            raise RuntimeError(
                f"{what}: in-place change of tensor{self._label()} (shape {self.shape}), which "
                "requires grad, while recording; do it under `with autograd.no_grad():` (as "
                "optimizers do) or use the out-of-place op")
        self._version += 1
        try:
            if value is None or isinstance(value, Tensor):
                yield None if value is None else value.data
            else:
                yield backend.scalar_like(value, self.data) if backend.is_scalar(value) else \
                    backend.asarray(value, dtype=self.dtype, device=self.device)
        except (ValueError, IndexError, TypeError) as e:
            other = getattr(value, "shape", None)
            other = f", value of shape {tuple(other)}" if other is not None else ""
            error = IndexOpError if isinstance(e, IndexError) else OpError
            raise error(f"{what}: {e} (tensor{self._label()} of shape {self.shape}{other})") \
                from None

    def add_(self, other):
        with self._in_place("add_", other) as v:
            self.data += v
        return self

    def sub_(self, other):
        with self._in_place("sub_", other) as v:
            self.data -= v
        return self

    def mul_(self, other):
        with self._in_place("mul_", other) as v:
            self.data *= v
        return self

    def div_(self, other):
        with self._in_place("div_", other) as v:
            self.data /= v
        return self

    def zero_(self):
        with self._in_place("zero_"):
            self.data[...] = 0
        return self

    def fill_(self, value):
        with self._in_place("fill_", value) as v:
            self.data[...] = v
        return self

    def copy_(self, src):
        with self._in_place("copy_", src) as v:
            self.data[...] = v
        return self

    def clamp_(self, min=None, max=None):
        with self._in_place("clamp_"):
            backend.array_module(self.data).clip(self.data, min, max, out=self.data)
        return self

    def __setitem__(self, index, value):
        with self._in_place("__setitem__", value) as v:
            if isinstance(index, Tensor):
                index = index.data
            self.data[index] = v

    def masked_fill_(self, mask, value):
        """Set the elements where ``mask`` (broadcast) holds to ``value``."""
        with self._in_place("masked_fill_", value) as v:
            xp = backend.array_module(self.data)
            self.data[...] = xp.where(_as_array(mask), v, self.data)
        return self

    def index_fill_(self, dim, index, value):
        """Set the slices at a 1-D integer ``index`` along ``dim`` to ``value``."""
        with self._in_place("index_fill_", value) as v:
            axis = _ops_common.normalize_axis(dim, self.data.ndim, "index_fill_")
            self.data[(slice(None),) * axis + (_as_array(index),)] = v
        return self

    def scatter_(self, dim, index, src=None, value=None):
        """self[..., index[..., i, ...], ...] = src[..., i, ...] along ``dim``
        (or = ``value``), PyTorch's scatter_; the inverse of gather."""
        source = value if src is None else src
        with self._in_place("scatter_", source) as v:
            axis = _ops_common.normalize_axis(dim, self.data.ndim, "scatter_")
            index = _as_array(index)
            _ix.check_gather_index(self.data, axis, index, "scatter_")
            if getattr(v, "ndim", 0):
                v = v[tuple(slice(0, n) for n in index.shape)]
            self.data[_ix.along_axis(index, axis, backend.array_module(self.data))] = v
        return self

    # -- arithmetic (NumPy broadcasting; Python scalars take our dtype) -----
    def __add__(self, o): return _ar.add(self, o)
    def __radd__(self, o): return _ar.add(o, self)
    def __sub__(self, o): return _ar.sub(self, o)
    def __rsub__(self, o): return _ar.sub(o, self)
    def __mul__(self, o): return _ar.mul(self, o)
    def __rmul__(self, o): return _ar.mul(o, self)
    def __truediv__(self, o): return _ar.div(self, o)
    def __rtruediv__(self, o): return _ar.div(o, self)
    def __pow__(self, o): return _ar.pow(self, o)
    def __rpow__(self, o): return _ar.pow(o, self)
    def __matmul__(self, o): return _la.matmul(self, o)
    def __rmatmul__(self, o): return _la.matmul(o, self)
    def __neg__(self): return _ar.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _un.abs(self)

    # Comparisons record nothing and return boolean tensors.
    def __lt__(self, o): return _ar.compare(self, o, "less")
    def __le__(self, o): return _ar.compare(self, o, "less_equal")
    def __gt__(self, o): return _ar.compare(self, o, "greater")
    def __ge__(self, o): return _ar.compare(self, o, "greater_equal")
    def __eq__(self, o): return _ar.compare(self, o, "equal")
    def __ne__(self, o): return _ar.compare(self, o, "not_equal")
    __hash__ = object.__hash__

    # Bitwise on integers (keeping their dtype), logical on booleans; no gradient.
    def __and__(self, o): return _ar.bitwise(self, o, "bitwise_and")
    def __rand__(self, o): return _ar.bitwise(o, self, "bitwise_and")
    def __or__(self, o): return _ar.bitwise(self, o, "bitwise_or")
    def __ror__(self, o): return _ar.bitwise(o, self, "bitwise_or")
    def __xor__(self, o): return _ar.bitwise(self, o, "bitwise_xor")
    def __rxor__(self, o): return _ar.bitwise(o, self, "bitwise_xor")
    def __invert__(self): return _ar.bitwise_not(self)

    # -- elementwise, reductions, indexing: the op functions themselves, bound
    # -- as methods at the end of this file (x.sum(1) is autograd.sum(x, 1)).

    # -- shape (PyTorch's and NumPy's argument forms) -------------------------
    def reshape(self, *shape): return _sh.reshape(self, _shape_arg(shape))
    view = reshape

    def transpose(self, *dims, axes=None):
        """``transpose(d0, d1)`` swaps two axes (PyTorch); ``transpose(perm)``
        or several axes permutes them and ``transpose()`` reverses them (NumPy)."""
        return _sh.transpose(self, *dims, axes=axes)

    def permute(self, *dims): return _sh.transpose(self, _shape_arg(dims))
    def broadcast_to(self, *shape): return _sh.broadcast_to(self, _shape_arg(shape))
    def expand(self, *shape): return _sh.expand(self, _shape_arg(shape))
    def repeat(self, *sizes): return _sh.repeat(self, _shape_arg(sizes))

    def t(self):
        """The transpose of a matrix (a vector or scalar stays as it is)."""
        if self.data.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dimensions, got shape "
                             f"{self.shape} (use transpose(d0, d1) or mT)")
        return self if self.data.ndim < 2 else _sh.transpose(self, 0, 1)

    @property
    def T(self):
        return _sh.transpose(self)

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed)."""
        return _sh.transpose(self, -2, -1)

    def __getitem__(self, index): return _sh.getitem(self, index)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class _HookHandle:
    def __init__(self, table, key):
        self._table, self._key = table, key

    def remove(self):
        self._table.pop(self._key, None)


def _shape_arg(args):
    """Accept both f(2, 3) and f((2, 3)), as NumPy and PyTorch users write."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _as_array(value):
    return value.data if isinstance(value, Tensor) else value


# Last, because the ops and the engine build on Tensor: they import this module.
from .ops import arithmetic as _ar, unary as _un, reduction as _rd  # noqa: E402
from .ops import shape as _sh, linalg as _la, softmax as _sm, indexing as _ix  # noqa: E402
from .ops import common as _ops_common  # noqa: E402
from .function import IndexOpError, OpError  # noqa: E402
from . import pytorch_names as _pytorch_names  # noqa: E402
from . import engine as _engine  # noqa: E402

# Methods that are the op functions themselves (x.exp() is autograd.exp(x)).
for _module, _names in (
        (_un, "exp log sqrt rsqrt tanh sigmoid relu gelu erf abs sin cos"),
        (_ar, "add sub mul div pow neg maximum minimum clip masked_fill tril triu "
              "isnan isinf isfinite allclose"),
        (_rd, "sum mean max min amax amin var std logsumexp argmax argmin any all cumsum norm"),
        (_sm, "softmax log_softmax"),
        (_sh, "squeeze unsqueeze flatten split chunk swapaxes movedim moveaxis expand_as "
              "repeat_interleave clone contiguous"),
        (_ix, "gather index_select sort argsort topk"),
        (_la, "matmul bmm")):
    for _name in _names.split():
        setattr(Tensor, _name, getattr(_module, _name))
Tensor.clamp = _ar.clip
# PyTorch methods gradformer lacks: reading one raises an error naming what to
# use instead (class attributes, so the lookups of everything else cost nothing).
for _name, _instead in _pytorch_names.TENSOR.items():
    setattr(Tensor, _name, _pytorch_names.Missing(_name, _instead))
