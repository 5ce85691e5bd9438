"""CPU threads: how many the BLAS library runs, and a small pool of Python
threads that splits independent work over the cores (the halves of a stack
of small matrix products, the chunks of an optimizer update). NumPy releases
the GIL inside its loops and BLAS calls, so the pieces run at the same time.

The thread count is BLAS's own (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``
or the core count), read and set through threadpoolctl; ``set_num_threads(n)``
changes both BLAS's and this pool's, as ``torch.set_num_threads`` does.
Whatever the count, every piece computes exactly what it would compute
alone, so results are bit for bit the same for a fixed thread count.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

_state = {"blas": None, "threads": None, "pool": None}
_local = threading.local()      # .in_pool: this thread is one of the pool's


def _blas():
    """threadpoolctl's handle on the BLAS libraries loaded now (made on first
    use, after the backend has imported NumPy and with it its BLAS)."""
    if _state["blas"] is None:
        _state["blas"] = ThreadpoolController().select(user_api="blas")
    return _state["blas"]


def get_num_threads() -> int:
    """Threads for CPU work: BLAS's thread count (1 if no BLAS is found)."""
    if _state["threads"] is None:
        counts = [lib["num_threads"] for lib in _blas().info()]
        _state["threads"] = max(counts, default=1)
    return _state["threads"]


def set_num_threads(n: int):
    """Use ``n`` threads for CPU work: BLAS's and this pool's."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a whole number >= 1, got {n!r}")
    _blas().limit(limits=n)
    _forget_pool()
    _state["threads"] = n


@contextlib.contextmanager
def one_blas_thread():
    """BLAS held to one thread inside the block (each of our threads then
    runs its own products, instead of BLAS splitting every one of them)."""
    libraries = _blas().lib_controllers        # set directly: a tenth of limit()'s cost
    for lib in libraries:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib in libraries:
            lib.set_num_threads(get_num_threads())


def split(n: int, parts: int) -> list:
    """``parts`` slices cutting range(n) into nearly equal runs (none empty)."""
    parts = max(1, min(parts, n))
    bounds = [n * i // parts for i in range(parts + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


def run(jobs):
    """Call every job (a function of no arguments) once, spread over the
    threads: the first here, the others in the pool; return when all are
    done, re-raising the first error."""
    jobs = list(jobs)
    if len(jobs) < 2 or get_num_threads() < 2 or getattr(_local, "in_pool", False):
        for job in jobs:        # (a job that runs jobs itself runs them here: no deadlock)
            job()
        return
    futures = [_pool().submit(_in_pool, job) for job in jobs[1:]]
    try:
        jobs[0]()
    finally:
        for future in futures:
            future.result()


def _in_pool(job):
    _local.in_pool = True
    job()


def _pool():
    if _state["pool"] is None:
        _state["pool"] = ThreadPoolExecutor(get_num_threads() - 1,
                                            thread_name_prefix="gradformer-cpu")
    return _state["pool"]


def _forget_pool():
    """Drop the pool (its threads end once idle); the next ``run`` makes a
    new one. After a fork the child has none of the parent's threads."""
    pool, _state["pool"] = _state["pool"], None
    if pool is not None:
        pool.shutdown(wait=False)


def _after_fork_in_child():
    _state["pool"] = None


os.register_at_fork(after_in_child=_after_fork_in_child)
