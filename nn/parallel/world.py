"""The world of ranks: MPI started once (mpi4py, loaded only here and only
when data-parallel is asked for), this process's rank, and collectives that
never hang.

Every collective is posted non-blocking and polled under a watchdog
(``World.wait``): while it waits, the ranks on this host are checked to be
alive (by process id), so a killed rank is named within a fraction of a
second; and no collective waits longer than ``timeout`` seconds (ranks on
other hosts cannot be checked from here).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

from .errors import (CollectiveTimeout, MPIUnavailableError, NotUnderMPIError, ParallelError,
                     RankLostError)

# Set by MPI launchers in every process they start: MPICH and Intel MPI
# (mpiexec, mpiexec.gforker), PMIx (Slurm, Open MPI 5), Open MPI, MVAPICH.
LAUNCHER_VARIABLES = ("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
TIMEOUT_VARIABLE = "GRADFORMER_COLLECTIVE_TIMEOUT"
DEFAULT_TIMEOUT = 600.0          # seconds a collective may wait for the slowest rank
CHECK_SECONDS = 0.25             # how often a waiting rank checks that its peers are alive
SPIN_SECONDS = 0.002             # poll without sleeping this long, then sleep between polls
POLL_SECONDS = 0.0005

_world = None


def init(timeout=None) -> "World":
    """Start MPI (once per process) and return the world of ranks.
    ``timeout``: the seconds a collective may wait before it fails (default:
    $GRADFORMER_COLLECTIVE_TIMEOUT, else 600). One-line errors when mpi4py is
    missing or no MPI launcher started this process."""
    global _world
    if _world is None:
        timeout = _timeout(timeout)
        _world = World(_start_mpi(), timeout)
    elif timeout is not None:
        _world.timeout = float(timeout)
    return _world


def is_initialized() -> bool:
    return _world is not None


def rank() -> int:
    """This process's rank, 0 .. world_size() - 1 (starts MPI if needed)."""
    return init().rank


def world_size() -> int:
    """How many ranks train together (starts MPI if needed)."""
    return init().size


def abort(code):
    """End the whole job now with exit status ``code`` (every rank)."""
    if _world is None:
        raise SystemExit(code)
    _world.abort(code)


def _timeout(timeout):
    if timeout is None:
        timeout = os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT)
    try:
        timeout = float(timeout)
    except ValueError:
        raise ParallelError(f"{TIMEOUT_VARIABLE}={timeout!r}: expected seconds") from None
    if not timeout > 0:
        raise ParallelError(f"the collective timeout must be positive, got {timeout:g} s")
    return timeout


def _start_mpi():
    """mpi4py's MPI module, initialised; the errors a user can act on."""
    try:
        import mpi4py  # noqa: F401  (optional and heavy: only for data-parallel runs)
    except ImportError:
        raise MPIUnavailableError(
            "data-parallel training needs mpi4py and an MPI runtime: pip install -e \".[mpi]\" "
            "(mpi4py, and MPICH, whose mpiexec starts the ranks)") from None
    if not any(name in os.environ for name in LAUNCHER_VARIABLES):
        raise NotUnderMPIError(
            "data-parallel training runs one process per rank, started by an MPI launcher: "
            "mpiexec -n 2 python ... (no launcher variable such as PMI_RANK is set)")
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as e:     # mpi4py without an MPI library under it
        raise MPIUnavailableError(f"mpi4py cannot load an MPI library ({e}): "
                                  "pip install -e \".[mpi]\" installs MPICH") from None
    return MPI


