"""What the benchmarks share, in plain Python (no framework imported here, so
the parent process of ``python -m benchmarks`` stays light): the model
sizes, the analytic FLOP count, the random token batches both frameworks
train on, the step timer, the worker thread environment, the header that
every report starts with and the meter of other processes' CPU use."""
from __future__ import annotations

import datetime
import importlib.metadata
import importlib.util
import os
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

PAD, BOS = 0, 1      # padding id (masked, ignored by the loss) and <bos>; real tokens are >= 3
THREADS = 2          # BLAS / OpenMP / torch threads in every worker
# Seconds the parent waits before a worker's timed command when another worker ran
# last: BLAS and OpenMP threads spin for up to ~0.1 s after their last product, and
# would take the cores from the next worker's step (the tiny step measured 30% slower).
SETTLE_SECONDS = 0.25
GEMM_SIZE = 2048     # n of the n x n x n float32 product that measures NumPy's matmul limit
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # this checkout


@dataclass(frozen=True)
class BenchConfig:
    """One encoder-decoder model size and batch shape."""
    name: str
    d_model: int
    n_heads: int
    n_encoder_layers: int
    n_decoder_layers: int
    d_ff: int
    vocab: int           # source and target vocabulary size
    batch: int
    src_len: int
    tgt_len: int         # decoder input length = number of predicted target tokens
    dropout: float = 0.1
    max_len: int = 256

    def describe(self) -> str:
        return (f"d_model {self.d_model}, {self.n_heads} heads, {self.n_encoder_layers}+"
                f"{self.n_decoder_layers} layers, d_ff {self.d_ff}, vocab {self.vocab}, "
                f"batch {self.batch}, src/tgt length {self.src_len}/{self.tgt_len}, "
                f"dropout {self.dropout}")


CONFIGS = {
    "tiny": BenchConfig("tiny", 64, 4, 2, 2, 256, 1000, 32, 16, 16),
    "small": BenchConfig("small", 256, 8, 3, 3, 512, 8000, 64, 32, 32),
    "base-ish": BenchConfig("base-ish", 512, 8, 6, 6, 2048, 8000, 32, 32, 32),
}


def timed_step(zero_grad, forward_loss, backward, update):
    """Run one training step in its four phases and time them: (wall
    seconds, loss value, (forward + loss, backward, zero_grad + update)
    seconds). The same clock for every framework's worker."""
    t0 = time.perf_counter()
    zero_grad()
    t1 = time.perf_counter()
    loss = forward_loss()
    t2 = time.perf_counter()
    backward(loss)
    t3 = time.perf_counter()
    update()
    t4 = time.perf_counter()
    return t4 - t0, loss.item(), (t2 - t1, t3 - t2, (t1 - t0) + (t4 - t3))


