"""Per-op engine overhead: a chain of N small ops (alternating multiply and
add on a 4-element tensor), forward then backward, timed per op.

    python -m benchmarks.op_overhead [--ops 10000] [--repeats 7] [--baseline PATH ...]
    (the same as: python -m benchmarks --only ops)

Runs gradformer and, when installed, PyTorch (CPU) and DeZero on the same
chain, each framework in its own worker process (``benchmarks.worker``),
interleaved round by round after one warm-up round, and prints median and
min microseconds per op for each.

``--baseline PATH`` (repeatable): another checkout of gradformer, such as a
git worktree of an older revision. Its autograd runs the same chain in a
worker of its own, labelled ``gradformer@<its short git revision>`` and
interleaved with the others, so a change to the engine is measured before
and after in one run; the header names the baseline's revision.

DeZero 0.0.13 (the PyPI release) uses the alias ``int`` of the NumPy module
that NumPy 1.24 removed; its worker first puts the removed aliases back
(``restore_removed_numpy_aliases``) so that it imports. Its chain runs on a
float64 array (DeZero's own default); gradformer and PyTorch on float32.
With 4 elements, the dtype does not matter: the chain measures Python-level
bookkeeping per op.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy

from .common import ROOT, THREADS, CpuMeter, git_short_rev, header, installed
from .worker import Worker, WorkerError, close_all

START = [0.1, 0.2, 0.3, 0.4]
FRAMEWORKS = ("gradformer", "pytorch", "dezero")
PACKAGE = {"gradformer": "autograd", "pytorch": "torch", "dezero": "dezero"}


def restore_removed_numpy_aliases():
    """Put back ``numpy.int``, ``numpy.float``, ``numpy.bool`` and
    ``numpy.object`` (the Python builtins) where this NumPy lacks them, for
    code written before NumPy 1.24 removed them (DeZero 0.0.13). NumPy 2
    has ``numpy.bool`` again (its bool scalar type); an existing name is never
    replaced. Changes NumPy for the whole process: only the DeZero worker
    calls it. Returns the names it set."""
    added = []
    for name, alias in (("int", int), ("float", float), ("bool", bool), ("object", object)):
        if name not in vars(numpy):       # vars(): hasattr would trigger NumPy's warnings
            setattr(numpy, name, alias)
            added.append(name)
    return added


def baseline_checkout(path: str) -> str:
    """``--baseline`` argument type: the absolute path of a gradformer checkout."""
    root = os.path.realpath(path)
    if not os.path.isfile(os.path.join(root, "autograd", "__init__.py")):
        raise argparse.ArgumentTypeError(
            f"{path}: not a gradformer checkout (no autograd/__init__.py there)")
    return root


# ---------------------------------------------------------------------------
# In the worker: one framework's chain
# ---------------------------------------------------------------------------
# Each worker imports only its own framework, inside these functions on
# purpose: the gradformer worker never loads torch, and a baseline worker
# loads autograd from its own checkout.

def import_autograd_from(root: str):
    """``autograd`` imported from the checkout at ``root``, checked."""
    sys.path.insert(0, root)
    import autograd
    found = os.path.realpath(autograd.__file__)
    if not found.startswith(os.path.realpath(root) + os.sep):
        raise RuntimeError(f"autograd was to come from {root}, but was imported from "
                           f"{os.path.dirname(found)}")
    return autograd


def _gradformer_chain(root: str):
    ag = import_autograd_from(root)
    x = ag.tensor(START, requires_grad=True)
    return x, (lambda y: y.sum()), (lambda: setattr(x, "grad", None))


def _pytorch_chain():
    import torch
    torch.set_num_threads(THREADS)
    x = torch.tensor(START, requires_grad=True)
    return x, (lambda y: y.sum()), (lambda: setattr(x, "grad", None))


def _dezero_chain(n: int):
    restore_removed_numpy_aliases()                  # DeZero 0.0.13 on NumPy 2
    import dezero
    import dezero.functions
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n))   # its backward recurses
    x = dezero.Variable(numpy.array(START, dtype=numpy.float64))
    return x, dezero.functions.sum, x.cleargrad


class OpChain:
    """Lives in a worker: ``run()`` times one forward chain and its backward.
    ``root`` is the checkout gradformer's autograd comes from."""

    def __init__(self, framework: str, n: int, root: str = ROOT):
        self.n = n
        if framework == "gradformer":
            self.x, self.total, self.clear = _gradformer_chain(root)
        elif framework == "pytorch":
            self.x, self.total, self.clear = _pytorch_chain()
        elif framework == "dezero":
            self.x, self.total, self.clear = _dezero_chain(n)
        else:
            raise ValueError(f"unknown framework {framework!r}")

    def run(self):
        """(forward seconds, backward seconds) of one chain of ``n`` ops."""
        t0 = time.perf_counter()
        y = self.x
        for i in range(self.n):
            y = y * 1.0001 if i % 2 else y + 0.001
        t1 = time.perf_counter()
        self.total(y).backward()
        t2 = time.perf_counter()
        self.clear()
        return t1 - t0, t2 - t1