def _alive(pid) -> bool:
    """Whether process ``pid`` (on this host) still runs; a zombie does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class World:
    """The ranks of one job (``MPI.COMM_WORLD``) and the watchdog over their
    collectives. ``peers[r]`` is rank r's (host, pid)."""

    def __init__(self, mpi, timeout):
        self.mpi, self.comm, self.timeout = mpi, mpi.COMM_WORLD, timeout
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.host = socket.gethostname()
        self.peers = [(self.host, os.getpid())]    # only itself, until the exchange below
        self.peers = [tuple(p) for p in self.allgather_object(
            [self.host, os.getpid()], "the exchange of process ids at start")]
        self.local_rank = sum(1 for host, _ in self.peers[:self.rank] if host == self.host)
        self.transports = {}         # device -> its transport (transports.py)
        _survive_sigquit()

    # -- the watchdog -----------------------------------------------------------------
    def wait(self, request, what):
        """Poll ``request`` (anything with ``Test()``) until it completes;
        RankLostError as soon as a rank on this host is gone, CollectiveTimeout
        after ``timeout`` seconds."""
        start = time.monotonic()
        check_at = start + CHECK_SECONDS
        try:
            while not request.Test():
                now = time.monotonic()
                if now >= check_at:
                    self.check_peers(what)
                    check_at = now + CHECK_SECONDS
                if now - start >= self.timeout:
                    self.check_peers(what)
                    raise CollectiveTimeout(self._timeout_message(what))
                time.sleep(0.0 if now - start < SPIN_SECONDS else POLL_SECONDS)
        except KeyboardInterrupt:
            self.check_peers(what)   # launchers interrupt the survivors of a lost rank
            raise

    def check_peers(self, what):
        """RankLostError naming every rank on this host whose process is gone."""
        lost = [r for r, (host, pid) in enumerate(self.peers)
                if r != self.rank and host == self.host and not _alive(pid)]
        if lost:
            who = ", ".join(f"{r} (pid {self.peers[r][1]} on {self.peers[r][0]})" for r in lost)
            raise RankLostError(
                f"data-parallel: rank{'s' if len(lost) > 1 else ''} {who} of {self.size} "
                f"{'are' if len(lost) > 1 else 'is'} gone (killed or crashed) while rank "
                f"{self.rank} waited for {what}; stopping")

    def _timeout_message(self, what):
        remote = [r for r, (host, _) in enumerate(self.peers) if host != self.host]
        unseen = f"; ranks on other hosts, not checked from here: {remote}" if remote else ""
        return (f"data-parallel: rank {self.rank} waited {self.timeout:g} s for {what} and "
                f"not every rank joined (the ranks on this host are alive{unseen}): a rank is "
                f"stuck or far behind; raise the limit with {TIMEOUT_VARIABLE}=SECONDS")

    # -- collectives on host buffers (NumPy arrays, bytearrays) -----------------------
    def allreduce_(self, buffer, what):
        """Sum ``buffer`` over the ranks, in place."""
        self.wait(self.comm.Iallreduce(self.mpi.IN_PLACE, buffer, op=self.mpi.SUM), what)

    def broadcast_(self, buffer, what, root=0):
        """Overwrite ``buffer`` with rank ``root``'s."""
        self.wait(self.comm.Ibcast(buffer, root=root), what)

    def allgather_bytes(self, data: bytes, what) -> list:
        """Every rank's ``data``, in rank order."""
        byte = self.mpi.BYTE
        sizes = bytearray(8 * self.size)
        self.wait(self.comm.Iallgather([len(data).to_bytes(8, "little"), byte], [sizes, byte]),
                  what)
        lengths = [int.from_bytes(sizes[8 * r:8 * r + 8], "little") for r in range(self.size)]
        width = max(lengths)
        gathered = bytearray(width * self.size)
        self.wait(self.comm.Iallgather([bytes(data).ljust(width, b"\0"), byte],
                                       [gathered, byte]), what)
        return [bytes(gathered[r * width:r * width + n]) for r, n in enumerate(lengths)]

    def allgather_object(self, obj, what) -> list:
        """Every rank's JSON-able ``obj``, in rank order (no pickle)."""
        return [json.loads(b) for b in self.allgather_bytes(_encode(obj), what)]

    def broadcast_object(self, obj, what, root=0):
        """Rank ``root``'s JSON-able ``obj`` on every rank (no pickle)."""
        data = _encode(obj) if self.rank == root else b""
        size = bytearray(len(data).to_bytes(8, "little"))
        self.broadcast_(size, what, root)
        payload = bytearray(data.ljust(int.from_bytes(size, "little"), b"\0"))
        self.broadcast_(payload, what, root)
        return json.loads(bytes(payload))

    def abort(self, code):
        """End every rank of the job now (after a lost rank or a timeout,
        MPI's own shutdown could wait for ever)."""
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(code)


def _encode(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, default=_plain).encode("utf-8")


def _plain(obj):
    """A 0-d array or array scalar (an lr, a step count) as a Python number."""
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot send a {type(obj).__name__} between ranks (JSON values only)")


def _survive_sigquit():
    """mpiexec.gforker stops the survivors of a dead rank with SIGINT, then
    SIGQUIT a second later; SIGQUIT's default (a core dump) would end this
    rank before its watchdog names the rank that was lost, so data-parallel
    ranks ignore it (SIGINT still stops them: see the training command)."""
    try:
        if signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL:
            signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    except (ValueError, AttributeError):     # not the main thread, or no SIGQUIT here
        pass
