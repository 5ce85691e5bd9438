"""The one door to array libraries: NumPy on the CPU, CuPy on NVIDIA GPUs.

No other module of the project imports numpy or cupy. Everything that needs an
array library asks this module for the *array module* (``xp``) of the arrays it
holds, so the same op code runs on every device.

A device kind ("cpu", "cuda", and test-only kinds) is described by a
:class:`DeviceKind`: its array module, how to recognise its arrays, how to
move data on and off it, its scatter-add and its random generator.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import numbers
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from . import threads

# Dtypes are NumPy dtype objects on every device (CuPy uses them too).
float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")

_DTYPE_NAMES = {"float16": float16, "float32": float32, "float64": float64,
                "uint8": uint8, "int8": int8, "int16": int16,
                "int32": int32, "int64": int64, "bool": bool_, "float": float32,
                "double": float64, "half": float16, "long": int64, "int": int32}

_default_float = float32


def default_dtype():
    """The dtype of floating-point tensors made from Python data (float32)."""
    return _default_float


def set_default_dtype(dtype):
    global _default_float
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float = dtype


def as_dtype(dtype):
    """Turn a dtype-like (a name, a NumPy dtype or type) into a dtype."""
    if isinstance(dtype, str):
        try:
            return _DTYPE_NAMES[dtype]
        except KeyError:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of "
                            f"{sorted(_DTYPE_NAMES)}") from None
    try:
        out = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if out.kind not in "fiub":
        raise TypeError(f"unsupported dtype {dtype!r} ({out}): tensors hold floating-point, "
                        "integer or boolean data")
    return out


def device_and_dtype(args, device=None, dtype=None):
    """The device and the dtype among ``x.to(...)``'s positional arguments:
    ``to("cuda")``, ``to(float64)``, ``to("float64")``, ``to("cuda", float16)``."""
    for arg in args:
        if isinstance(arg, str) and arg not in _DTYPE_NAMES:
            device = arg
        elif arg is not None:
            dtype = as_dtype(arg)
    return device, dtype


def is_floating(dtype) -> bool:
    return dtype.kind == "f"


# ---------------------------------------------------------------------------
# Device kinds
# ---------------------------------------------------------------------------

@dataclass
class DeviceKind:
    """Everything the framework needs to know about one kind of array memory."""
    name: str                                   # "cpu", "cuda", ...
    xp: Any                                     # the array module
    array_type: type                            # the ndarray class of xp
    from_host: Callable[[Any, int], Any]        # (numpy array, index) -> array
    to_host: Callable[[Any], Any]               # array -> numpy array
    index_of: Callable[[Any], int]              # array -> device index
    scatter_add: Callable[[Any, Any, Any], None]  # target[idx] += values, repeats add
    new_generator: Callable[[int, int], Any]    # (seed, index) -> random generator
    get_state: Callable[[Any], Any] = None      # generator -> JSON-able state
    set_state: Callable[[Any, Any], None] = None  # (generator, state)
    context: Callable[[int], Any] = None        # index -> "make arrays there" context
    generators: dict = field(default_factory=dict)  # index -> generator


_kinds: dict[str, DeviceKind] = {}
_by_type: dict[type, DeviceKind] = {}
_seed = None  # the last manual_seed; new generators derive from it


def register_device_kind(kind: DeviceKind):
    """Make a device kind known (CuPy's "cuda" registers itself when present;
    tests register an emulated device through this too)."""
    _kinds[kind.name] = kind
    _by_type[kind.array_type] = kind


def _numpy_generator(seed, index):
    return numpy.random.Generator(numpy.random.PCG64(seed))


def _numpy_get_state(gen):
    return json.dumps(gen.bit_generator.state)


def _numpy_set_state(gen, state):
    gen.bit_generator.state = json.loads(state)


def _numpy_scatter_add(target, index, values):
    if type(index) is numpy.ndarray and index.ndim == 1 and index.dtype.kind in "iu" and \
            target.ndim > 1 and target.flags.c_contiguous and \
            values.shape == index.shape + target.shape[1:]:
        # Whole rows at integer indices: add.at is ~5x faster on one flat index of
        # elements than on rows (the same additions, in the same order).
        row = target[0].size
        index = (index[:, None] * row + numpy.arange(row)).reshape(-1)
        target, values = target.reshape(-1), values.reshape(-1)
    numpy.add.at(target, index, values)


register_device_kind(DeviceKind(
    name="cpu", xp=numpy, array_type=numpy.ndarray,
    from_host=lambda a, index: a, to_host=lambda a: a, index_of=lambda a: 0,
    scatter_add=_numpy_scatter_add, new_generator=_numpy_generator,
    get_state=_numpy_get_state, set_state=_numpy_set_state))


def _register_cupy():
    """Register CuPy as "cuda" if it imports and sees a GPU; return why not."""
    try:  # imported here, on purpose: CuPy is optional, autograd imports without it
        import cupy
        import cupyx
    except Exception as e:  # ImportError, or a broken CUDA install
        return f"CuPy is not installed ({type(e).__name__}: {e})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return f"CuPy found no usable GPU ({type(e).__name__}: {e})"
    if count == 0:
        return "CuPy found no GPU"

    def from_host(a, index):
        with cupy.cuda.Device(index):
            return cupy.asarray(a)

    def new_generator(seed, index):
        with cupy.cuda.Device(index):
            return cupy.random.default_rng(seed)

    register_device_kind(DeviceKind(
        name="cuda", xp=cupy, array_type=cupy.ndarray,
        from_host=from_host, to_host=cupy.asnumpy, index_of=lambda a: a.device.id,
        scatter_add=cupyx.scatter_add, new_generator=new_generator,
        context=cupy.cuda.Device))
    return None


cuda_unavailable_reason = _register_cupy()


def cuda_available() -> bool:
    return "cuda" in _kinds


# ---------------------------------------------------------------------------
# Devices of arrays
# ---------------------------------------------------------------------------

def parse_device(device) -> tuple[DeviceKind, int]:
    """"cpu" / "cuda" / "cuda:1" -> (kind, index); a clear error otherwise."""
    if device is None:
        device = "cpu"
    if not isinstance(device, str):
        device = str(device)
    name, _, index = device.partition(":")
    kind = _kinds.get(name)
    if kind is None:
        if name == "cuda":
            raise RuntimeError(f"device 'cuda' is not available: {cuda_unavailable_reason}")
        raise ValueError(f"unknown device {device!r}; known devices: {sorted(_kinds)}")
    try:
        return kind, int(index) if index else 0
    except ValueError:
        raise ValueError(f"bad device index in {device!r}") from None


def kind_of(array) -> DeviceKind:
    kind = _by_type.get(type(array))
    if kind is None:
        if isinstance(array, numpy.generic):   # NumPy returns scalars from 0-d math
            return _kinds["cpu"]
        for array_type, k in _by_type.items():
            if isinstance(array, array_type):
                return k
        raise TypeError(f"not an array of a known device: {type(array).__name__}")
    return kind


def device_of(array) -> str:
    kind = kind_of(array)
    if kind.name == "cpu":
        return "cpu"
    return f"{kind.name}:{kind.index_of(array)}"


def array_module(*arrays):
    """The array module shared by ``arrays``; raises naming both devices if
    they live on different devices."""
    first = type(arrays[0])
    for a in arrays[1:]:
        if type(a) is not first:
            break
    else:
        if first is numpy.ndarray:
            return numpy
        kind = kind_of(arrays[0])
        if kind.name == "cpu" or len({kind.index_of(a) for a in arrays}) == 1:
            return kind.xp
    devices = []
    for a in arrays:
        d = device_of(a)
        if d not in devices:
            devices.append(d)
    if len(devices) == 1:
        return kind_of(arrays[0]).xp
    raise RuntimeError(f"expected all tensors on one device, got {devices[0]} and {devices[1]}")


@contextlib.contextmanager
def on_device(device):
    """``with on_device("cuda:1") as xp:`` arrays made with ``xp`` land there."""
    kind, index = parse_device(device)
    if kind.context is None:
        yield kind.xp
    else:
        with kind.context(index):
            yield kind.xp


def format_array(array, prefix=""):
    """The values as NumPy prints them, indented to follow ``prefix``."""
    return numpy.array2string(to_numpy(array), separator=", ", prefix=prefix)


def is_array(obj) -> bool:
    return type(obj) in _by_type or any(isinstance(obj, t) for t in _by_type)


def ones_like(array):
    return kind_of(array).xp.ones_like(array)


def is_scalar(obj) -> bool:
    """Python and NumPy scalars and 0-d host arrays: values that take the dtype
    of the tensor they meet (the NumPy 2 promotion trap, see DESIGN.md 2)."""
    if type(obj) in _PYTHON_NUMBERS:
        return True
    if isinstance(obj, (numbers.Number, numpy.bool_)):
        return True
    return isinstance(obj, numpy.ndarray) and obj.ndim == 0


def to_numpy(array):
    """A host NumPy copy-or-view of any device's array."""
    return kind_of(array).to_host(array)


