"""Ranks on this machine alone, over shared memory, with no network port
opened: what the tests and benchmarks start (the README has the ``mpiexec``
lines for several machines).

    MPIR_CVAR_CH4_NETMOD=ofi FI_PROVIDER=shm mpiexec.gforker -n 2 python ...

Why this line (checked with ``ss -ltnp`` on the mpich 5.0.2 wheel): its
default ``mpiexec`` (Hydra) listens on a TCP port for its process manager,
and its default network module (UCX) opens TCP listeners in every rank.
``mpiexec.gforker`` forks the ranks on this host and talks to them over
pipes, and OFI's ``shm`` provider moves the data through shared memory.
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig

SHARED_MEMORY = {"MPIR_CVAR_CH4_NETMOD": "ofi", "FI_PROVIDER": "shm"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def gforker():
    """mpiexec.gforker of the mpich wheel beside this Python, else on PATH
    (None where MPICH is not installed)."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        path = os.path.join(folder, "mpiexec.gforker")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("mpiexec.gforker")


def local_command(groups, maxtime=None) -> list:
    """The launch line for ``groups`` of ranks, each (number of ranks,
    arguments after ``python``[, launcher options such as ["-wdir", DIR]]),
    joined by mpiexec's ``:`` (one program per group). ``maxtime``: seconds
    after which the launcher ends the job."""
    launcher = gforker()
    if launcher is None:
        raise FileNotFoundError("mpiexec.gforker not found: pip install -e \".[mpi]\" "
                                "installs MPICH")
    cmd = [launcher] + (["-maxtime", str(int(maxtime))] if maxtime else [])
    for i, (n, argv, *options) in enumerate(groups):
        cmd += ([":"] if i else []) + ["-n", str(n), *(options[0] if options else []),
                                       sys.executable, *argv]
    return cmd


def local_environment(threads=1, **extra) -> dict:
    """This process's environment with shared memory for MPI and ``threads``
    BLAS / OpenMP threads per rank."""
    env = dict(os.environ, **SHARED_MEMORY)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    env.update(extra)
    return env
