"""``Tensor``: an array of any device plus what backpropagation needs.

Operators and methods delegate to the op functions of ``autograd.ops``; the
ops are where forward and backward live.
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

    def to(self, device=None, dtype=None):
        """A copy on ``device`` and/or in ``dtype``; differentiable."""
        out = self
        if dtype is not None and backend.as_dtype(dtype) != self.dtype:
            out = _sh.astype(out, dtype)
        if device is not None:
            out = _sh.to_device(out, device)
        return out

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
            raise OpError(f"{what}: {e} (tensor{self._label()} of shape {self.shape}{other})") \
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

    # Boolean logic on masks (no gradient).
    def __and__(self, o): return _ar.compare(self, o, "logical_and")
    def __or__(self, o): return _ar.compare(self, o, "logical_or")
    def __xor__(self, o): return _ar.compare(self, o, "logical_xor")
    def __invert__(self): return _ar.logical_not(self)

    # -- elementwise --------------------------------------------------------
    def exp(self): return _un.exp(self)
    def log(self): return _un.log(self)
    def sqrt(self): return _un.sqrt(self)
    def tanh(self): return _un.tanh(self)
    def sigmoid(self): return _un.sigmoid(self)
    def relu(self): return _un.relu(self)
    def gelu(self): return _un.gelu(self)
    def abs(self): return _un.abs(self)
    def sin(self): return _un.sin(self)
    def cos(self): return _un.cos(self)
    def clip(self, min=None, max=None): return _ar.clip(self, min, max)
    clamp = clip

    # -- reductions ---------------------------------------------------------
    def sum(self, axis=None, keepdims=False): return _rd.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _rd.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _rd.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _rd.min(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return _rd.var(self, axis, keepdims, ddof)
    def logsumexp(self, axis=None, keepdims=False): return _rd.logsumexp(self, axis, keepdims)
    def softmax(self, axis=-1): return _sm.softmax(self, axis)
    def log_softmax(self, axis=-1): return _sm.log_softmax(self, axis)

    def argmax(self, axis=None, keepdims=False): return _rd.argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _rd.argmin(self, axis, keepdims)

    # -- shape --------------------------------------------------------------
    def reshape(self, *shape): return _sh.reshape(self, _shape_arg(shape))
    view = reshape

    def transpose(self, *axes):
        return _sh.transpose(self, _shape_arg(axes) if axes else None)

    def permute(self, *axes): return _sh.transpose(self, _shape_arg(axes))
    def swapaxes(self, axis1, axis2): return _sh.swapaxes(self, axis1, axis2)
    def broadcast_to(self, *shape): return _sh.broadcast_to(self, _shape_arg(shape))

    def expand(self, *shape): return _sh.expand(self, _shape_arg(shape))

    def squeeze(self, axis=None): return _sh.squeeze(self, axis)
    def unsqueeze(self, axis): return _sh.unsqueeze(self, axis)
    def flatten(self): return _sh.reshape(self, (-1,))
    def split(self, indices_or_sections, axis=0): return _sh.split(self, indices_or_sections, axis)

    @property
    def T(self):
        return _sh.transpose(self, None)

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


# -- factories -------------------------------------------------------------

def tensor(data, requires_grad=False, dtype=None, device=None, name=None) -> Tensor:
    """A new leaf tensor (a copy of ``data``); floats default to float32."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device, name=name)


def _factory(fill, shape, dtype, device, requires_grad):
    """Run ``fill(xp, shape, dtype)`` on ``device`` and wrap it as a leaf."""
    dtype = backend.as_dtype(dtype) if dtype is not None else backend.default_dtype()
    with backend.on_device(device) as xp:
        data = fill(xp, _shape_arg(shape), dtype)
    t = Tensor._make(data)
    t.requires_grad = requires_grad
    return t


def zeros(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _factory(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _factory(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), shape, dtype, device,
                    requires_grad)


def zeros_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return zeros(*x.shape, dtype=dtype or x.dtype, device=x.device, requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return ones(*x.shape, dtype=dtype or x.dtype, device=x.device, requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1) from the device's seedable generator."""
    gen = backend.generator(device)
    return _factory(lambda xp, s, d: gen.random(s, dtype=d), shape, dtype, device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal from the device's seedable generator."""
    gen = backend.generator(device)
    return _factory(lambda xp, s, d: gen.standard_normal(s, dtype=d),
                    shape, dtype, device, requires_grad)


def randint(low, high, shape, dtype=None, device=None) -> Tensor:
    """Integers in [low, high) from the device's seedable generator."""
    gen = backend.generator(device)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _factory(lambda xp, s, d: gen.integers(low, high, size=s, dtype=d),
                    shape, dtype or backend.int64, device, False)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """Like NumPy's arange; int64 for integer arguments."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, int) for v in (start, stop, step)):
        dtype = backend.int64
    return _factory(lambda xp, s, d: xp.arange(start, stop, step, dtype=d),
                    (), dtype, device, False)


# Last, because the ops and the engine build on Tensor: they import this module.
from .ops import arithmetic as _ar, unary as _un, reduction as _rd  # noqa: E402
from .ops import shape as _sh, linalg as _la, softmax as _sm  # noqa: E402
from .function import OpError  # noqa: E402
from . import engine as _engine  # noqa: E402