def asarray(data, dtype=None, device=None, copy=False):
    """Make an array on ``device`` from Python data, a NumPy array or any
    device's array. Python floats become the default float dtype, Python ints
    int64; arrays keep their dtype unless ``dtype`` is given. ``copy=True``
    never returns the caller's own array."""
    kind, index = parse_device(device)
    if dtype is not None:
        dtype = as_dtype(dtype)
    if is_array(data):
        if data.dtype.kind not in "fiub":
            raise TypeError(f"cannot make a tensor from an array of dtype {data.dtype}: tensors "
                            "hold floating-point, integer or boolean data")
        if kind_of(data) is kind and (kind.name == "cpu" or kind.index_of(data) == index):
            if dtype is not None and data.dtype != dtype:
                return data.astype(dtype)
            return data.copy() if copy else data
        host = to_numpy(data)
    else:
        try:
            host = numpy.asarray(data)
        except ValueError as e:                 # ragged nested lists, mostly
            raise ValueError(f"cannot make a tensor from this {type(data).__name__}: {e}") \
                from None
        if dtype is None:
            if host.dtype.kind == "f":
                dtype = _default_float if not isinstance(data, numpy.ndarray) else None
            elif host.dtype.kind in "iu" and not isinstance(data, numpy.ndarray):
                dtype = int64
            elif host.dtype.kind not in "fiub":
                raise TypeError(f"cannot make a tensor from data of type {host.dtype} "
                                f"({type(data).__name__})")
    if dtype is not None and host.dtype != dtype:
        host = host.astype(dtype)
    return kind.from_host(numpy.ascontiguousarray(host) if host.ndim else host, index)


