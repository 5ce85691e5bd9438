"""Data-parallel training on this machine, and what it predicts for many.

    python -m benchmarks.data_parallel [--config small] [--steps 10] [--warmup 2]

1. One training step of the same global batch (B rows of the config) two
   ways: 1 process x 2 BLAS threads on all B rows, against 2 ranks x 1
   thread on B/2 rows each with the gradients averaged over the ranks
   (``nn.parallel.allreduce_gradients``, over shared memory); tokens/s and
   their ratio.
2. The all-reduce alone (float32 buffers, the watchdog's polling
   included) against the buffer size.
3. On paper, N machines of one rank each, every rank keeping the measured
   per-rank batch and compute time t_c: a ring all-reduce moves
   2 (N - 1) / N of the gradient bytes G through each link per step, so a
   step takes t_c + 2 (N - 1) / N * G / bandwidth + 2 (N - 1) * latency
   (no overlap of communication with the backward pass, as here), and the
   scaling efficiency is t_c divided by that.

Ranks start as ``nn.parallel.launch`` does it: mpiexec.gforker, shared
memory, no network port. Needs ``pip install -e ".[mpi]"``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import replace

from .common import CONFIGS, PAD, CpuMeter, header

RANKS = 2
THREADS = 2                          # the single process's threads = RANKS x 1
MACHINES = (2, 8, 64)
LINKS_GBIT = (10, 100)
DEFAULT_SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)


# -- the cost model (pure arithmetic) ----------------------------------------------------

def ring_bytes(n, grad_bytes) -> float:
    """Bytes each rank sends (and receives) in a ring all-reduce of n ranks:
    reduce-scatter then all-gather, n - 1 chunks of G / n each."""
    return 2 * (n - 1) / n * grad_bytes


def predicted_step(n, compute_s, grad_bytes, link_gbit, latency_s) -> float:
    """Step seconds on n machines: compute, then the all-reduce (no overlap)."""
    if n == 1:
        return compute_s
    return compute_s + ring_bytes(n, grad_bytes) * 8 / (link_gbit * 1e9) + 2 * (n - 1) * latency_s


def efficiency(n, compute_s, grad_bytes, link_gbit, latency_s) -> float:
    """Throughput of n machines over n times one machine's (weak scaling)."""
    return compute_s / predicted_step(n, compute_s, grad_bytes, link_gbit, latency_s)


# -- what runs in the measured processes ---------------------------------------------

def _trainer(config_name, rows):
    from .gradformer_side import GradformerTrainer
    return GradformerTrainer(replace(CONFIGS[config_name], batch=rows))


def _timed_step(t, parallel):
    """(step seconds, all-reduce seconds) of one training step."""
    import nn
    t0 = time.perf_counter()
    t.opt.zero_grad()
    loss = nn.cross_entropy(t.model(t.src, t.tgt_in), t.tgt_out, ignore_index=PAD,
                            label_smoothing=0.1)
    loss.backward()
    t1 = time.perf_counter()
    if parallel:
        nn.parallel.allreduce_gradients(t.model)
    t2 = time.perf_counter()
    t.opt.step()
    return time.perf_counter() - t0, t2 - t1


def _allreduce_seconds(sizes, repeats):
    """Median seconds of one all-reduce of each float32 buffer size."""
    import autograd as ag
    import nn
    world = nn.parallel.init()
    out = {}
    for size in sizes:
        buffer = ag.zeros(size).data
        times = []
        for _ in range(repeats + 1):
            nn.parallel.all_sum([0.0])                       # start together
            t0 = time.perf_counter()
            world.allreduce_(buffer, "the benchmark's all-reduce")
            times.append(time.perf_counter() - t0)
        out[size] = statistics.median(times[1:])
    return out


