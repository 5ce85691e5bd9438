"""Per-op engine overhead: a chain of N small ops (alternating multiply and
add on a 4-element tensor), forward then backward, timed per op.

    python -m tools.bench_ops [--ops 10000] [--repeats 7]
    (the same as: python -m tools.bench --only ops)

Runs gradformer and, when installed, PyTorch (CPU) and DeZero on the same
chain, each framework in its own worker process (``tools.bench_worker``),
interleaved round by round after one warm-up round, and prints median and
min microseconds per op for each.

DeZero 0.0.13 (the PyPI release) uses the alias ``int`` of the NumPy module
that NumPy 1.24 removed; its worker first calls
``autograd.backend.restore_removed_numpy_aliases()`` so that it imports.
Its chain runs on a float64 array (DeZero's own default); gradformer and
PyTorch on float32. With 4 elements, the dtype does not matter: the chain
measures Python-level bookkeeping per op.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from .bench_setup import CpuMeter, header, installed
from .bench_worker import Worker, WorkerError

START = [0.1, 0.2, 0.3, 0.4]


def _timed(x, n, total, clear):
    t0 = time.perf_counter()
    y = x
    for i in range(n):
        y = y * 1.0001 if i % 2 else y + 0.001
    t1 = time.perf_counter()
    total(y).backward()
    t2 = time.perf_counter()
    clear()
    return t1 - t0, t2 - t1


class OpChain:
    """Lives in a worker: ``run()`` times one forward chain and its backward."""

    def __init__(self, framework: str, n: int):
        self.n = n
        if framework == "gradformer":
            import autograd as ag
            self.x = ag.tensor(START, requires_grad=True)
            self.total, self.clear = (lambda y: y.sum()), self._clear_grad
        elif framework == "pytorch":
            import torch
            torch.set_num_threads(2)
            self.x = torch.tensor(START, requires_grad=True)
            self.total, self.clear = (lambda y: y.sum()), self._clear_grad
        elif framework == "dezero":
            from autograd import backend
            backend.restore_removed_numpy_aliases()     # DeZero 0.0.13 on NumPy 2
            import dezero
            import dezero.functions
            import autograd as ag
            sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n))
            self.x = dezero.Variable(ag.tensor(START, dtype=ag.float64).numpy())
            self.total, self.clear = dezero.functions.sum, self.x.cleargrad
        else:
            raise ValueError(f"unknown framework {framework!r}")

    def _clear_grad(self):
        self.x.grad = None

    def run(self):
        return _timed(self.x, self.n, self.total, self.clear)


FRAMEWORKS = ("gradformer", "pytorch", "dezero")
PACKAGE = {"gradformer": "autograd", "pytorch": "torch", "dezero": "dezero"}


def run_op_overhead(n=10_000, repeats=7, frameworks=FRAMEWORKS, out=print):
    """Time the chain in one worker per framework; print the table."""
    workers, notes = {}, []
    try:
        for name in frameworks:
            if not installed(PACKAGE[name]):
                notes.append(f"# {name}: not installed; skipped")
                continue
            try:
                workers[name] = Worker("tools.bench_ops", "OpChain", framework=name, n=n)
                workers[name].call("run")                    # warm-up round
            except WorkerError as e:
                last = str(e).strip().splitlines()[-1]
                notes.append(f"# {name}: unavailable ({last}); skipped")
                workers.pop(name, None)
        times = {name: ([], []) for name in workers}
        for _ in range(repeats):                              # interleaved: A B C A B C ...
            for name, w in workers.items():
                f, b = w.call("run")
                times[name][0].append(f)
                times[name][1].append(b)
    finally:
        for w in workers.values():
            w.close()

    for note in notes:
        out(note)
    us = 1e6 / n
    total = {name: (statistics.median(fw) + statistics.median(bw)) * us
             for name, (fw, bw) in times.items()}
    ref = total.get("pytorch")
    out(f"chain of {n:,} ops, {repeats} interleaved rounds after 1 warm-up, one process each")
    out(f"{'framework':<12} {'forward us/op':>22} {'backward us/op':>22} {'total us/op':>13} "
        f"{'vs pytorch':>11}")
    out(f"{'':<12} {'median':>10} {'min':>11} {'median':>10} {'min':>11} {'median':>13}")
    for name, (fw, bw) in times.items():
        ratio = f"{total[name] / ref:>10.2f}x" if ref else f"{'-':>11}"
        out(f"{name:<12} {statistics.median(fw) * us:>10.2f} {min(fw) * us:>11.2f} "
            f"{statistics.median(bw) * us:>10.2f} {min(bw) * us:>11.2f} "
            f"{total[name]:>13.2f} {ratio}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print(header(argv, module="tools.bench_ops"))
    meter = CpuMeter()
    run_op_overhead(args.ops, args.repeats)
    print(meter.note())


if __name__ == "__main__":
    main()