_PYTHON_NUMBERS = (float, int, bool)


def is_host_array(obj) -> bool:
    """A NumPy array (what from_numpy accepts)."""
    return isinstance(obj, numpy.ndarray)


def dtype_of_value(value):
    """The dtype a tensor filled with ``value`` gets, as in PyTorch: bool,
    int64 for integers, the default float for floats; arrays keep theirs."""
    if isinstance(value, (bool, numpy.bool_)):
        return bool_
    if isinstance(value, (int, numpy.integer)):
        return int64
    if isinstance(value, (float, numpy.floating)):
        return _default_float
    return as_dtype(getattr(value, "dtype", None) or numpy.asarray(value).dtype)


def scalar_like(value, array):
    """A 0-d array holding ``value`` in the dtype of ``array`` on its device
    (integers meeting a float stay exact; floats meeting ints use float)."""
    dtype = array.dtype
    if type(array) is numpy.ndarray and dtype.kind == "f" and type(value) in _PYTHON_NUMBERS:
        return numpy.array(value, dtype)             # the common case: x * 0.5 on the CPU
    if dtype.kind in "iub" and isinstance(value, (float, numpy.floating)):
        dtype = _default_float
    if dtype.kind == "b" and not isinstance(value, (bool, numpy.bool_)):
        dtype = int64
    kind = kind_of(array)
    return kind.xp.asarray(value, dtype=dtype) if kind.name != "cpu" else numpy.asarray(value, dtype=dtype)


def scatter_add(target, index, values):
    """``target[index] += values`` where repeated indices all add up."""
    kind_of(target).scatter_add(target, index, values)


def broadcast_shapes(*shapes):
    return numpy.broadcast_shapes(*shapes)


# ---------------------------------------------------------------------------
# Random numbers: one seedable generator per device
# ---------------------------------------------------------------------------

def manual_seed(seed: int):
    """Seed the generators of every device; CPU runs then repeat bit for bit."""
    global _seed
    _seed = int(seed)
    for kind in _kinds.values():
        for index in list(kind.generators):
            kind.generators[index] = kind.new_generator(_derive(_seed, kind.name, index), index)