def worker(args):
    """Measure in this process (one rank, or the single process); rank 0
    (or the single process) prints one JSON line."""
    parallel = args.worker == "rank"
    if parallel:
        import nn
        rank, size = nn.parallel.rank(), nn.parallel.world_size()
    else:
        rank, size = 0, 1
    c = CONFIGS[args.config]
    t = _trainer(args.config, c.batch // size)
    steps = [_timed_step(t, parallel) for _ in range(args.warmup + args.steps)][args.warmup:]
    result = {"step_s": statistics.median(s for s, _ in steps),
              "allreduce_s": statistics.median(a for _, a in steps),
              "params": t.model.num_parameters(), "rows": c.batch // size,
              "tokens": c.batch * c.tgt_len}
    if parallel:
        result["sizes"] = _allreduce_seconds(args.sizes, args.repeats)
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


# -- the parent: start the processes, print the report --------------------------------

def _measure(args, ranks):
    from nn.parallel import launch
    argv = ["-m", "benchmarks.data_parallel", "--worker", "rank" if ranks else "single",
            "--config", args.config, "--steps", str(args.steps), "--warmup", str(args.warmup),
            "--repeats", str(args.repeats), "--sizes", ",".join(map(str, args.sizes))]
    if ranks:
        cmd = launch.local_command([(RANKS, argv)], maxtime=args.timeout)
        env = launch.local_environment(threads=1)
    else:
        cmd = [sys.executable, *argv]
        env = launch.local_environment(threads=THREADS)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(lines[0][len("RESULT "):])


def report_step(single, ranks, out=print):
    out(f"\n## One training step of the global batch ({single['rows']} rows), float32, Adam")
    out(f"{'':<28} {'step (ms)':>10} {'all-reduce (ms)':>16} {'tokens/s':>10}")
    rows = (("1 process x 2 threads", single), (f"{RANKS} ranks x 1 thread", ranks))
    for name, r in rows:
        out(f"{name:<28} {1e3 * r['step_s']:>10.1f} {1e3 * r['allreduce_s']:>16.2f} "
            f"{r['tokens'] / r['step_s']:>10,.0f}")
    out(f"ratio (2 ranks / 1 process): {single['step_s'] / ranks['step_s']:.2f}x tokens/s; "
        f"{ranks['params']:,} parameters = {4 * ranks['params'] / 2**20:.1f} MiB of float32 "
        "gradients per step; the all-reduce time includes waiting for the slower rank")


def report_sizes(sizes, out=print):
    out(f"\n## All-reduce of one float32 buffer, {RANKS} ranks, shared memory (median)")
    out(f"{'values':>12} {'MiB':>9} {'ms':>9} {'bus GB/s':>9}")
    for size, seconds in sorted((int(k), v) for k, v in sizes.items()):
        nbytes = 4 * size
        out(f"{size:>12,} {nbytes / 2**20:>9.3f} {1e3 * seconds:>9.3f} "
            f"{ring_bytes(RANKS, nbytes) / seconds / 1e9:>9.2f}")


def report_model(ranks, latency_s, out=print):
    compute = ranks["step_s"] - ranks["allreduce_s"]
    grad_bytes = 4 * ranks["params"]
    out(f"\n## On paper: N machines, one rank each, {ranks['rows']} rows per rank, measured "
        f"compute {1e3 * compute:.1f} ms per step, G = {grad_bytes / 2**20:.1f} MiB, "
        f"latency {1e6 * latency_s:g} us per message")
    out(f"{'N':>4} {'ring bytes / G':>15}" + "".join(
        f" {f'{g} Gbit/s: step ms, eff.':>26}" for g in LINKS_GBIT))
    for n in MACHINES:
        cells = "".join(f" {1e3 * predicted_step(n, compute, grad_bytes, g, latency_s):>17.1f}"
                        f" {100 * efficiency(n, compute, grad_bytes, g, latency_s):>7.1f}%"
                        for g in LINKS_GBIT)
        out(f"{n:>4} {ring_bytes(n, grad_bytes) / grad_bytes:>15.3f}{cells}")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.data_parallel",
                                description=__doc__.splitlines()[0])
    p.add_argument("--config", default="small", choices=sorted(CONFIGS))
    p.add_argument("--steps", type=int, default=10, help="timed steps (after --warmup)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10, help="all-reduces timed per size")
    p.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")],
                   default=list(DEFAULT_SIZES), help="float32 buffer sizes, comma-separated")
    p.add_argument("--latency-us", type=float, default=5.0,
                   help="per-message latency of the cost model's links")
    p.add_argument("--timeout", type=int, default=1800, help="seconds for each measurement")
    p.add_argument("--worker", choices=("single", "rank"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    print(header(argv, module="benchmarks.data_parallel", workers=False))
    print(f"# {CONFIGS[args.config].describe()}; {args.steps} timed steps after {args.warmup}; "
          f"single process: OMP/OPENBLAS/MKL_NUM_THREADS={THREADS}; ranks: 1 each, "
          "mpiexec.gforker, OFI shm")
    meter = CpuMeter()
    single = _measure(args, ranks=False)
    ranks = _measure(args, ranks=True)
    report_step(single, ranks)
    report_sizes(ranks["sizes"])
    report_model(ranks, args.latency_us * 1e-6)
    print(meter.note())


if __name__ == "__main__":
    main()
