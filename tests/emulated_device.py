"""A test-only second device, "emu", that behaves like CuPy where it matters.

Its arrays wrap NumPy arrays but, like CuPy's, refuse implicit conversion to
NumPy (``np.asarray(a)``, ``np.exp(a)``) and refuse to mix with host arrays in
arithmetic and in the functions of its array module. An op that reaches for
NumPy instead of the array module of its inputs, or that leaks a host array
into device code, fails on this device, so the GPU path stays honest on
machines without a GPU.
"""
from __future__ import annotations

import operator

import numpy as np

from autograd import backend


class HostLeak(TypeError):
    pass


def _unwrap(obj, where):
    if isinstance(obj, EmuArray):
        return obj._a
    if isinstance(obj, np.ndarray):
        raise HostLeak(f"{where}: a host NumPy array reached the emulated device "
                       f"(shape {obj.shape}); move it with the backend first")
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(o, where) for o in obj)
    return obj


def _wrap(obj):
    if isinstance(obj, np.ndarray):
        return EmuArray(obj)
    if isinstance(obj, np.generic):          # CuPy returns 0-d arrays, not scalars
        return EmuArray(np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(_wrap(o) for o in obj)
    if isinstance(obj, list):
        return [_wrap(o) for o in obj]
    return obj


def _binary(name):
    op = getattr(operator, name)

    def method(self, other):
        return _wrap(op(self._a, _unwrap(other, name)))

    def reflected(self, other):
        return _wrap(op(_unwrap(other, name), self._a))

    return method, reflected


class EmuArray:
    __slots__ = ("_a",)
    __array_priority__ = 2000

    def __init__(self, a):
        self._a = a

    # Like CuPy: no silent trip to the host.
    def __array__(self, *args, **kwargs):
        raise HostLeak("implicit conversion of an emulated-device array to NumPy "
                       "(use the backend's to_numpy)")

    def __array_ufunc__(self, *args, **kwargs):
        raise HostLeak("a NumPy ufunc was called on an emulated-device array "
                       "(ops must use the array module of their inputs)")

    def __array_function__(self, *args, **kwargs):
        raise HostLeak("a NumPy function was called on an emulated-device array "
                       "(ops must use the array module of their inputs)")

    @property
    def shape(self): return self._a.shape
    @property
    def dtype(self): return self._a.dtype
    @property
    def ndim(self): return self._a.ndim
    @property
    def size(self): return self._a.size
    @property
    def T(self): return EmuArray(self._a.T)
    @property
    def base(self): return self._a.base
    @property
    def nbytes(self): return self._a.nbytes
    @property
    def itemsize(self): return self._a.itemsize
    @property
    def strides(self): return self._a.strides
    @property
    def flags(self): return self._a.flags

    def __getattr__(self, name):
        if name.startswith("__"):   # no __array_interface__ & co: no silent host view
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, name), **{k: _unwrap(v, name)
                                                        for k, v in kwargs.items()}))
        return method

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index, "getitem")])

    def __setitem__(self, index, value):
        self._a[_unwrap(index, "setitem")] = _unwrap(value, "setitem")

    def __len__(self): return len(self._a)
    def __iter__(self): return (_wrap(v) for v in self._a)
    def __float__(self): return float(self._a)
    def __int__(self): return int(self._a)
    def __bool__(self): return bool(self._a)
    def __index__(self): return operator.index(self._a)
    def __neg__(self): return EmuArray(-self._a)
    def __pos__(self): return self
    def __abs__(self): return EmuArray(abs(self._a))
    def __invert__(self): return EmuArray(~self._a)
    def __repr__(self): return f"emu({self._a!r})"

    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("sub")
    __mul__, __rmul__ = _binary("mul")
    __truediv__, __rtruediv__ = _binary("truediv")
    __floordiv__, __rfloordiv__ = _binary("floordiv")
    __mod__, __rmod__ = _binary("mod")
    __pow__, __rpow__ = _binary("pow")
    __matmul__, __rmatmul__ = _binary("matmul")
    __and__, __rand__ = _binary("and_")
    __or__, __ror__ = _binary("or_")
    __xor__, __rxor__ = _binary("xor")
    __lt__, _ = _binary("lt")
    __le__, _ = _binary("le")
    __gt__, _ = _binary("gt")
    __ge__, _ = _binary("ge")
    __eq__, _ = _binary("eq")
    __ne__, _ = _binary("ne")
    __hash__ = None

    def __iadd__(self, o): self._a += _unwrap(o, "iadd"); return self
    def __isub__(self, o): self._a -= _unwrap(o, "isub"); return self
    def __imul__(self, o): self._a *= _unwrap(o, "imul"); return self
    def __itruediv__(self, o): self._a /= _unwrap(o, "itruediv"); return self
    def __iand__(self, o): self._a &= _unwrap(o, "iand"); return self
    def __ior__(self, o): self._a |= _unwrap(o, "ior"); return self


class _EmuModule:
    """The array module of the emulated device: NumPy's functions, taking and
    returning emulated arrays, refusing host arrays (but ``asarray``, which
    copies host data onto the device as ``cupy.asarray`` does)."""
    __name__ = "emu"

    def __getattr__(self, name):
        attr = getattr(np, name)
        if not callable(attr) or isinstance(attr, type):
            return attr

        def function(*args, **kwargs):
            out = kwargs.pop("out", None)
            kwargs = {k: _unwrap(v, name) for k, v in kwargs.items()}
            if out is not None:
                kwargs["out"] = _unwrap(out, name)
            result = attr(*_unwrap(args, name), **kwargs)
            return out if out is not None else _wrap(result)
        function.__name__ = name
        return function

    def asarray(self, a, dtype=None):
        if isinstance(a, EmuArray):
            return a if dtype is None else EmuArray(a._a.astype(dtype))
        return EmuArray(np.array(a, dtype=dtype))


emu = _EmuModule()


class _EmuGenerator:
    """A NumPy generator whose draws land on the emulated device."""

    def __init__(self, seed):
        self._g = np.random.Generator(np.random.PCG64(seed))

    @property
    def bit_generator(self):
        return self._g.bit_generator

    def __getattr__(self, name):
        attr = getattr(self._g, name)
        return lambda *a, **k: _wrap(attr(*a, **k))


def _to_host(a):
    return a._a.copy()


def _scatter_add(target, index, values):
    np.add.at(target._a, _unwrap(index, "scatter_add"), _unwrap(values, "scatter_add"))


def register():
    """Make the "emu" device known to the backend (idempotent)."""
    if "emu" in backend._kinds:
        return
    backend.register_device_kind(backend.DeviceKind(
        name="emu", xp=emu, array_type=EmuArray,
        from_host=lambda a, index: EmuArray(np.array(a)), to_host=_to_host,
        index_of=lambda a: 0, scatter_add=_scatter_add,
        new_generator=lambda seed, index: _EmuGenerator(seed),
        get_state=lambda g: backend._numpy_get_state(g),
        set_state=lambda g, s: backend._numpy_set_state(g, s)))