def _derive(seed, name, index):
    # Distinct, reproducible streams per device from one user seed.
    return [seed, sum(name.encode()), index]


def generator(device):
    """The random generator of ``device`` (made, seeded, on first use)."""
    kind, index = parse_device(device)
    gen = kind.generators.get(index)
    if gen is None:
        seed = _derive(_seed, kind.name, index) if _seed is not None else None
        gen = kind.generators[index] = kind.new_generator(seed, index)
    return gen


def fresh_generator(device, seed):
    """A private generator (for checks that must not disturb the global ones)."""
    kind, index = parse_device(device)
    return kind.new_generator(seed, index)


def generator_state(gen, device):
    """The JSON-able state of a generator of ``device`` (see ``fresh_generator``)."""
    kind, _ = parse_device(device)
    if kind.get_state is None:
        raise RuntimeError(f"generators of device {device!r} cannot save their state")
    return kind.get_state(gen)


def set_generator_state(gen, device, state):
    """Restore what ``generator_state`` returned."""
    kind, _ = parse_device(device)
    if kind.set_state is None:
        raise RuntimeError(f"generators of device {device!r} cannot restore a state")
    kind.set_state(gen, state)


def generator_for(array):
    kind = kind_of(array)
    return generator(kind.name if kind.name == "cpu" else f"{kind.name}:{kind.index_of(array)}")