# ---------------------------------------------------------------------------
# In the parent: start the workers, interleave them, print the table
# ---------------------------------------------------------------------------

def chain_entries(frameworks, baselines=()):
    """[(label, OpChain keyword arguments)]: each framework, then each baseline."""
    entries = [(name, {"framework": name}) for name in frameworks]
    labels = set(frameworks)
    for root in baselines:
        label = f"gradformer@{git_short_rev(root)}"
        if label in labels:                              # two checkouts at one revision
            label = f"{label} ({root})"
        labels.add(label)
        entries.append((label, {"framework": "gradformer", "root": root}))
    return entries


def _start(label, kwargs, n, notes):
    """A warmed-up worker, or None with a note when the framework is missing
    or broken; a baseline that does not start is an error."""
    if "root" not in kwargs and not installed(PACKAGE[kwargs["framework"]]):
        notes.append(f"# {label}: not installed; skipped")
        return None
    worker = None
    try:
        worker = Worker("benchmarks.op_overhead", "OpChain", n=n, **kwargs)
        worker.call("run")                                   # warm-up round
        return worker
    except WorkerError as e:
        if worker is not None:
            worker.close()
        last = str(e).strip().splitlines()[-1]
        if "root" in kwargs:
            raise RuntimeError(f"--baseline {kwargs['root']}: {last}") from None
        notes.append(f"# {label}: unavailable ({last}); skipped")
        return None


def _interleaved_rounds(workers, repeats):
    """{label: ([forward s], [backward s])}, one chain per worker per round."""
    times = {label: ([], []) for label in workers}
    for _ in range(repeats):                                  # A B C A B C ...
        for label, w in workers.items():
            forward, backward = w.call("run")
            times[label][0].append(forward)
            times[label][1].append(backward)
    return times


def report_op_overhead(times, n, repeats, out=print):
    us = 1e6 / n
    total = {label: (statistics.median(fw) + statistics.median(bw)) * us
             for label, (fw, bw) in times.items()}
    ref = total.get("pytorch")
    width = max([12, *(len(label) + 1 for label in times)])
    out(f"chain of {n:,} ops, {repeats} interleaved rounds after 1 warm-up, one process each")
    out(f"{'framework':<{width}} {'forward us/op':>22} {'backward us/op':>22} "
        f"{'total us/op':>13} {'vs pytorch':>11}")
    out(f"{'':<{width}} {'median':>10} {'min':>11} {'median':>10} {'min':>11} {'median':>13}")
    for label, (fw, bw) in times.items():
        ratio = f"{total[label] / ref:>10.2f}x" if ref else f"{'-':>11}"
        out(f"{label:<{width}} {statistics.median(fw) * us:>10.2f} {min(fw) * us:>11.2f} "
            f"{statistics.median(bw) * us:>10.2f} {min(bw) * us:>11.2f} "
            f"{total[label]:>13.2f} {ratio}")
    for label in total:
        if label.startswith("gradformer@") and "gradformer" in total:
            out(f"# gradformer / {label} (total us/op): {total['gradformer'] / total[label]:.2f}x")


def run_op_overhead(n=10_000, repeats=7, frameworks=FRAMEWORKS, baselines=(), out=print):
    """Time the chain in one worker per framework and per baseline checkout;
    print the table. Returns {label: ([forward s], [backward s])}."""
    workers, notes = {}, []
    try:
        for label, kwargs in chain_entries(frameworks, baselines):
            worker = _start(label, kwargs, n, notes)
            if worker is not None:
                workers[label] = worker
        times = _interleaved_rounds(workers, repeats)
    finally:
        close_all(workers)
    for note in notes:
        out(note)
    report_op_overhead(times, n, repeats, out)
    return times


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.op_overhead",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000, help="length of the op chain")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds of the op chain")
    parser.add_argument("--baseline", action="append", default=[], type=baseline_checkout,
                        metavar="PATH", help="another gradformer checkout to time alongside "
                                             "(repeatable)")
    args = parser.parse_args(argv)
    print(header(argv, module="benchmarks.op_overhead", baselines=args.baseline))
    meter = CpuMeter()
    run_op_overhead(args.ops, args.repeats, baselines=args.baseline)
    print(meter.note())


if __name__ == "__main__":
    main()
