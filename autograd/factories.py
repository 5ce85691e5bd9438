"""Making tensors: from data, filled, ranges, and random draws (from the
device's seedable generator, or a ``Generator`` of one's own)."""
from __future__ import annotations

from . import backend
from .generator import draws
from .tensor import Tensor, _shape_arg


def tensor(data, requires_grad=False, dtype=None, device=None, name=None) -> Tensor:
    """A new leaf tensor (a copy of ``data``); floats default to float32."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device, name=name)


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes show in both), as
    PyTorch's from_numpy; its dtype is the array's."""
    if not backend.is_host_array(array):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__} "
                        "(use autograd.tensor() for other data)")
    backend.as_dtype(array.dtype)                   # refuses strings, objects, complex
    return Tensor._make(array)


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
    """``shape`` filled with ``fill_value``; the dtype follows the value when
    not given (bool, int64, or the default float), as in PyTorch."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = backend.dtype_of_value(fill_value)
    return _factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), shape, dtype, device,
                    requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m (default n x n) identity matrix."""
    return _factory(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included."""
    return _factory(lambda xp, s, d: xp.linspace(start, end, steps, dtype=d), (), dtype, device,
                    requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """Like NumPy's arange; int64 for integer arguments."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, int) for v in (start, stop, step)):
        dtype = backend.int64
    return _factory(lambda xp, s, d: xp.arange(start, stop, step, dtype=d),
                    (), dtype, device, False)


def _like(factory, x, dtype, requires_grad, *args):
    return factory(*args, *x.shape, dtype=dtype or x.dtype, device=x.device,
                   requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _like(zeros, x, dtype, requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _like(ones, x, dtype, requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, requires_grad=False) -> Tensor:
    """x's shape, dtype and device, filled with ``fill_value``."""
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=x.device,
                requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform on [0, 1) from the device's seedable generator (or ``generator``)."""
    gen = draws(generator, device)
    return _factory(lambda xp, s, d: gen.random(s, dtype=d), shape, dtype, device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal from the device's seedable generator (or ``generator``)."""
    gen = draws(generator, device)
    return _factory(lambda xp, s, d: gen.standard_normal(s, dtype=d),
                    shape, dtype, device, requires_grad)


def rand_like(x: Tensor, dtype=None, requires_grad=False, generator=None) -> Tensor:
    return rand(*x.shape, dtype=dtype or x.dtype, device=x.device, requires_grad=requires_grad,
                generator=generator)


def randn_like(x: Tensor, dtype=None, requires_grad=False, generator=None) -> Tensor:
    return randn(*x.shape, dtype=dtype or x.dtype, device=x.device, requires_grad=requires_grad,
                 generator=generator)


def randint(low, high, shape, dtype=None, device=None, generator=None) -> Tensor:
    """Integers in [low, high) from the device's seedable generator."""
    gen = draws(generator, device)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _factory(lambda xp, s, d: gen.integers(low, high, size=s, dtype=d),
                    shape, dtype or backend.int64, device, False)


def randperm(n, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64), seeded like every draw."""
    gen = draws(generator, device)
    return _factory(lambda xp, s, d: xp.argsort(gen.random((n,))).astype(d), (),
                    dtype or backend.int64, device, False)


def multinomial(probs: Tensor, num_samples, replacement=False, generator=None) -> Tensor:
    """``num_samples`` category ids per row of ``probs`` (1-D or 2-D, rows of
    non-negative weights), int64, no gradient. Without replacement each row
    draws distinct categories (an exponential race: the smallest -log(u)/p
    win); with replacement, inverse-CDF draws."""
    p = probs.data if probs.ndim == 2 else probs.data.reshape(1, -1)
    if probs.ndim not in (1, 2) or p.shape[1] == 0:
        raise ValueError(f"multinomial: expected 1-D or 2-D probabilities with at least one "
                         f"category, got shape {probs.shape}")
    if bool((p < 0).any()) or not bool((p.sum(axis=1) > 0).all()):
        raise ValueError("multinomial: weights must be non-negative with a positive sum per row")
    xp = backend.array_module(p)
    gen = draws(generator, probs.device)
    if replacement:
        u = gen.random((p.shape[0], num_samples))
        cdf = xp.cumsum(p, axis=1) / p.sum(axis=1, keepdims=True)
        ids = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2)
        ids = xp.minimum(ids, p.shape[1] - 1)
    else:
        if num_samples > int((p > 0).sum(axis=1).min()):
            raise ValueError(f"multinomial: cannot draw {num_samples} distinct categories "
                             "without replacement from a row with fewer non-zero weights")
        u = gen.random(p.shape)
        keys = xp.where(p > 0, -xp.log(u) / xp.where(p > 0, p, 1), xp.inf)
        ids = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    ids = ids.astype(backend.int64)
    return Tensor._make(ids if probs.ndim == 2 else ids.reshape(-1))