def keep_mask(array, p):
    """Booleans shaped like ``array`` on its device, each True with
    probability 1 - p (dropout's mask), from that device's generator.

    Plainly: ``uniform(0, 1) >= p``. On the CPU the same test is made on 32
    random bits per value, ``bits >= p * 2^32`` (finer than a float32 draw's
    24 bits, and cheaper: no conversion to floats), the bits of a large mask
    drawn by the threads in pieces of one stream (``_draw_in_pieces``)."""
    gen = generator_for(array)
    if type(array) is not numpy.ndarray:
        return gen.random(array.shape, dtype=array.dtype) >= p
    n = array.size
    threshold = numpy.uint32(min(round(p * 2.0 ** 32), 2 ** 32 - 1))
    keep = numpy.empty(n + n % 2, dtype=bool)        # two 32-bit draws per 64-bit word

    def draw(bits, lo, hi):                           # words lo..hi -> keep[2 lo:2 hi]
        numpy.greater_equal(bits.random_raw(hi - lo).view(numpy.uint32), threshold,
                            out=keep[2 * lo:2 * hi])

    _draw_in_pieces(gen.bit_generator, (n + 1) // 2, draw)
    return keep[:n].reshape(array.shape)


def _draw_in_pieces(bits, words, draw):
    """``draw(bit_generator, lo, hi)`` for pieces [lo, hi) of the next
    ``words`` 64-bit words of the stream of ``bits``, one piece per thread:
    PCG64 jumps ahead exactly (``advance``), so each piece gets the words one
    call would have drawn there, and ``bits`` ends where one call leaves it."""
    n = threads.get_num_threads()
    if words <= CHUNK // 2 or n < 2 or type(bits) is not numpy.random.PCG64:
        draw(bits, 0, words)
        return
    parts = threads.split(words, n)
    jobs = [functools.partial(draw, bits, 0, parts[0].stop)]
    for part in parts[1:]:
        ahead = numpy.random.PCG64(0)
        ahead.state = bits.state
        ahead.advance(part.start)
        jobs.append(functools.partial(draw, ahead, part.start, part.stop))
    threads.run(jobs)
    bits.advance(words - parts[0].stop)


def get_rng_state() -> dict:
    """JSON-able states of every generator in use, keyed by device."""
    state = {}
    for kind in _kinds.values():
        for index, gen in kind.generators.items():
            if kind.get_state is not None:
                state[f"{kind.name}:{index}"] = kind.get_state(gen)
    return state


def set_rng_state(state: dict):
    """Restore what get_rng_state returned."""
    for key, value in state.items():
        name, _, index = key.partition(":")
        kind = _kinds.get(name)
        if kind is None:
            raise ValueError(f"set_rng_state: unknown device {name!r}")
        gen = generator(f"{name}:{index}" if name != "cpu" else "cpu")
        kind.set_state(gen, value)


# ---------------------------------------------------------------------------
# CPU fast paths: the same arithmetic, arranged for the cores and the caches
# ---------------------------------------------------------------------------

_WORTH_SPLITTING = 1 << 21  # multiply-adds of a stack below which a split costs more than it saves
# ... of one product: below ~64M multiply-adds (~1.5 ms on one core) the hand-off to
# the pool (a sleeping thread woken: 30-140 us on a virtual machine, `python -m
# benchmarks.thread_wake`) and BLAS's thread switch cost more than the second core
# gives: the tiny configuration's step is 15% slower at 4M, and 4-5% slower at 16M,
# where its output projection (33M) is cut; the small one's products are all >= 134M
_WORTH_ROW_BLOCKS = 1 << 26


def matmul(a, b):
    """``a @ b`` (NumPy's matmul, CuPy's on GPUs). On the CPU, with more
    than one thread, the products that would keep several cores busy are
    split over the pool (``threads``), each piece multiplied by its own
    thread with BLAS held to one thread:

    - a stack of products (attention's B x h matrices of T x d_k) is cut
      along its first axis: NumPy would multiply it one small matrix after
      another on one core, each too small for BLAS's own threads;
    - one large product is cut into blocks of rows of ``a``: BLAS's own
      threads, once woken, spin for a while after every product and take the
      cores away from the pool's elementwise work.

    A stack's matrices are multiplied exactly as alone (the same bits); a
    product cut into row blocks gives, as BLAS's own threading does, bits
    that depend on the thread count only."""
    how = _split_of(a, b)
    if how is None:
        return array_module(a, b).matmul(a, b)
    if how == "rows" and a.ndim > 2:
        lead = a.shape[:-1]
        return matmul(a.reshape(-1, a.shape[-1]), b).reshape(lead + b.shape[-1:])
    out = numpy.empty(a.shape[:-1] + b.shape[-1:], dtype=a.dtype)
    rhs = (lambda part: b[part]) if how == "stack" else (lambda part: b)

    def piece(part):
        numpy.matmul(a[part], rhs(part), out=out[part])

    with threads.one_blas_thread():
        threads.run([functools.partial(piece, part)
                     for part in threads.split(a.shape[0], threads.get_num_threads())])
    return out


def _split_of(a, b):
    """"stack", "rows" or None (NumPy's own call): host float arrays of one
    dtype, more than one thread, and enough work; a stack needs the same
    batch shape on both sides, rows a 2-D ``b`` (and a contiguous ``a``)."""
    n = threads.get_num_threads()
    if type(a) is not numpy.ndarray or type(b) is not numpy.ndarray or a.ndim < 2 or \
            b.ndim < 2 or a.dtype != b.dtype or a.dtype.kind != "f" or n < 2 or \
            a.shape[-1] != b.shape[-2]:
        return None
    work = a.size * b.shape[-1]                          # multiply-adds
    if a.ndim > 2 and a.shape[:-2] == b.shape[:-2]:
        return "stack" if a.shape[0] > 1 and work >= _WORTH_SPLITTING else None
    rows = a.size // a.shape[-1]
    if b.ndim == 2 and work >= _WORTH_ROW_BLOCKS and rows >= 8 * n and \
            (a.ndim == 2 or a.flags.c_contiguous):
        return "rows"
    return None


CHUNK = 1 << 18             # elements per piece of CPU work cut up for the threads (1 MiB of float32)


def elementwise_in_chunks(work):
    """Run ``fn(*arrays)`` for every ``(fn, arrays)`` of ``work``, where fn
    is elementwise (each output element depends on the same element of the
    inputs only) and works in place on the arrays. On the CPU, contiguous
    arrays are cut into matching chunks of ``CHUNK`` elements, spread over
    the threads: each chunk's temporaries stay in the cache, and the result
    is bit for bit that of ``fn`` on the whole arrays. Elsewhere, one call."""
    pieces = []
    for fn, arrays in work:
        if type(arrays[0]) is not numpy.ndarray or \
                not all(a.flags.c_contiguous and a.size == arrays[0].size for a in arrays):
            fn(*arrays)
            continue
        flat = [a.reshape(-1) for a in arrays]
        for lo in range(0, flat[0].size, CHUNK):
            pieces.append((fn, [a[lo:lo + CHUNK] for a in flat]))
    _spread(pieces)


def in_row_blocks(kernel, *arrays):
    """Run ``kernel(*blocks)`` on matching blocks of rows of ``arrays``, each
    viewed as (rows, n) with the rows of the first array (all its axes but
    the last), for a kernel that treats every row on its own (a softmax or a
    normalisation along the last axis) and writes its results into some of
    the arrays, which must be C-contiguous (made by ``empty(shape)``). On the
    CPU, arrays of more than ``CHUNK`` elements are cut into blocks of about
    that many, spread over the threads; elsewhere, one call on the whole
    (rows, n) views. Every row is computed as it would be alone: the same bits."""
    first = arrays[0]
    if first.size == 0:
        kernel(*arrays)
        return
    rows = first.size // first.shape[-1]
    blocks = [a.reshape(rows, -1) for a in arrays]
    if type(first) is not numpy.ndarray or first.size <= CHUNK:
        kernel(*blocks)
        return
    step = max(1, CHUNK // first.shape[-1])
    _spread([(kernel, [b[lo:lo + step] for b in blocks]) for lo in range(0, rows, step)])


def _spread(pieces):
    """Call ``fn(*arrays)`` for every ``(fn, arrays)``, the pieces dealt out
    in turn to the threads."""
    n = threads.get_num_threads()
    threads.run([functools.partial(_run_pieces, pieces[i::n]) for i in range(min(n, len(pieces)))])


def _run_pieces(pieces):
    for fn, arrays in pieces:
        fn(*arrays)


def keep_freed_memory():
    """Ask glibc's malloc to keep freed memory for reuse instead of handing
    it back to the kernel. By default every freed block over 32 MiB (the
    logits of a batch) and the free top of the heap go back, and the next
    step's arrays of that size are page-faulted in and zeroed again: a tenth
    of a training step on the CPU. True if malloc agreed; a no-op elsewhere
    than glibc, or with GRADFORMER_KEEP_FREED_MEMORY=0 in the environment."""
    try:
        libc_name = os.confstr("CS_GNU_LIBC_VERSION") or ""       # "glibc 2.36"
    except (AttributeError, ValueError, OSError):                 # not a glibc system
        libc_name = ""
    if os.environ.get("GRADFORMER_KEEP_FREED_MEMORY", "1") == "0" or \
            not libc_name.startswith("glibc"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3            # from glibc's malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 1 << 30) and
                libc.mallopt(m_trim_threshold, (1 << 31) - 1))


keep_freed_memory()


# ---------------------------------------------------------------------------
# Files: .npz without pickle
# ---------------------------------------------------------------------------

def save_npz(fileobj, arrays: dict):
    """Write host copies of ``arrays`` to an open binary file as .npz (what
    ``numpy.savez`` writes), refusing anything that would need pickle."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as z:
        for name, array in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                numpy.lib.format.write_array(f, to_numpy(array), allow_pickle=False)


def read_npy(fileobj):
    """One array from an open ``.npy`` stream (an .npz entry), without pickle."""
    return numpy.lib.format.read_array(fileobj, allow_pickle=False)


def string_array(text: str):
    return numpy.array(text)


def array_bytes(array) -> bytes:
    """The raw bytes of an array (C order), for checksums."""
    return numpy.ascontiguousarray(to_numpy(array)).tobytes()


# ---------------------------------------------------------------------------
# Data-parallel training on GPUs (nn.parallel): CuPy's NCCL bindings
# ---------------------------------------------------------------------------

def nccl():
    """CuPy's NCCL module (``cupy.cuda.nccl``), which ``nn.parallel`` uses
    to all-reduce gradients that live on GPUs; a clear error without it."""
    if not cuda_available():
        raise RuntimeError(f"NCCL needs CuPy and a GPU: {cuda_unavailable_reason}")
    try:
        from cupy.cuda import nccl as module   # optional: only GPU data-parallel runs load it
    except ImportError as e:
        raise RuntimeError(f"CuPy was built without NCCL ({e}); install NCCL for your CUDA "
                           "(e.g. pip install nvidia-nccl-cu12)") from None
    if not getattr(module, "available", True):
        raise RuntimeError("CuPy finds no NCCL library; install NCCL for your CUDA "
                           "(e.g. pip install nvidia-nccl-cu12)")
    return module
