"""What each CPU lever of the training step gives: each switched off in turn.

    python -m benchmarks.levers [--configs tiny,small] [--steps 8] [--warmup 2]
                                [--baseline PATH]

One worker process per variant: the code as it is ("all levers on"), then
the same code with one lever switched off, then (``--baseline``) another
checkout, such as the code before the levers. Every worker builds the same
model and batch (``benchmarks.gradformer_side.GradformerTrainer``); the
parent interleaves them step by step (A B C ... A B C ...), as the harness
does, and prints each variant's median step time and its ratio to "all
levers on" (above 1: the lever saves that much).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time

from .common import CONFIGS, SETTLE_SECONDS, CpuMeter, header
from .op_overhead import import_autograd_from, baseline_checkout
from .worker import Worker, close_all

NEVER = 1 << 62      # a threshold no product or array reaches: the lever never applies
# OpenBLAS reads it when it is loaded, so the parent sets it for that worker's start:
# 2^4 cycles of spinning after a product (its default is 2^28, ~0.1 s) before sleeping
NO_SPIN = {"OPENBLAS_THREAD_TIMEOUT": "4"}

LEVERS = {
    "all levers on": "",
    "stacks of products not split over the threads": "stack products",
    "large products not cut into row blocks (BLAS's own threads)": "row blocks",
    "... and BLAS's threads sleep at once, not spin (OPENBLAS_THREAD_TIMEOUT=4)":
        "row blocks, no spin",
    "softmax/LayerNorm/cross-entropy rows, dropout bits, Adam not cut into chunks":
        "chunks",
    "dropout mask from uniform floats (not 32-bit integers)": "dropout bits",
    "Adam one parameter after another": "adam per parameter",
    "embedding backward: add.at on rows (not on one flat index)": "add.at on rows",
    "malloc hands freed memory back to the kernel (its default)": "malloc default",
}


def _switch_off(lever: str):
    """In the worker, before the model is built: turn ``lever`` off."""
    from autograd import backend
    if lever == "stack products":
        backend._WORTH_SPLITTING = NEVER
    elif lever in ("row blocks", "row blocks, no spin"):
        backend._WORTH_ROW_BLOCKS = NEVER
    elif lever == "chunks":
        backend.CHUNK = NEVER
    elif lever == "dropout bits":
        backend.keep_mask = lambda x, p: backend.generator_for(x).random(x.shape, x.dtype) >= p
    elif lever == "adam per parameter":
        from nn.optim.adam import Adam
        from nn.optim.optimizer import Optimizer
        Adam._update_group = Optimizer._update_group
    elif lever == "add.at on rows":
        import numpy
        backend.scatter_add = lambda target, index, values: numpy.add.at(target, index, values)
    elif lever:
        raise ValueError(f"unknown lever {lever!r}")


def trainer(config: str, lever: str = "", root: str = ""):
    """The worker's object: a GradformerTrainer with ``lever`` off, or one
    whose autograd, nn and transformer come from the checkout ``root``."""
    if lever == "malloc default":
        os.environ["GRADFORMER_KEEP_FREED_MEMORY"] = "0"     # read when autograd is imported
    if root:
        import_autograd_from(root)                          # checked: autograd from there
    from .gradformer_side import GradformerTrainer
    if lever != "malloc default":
        _switch_off(lever)
    return GradformerTrainer(CONFIGS[config])


@contextlib.contextmanager
def _environment(variables: dict):
    """os.environ with ``variables`` set inside the block (a spawned worker
    inherits them), as it was after."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value


def time_variants(config: str, variants, steps: int, warmup: int):
    """({label: [step seconds]} for every (label, worker keyword arguments),
    the note on other processes' CPU use meanwhile)."""
    workers, meter = {}, CpuMeter()
    try:
        for label, kwargs in variants:
            env = NO_SPIN if kwargs.get("lever") == "row blocks, no spin" else {}
            with _environment(env):
                workers[label] = Worker("benchmarks.levers", "trainer", config=config, **kwargs)
        for _ in range(warmup):
            for w in workers.values():
                w.call("step")
        times = {label: [] for label in workers}
        for _ in range(steps):
            for label, w in workers.items():
                time.sleep(SETTLE_SECONDS)                # the last worker's threads asleep
                times[label].append(w.call("step")[0])
    finally:
        close_all(workers)
    return times, meter.note()      # read once the workers are closed


def report(config: str, times, cpu_note, out=print):
    base = statistics.median(times["all levers on"])
    out(f"== {config}: median of the interleaved steps; off / on above 1 = what the lever saves")
    out(f"{'variant':<80} {'median s':>9} {'off / on':>9}")
    for label, ts in times.items():
        med = statistics.median(ts)
        out(f"{label:<80} {med:>9.4f} {med / base:>8.2f}x")
    out(cpu_note)
    out("")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.levers",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", default="tiny,small", help="comma-separated: tiny, small, base-ish")
    p.add_argument("--steps", type=int, default=8, help="timed steps per variant")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per variant first")
    p.add_argument("--baseline", action="append", default=[], type=baseline_checkout,
                   help="also time the code of this checkout (repeatable)")
    args = p.parse_args(argv)
    print(header(argv, module="benchmarks.levers", baselines=args.baseline), flush=True)
    variants = [(label, {"lever": lever}) for label, lever in LEVERS.items()]
    variants += [(f"baseline {path}", {"root": path}) for path in args.baseline]
    for config in args.configs.split(","):
        if config not in CONFIGS:
            raise SystemExit(f"benchmarks.levers: unknown configuration {config!r} "
                             f"(choose from {', '.join(CONFIGS)})")
        times, meter = time_variants(config, variants, args.steps, args.warmup)
        report(config, times, meter)


if __name__ == "__main__":
    main()