def median_seconds(fn, repeats: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls, after one
    untimed call (the matrix products of both frameworks' workers)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def forward_flops(c: BenchConfig) -> int:
    """Matmul FLOPs of one forward pass (a multiply-add counts 2), with
    B = batch, S = src_len, T = tgt_len, d = d_model, f = d_ff, V = vocab:

    encoder layer  8 B S d^2      Q, K, V, output projections (4 of d x d)
                 + 4 B S^2 d      scores Q K^T and weights @ V (all heads: h d_k = d)
                 + 4 B S d f      feed-forward d -> f -> d
    decoder layer  8 B T d^2 + 4 B T^2 d    masked self-attention (the full T x T is
                                            computed; the causal mask saves nothing)
                 + 4 B T d^2 + 4 B S d^2    cross-attention Q, O on T; K, V on the memory S
                 + 4 B T S d                cross-attention scores and weighted sum
                 + 4 B T d f                feed-forward
    output         2 B T d V                projection to the vocabulary

    Embedding lookups, softmax, LayerNorm, dropout, the loss and Adam are
    elementwise (O(B T d) or O(params)) and not counted. A training step is
    counted as 3 x forward (the backward pass does two matmuls per forward
    matmul: one for the input's gradient, one for the weight's)."""
    B, S, T, d, f, V = c.batch, c.src_len, c.tgt_len, c.d_model, c.d_ff, c.vocab
    enc = 8 * B * S * d * d + 4 * B * S * S * d + 4 * B * S * d * f
    dec = (8 * B * T * d * d + 4 * B * T * T * d
           + 4 * B * T * d * d + 4 * B * S * d * d + 4 * B * T * S * d
           + 4 * B * T * d * f)
    return c.n_encoder_layers * enc + c.n_decoder_layers * dec + 2 * B * T * d * c.vocab


def train_step_flops(c: BenchConfig) -> int:
    """A training step ~ 3 x the forward matmul FLOPs (see ``forward_flops``)."""
    return 3 * forward_flops(c)


def token_batch(c: BenchConfig, seed: int = 0):
    """(src (B, S), tgt (B, T + 1)) nested lists of ids in [3, vocab), no
    padding; tgt[:, :-1] is the decoder input, tgt[:, 1:] the labels. The same
    lists for every framework (Python's own generator, seeded)."""
    rng = random.Random(seed)
    src = [[rng.randrange(3, c.vocab) for _ in range(c.src_len)] for _ in range(c.batch)]
    tgt = [[BOS] + [rng.randrange(3, c.vocab) for _ in range(c.tgt_len)] for _ in range(c.batch)]
    return src, tgt


def set_thread_environment(threads: int = THREADS):
    """Before spawning workers: BLAS and OpenMP thread pools of the size we
    benchmark with (the workers inherit the environment)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return f"{kib / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "RAM unknown"


def _git(root, *args) -> str:
    return subprocess.run(["git", *args], cwd=root, text=True, capture_output=True,
                          timeout=10).stdout.strip()


def git_short_rev(root=ROOT) -> str:
    """The short commit hash of the checkout at ``root`` ("unknown" outside git)."""
    try:
        return _git(root, "rev-parse", "--short", "HEAD") or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def git_revision(root=ROOT) -> str:
    """The short commit hash, and whether tracked files differ from it."""
    rev = git_short_rev(root)
    try:
        dirty = rev != "unknown" and _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        dirty = False
    return f"{rev}{' + uncommitted changes' if dirty else ''}"


def _threads_line(workers: bool) -> str:
    if workers:
        return (f"# threads: OMP/OPENBLAS/MKL_NUM_THREADS={THREADS}, "
                f"torch.set_num_threads({THREADS}); one worker process per framework")
    return f"# threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"


def header(argv=None, module="benchmarks", baselines=(), workers=True) -> str:
    """The first lines of every report: command, machine, versions, date,
    the git revision of this checkout and of each ``--baseline`` checkout.
    ``workers``: the report's measurements run in ``benchmarks.worker``
    processes with ``THREADS`` threads each."""
    argv = sys.argv[1:] if argv is None else argv
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        f"$ {shlex.join(['python', '-m', module, *argv])}",
        f"# machine: {cpu_model()}, {cores} cores ({usable} usable), {memory_gib()}, "
        f"{platform.system()} {platform.machine()}",
        f"# Python {platform.python_version()}, NumPy {version('numpy')}, "
        f"PyTorch {version('torch')}, DeZero {version('dezero')}",
        _threads_line(workers),
        f"# gradformer: git {git_revision()}",
        *(f"# baseline gradformer: git {git_revision(path)} at {path}" for path in baselines),
        f"# date: {now:%Y-%m-%d %H:%M} UTC; 1-min load average at start {load:.2f}",
    ]
    return "\n".join(lines)


def _machine_busy_seconds():
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)    # workers, once joined
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMeter:
    """How much CPU *other* processes took while we measured: the machine's
    busy time (/proc/stat) minus this process's and its finished workers'.
    Read it after the workers of the measurement have been closed."""

    def __init__(self):
        try:
            self._start = (time.perf_counter(), _machine_busy_seconds(), _own_cpu_seconds())
        except OSError:
            self._start = None

    def other_cores(self):
        """Average number of cores busy with other processes (None if unknown)."""
        if self._start is None:
            return None
        t0, busy0, own0 = self._start
        wall = time.perf_counter() - t0
        other = (_machine_busy_seconds() - busy0) - (_own_cpu_seconds() - own0)
        return max(other, 0.0) / wall if wall > 0 else None

    def note(self) -> str:
        cores = self.other_cores()
        if cores is None:
            return "# other processes' CPU use during this measurement: unknown"
        flag = "  WARNING: contended, timings unreliable" if cores > 0.1 else ""
        return (f"# other processes used {cores:.2f} cores on average during this "
                f"measurement{flag}")
