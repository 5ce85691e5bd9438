"""Start commands on MPI ranks for the data-parallel tests: this host only,
shared memory, no TCP listener (``nn.parallel.launch`` says why), every run
bounded in time: each rank's collectives give up after
GRADFORMER_COLLECTIVE_TIMEOUT seconds, the launcher's ``-maxtime`` ends the
job, and the whole process group is killed if the launcher overstays."""
import os
import signal
import subprocess

import pytest

from nn.parallel import launch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIVE_TIMEOUT_S = 30


def require_mpi():
    """Skip, saying why, where the mpi extra is not installed."""
    try:
        import mpi4py  # noqa: F401
    except ImportError as e:
        pytest.skip(f"mpi4py is not installed (pip install -e \".[mpi]\"): {e}")
    if launch.gforker() is None:
        pytest.skip("no mpiexec.gforker (the mpich wheel): pip install -e \".[mpi]\"")


def run_ranks(groups, timeout=120, cwd=ROOT):
    """Run ``groups`` of ranks (see ``launch.local_command``); a
    CompletedProcess (text)."""
    require_mpi()
    cmd = launch.local_command(groups, maxtime=timeout)
    env = launch.local_environment(threads=1, PYTHONPATH=ROOT,
                                   GRADFORMER_COLLECTIVE_TIMEOUT=str(COLLECTIVE_TIMEOUT_S))
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout + 15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd} still ran after {timeout + 15} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_on(n, argv, timeout=120, cwd=ROOT):
    """``argv`` (after python) on ``n`` ranks."""
    return run_ranks([(n, argv)], timeout=timeout, cwd=cwd)
