"""What activation checkpointing saves: peak memory and step time of one
Transformer training step with and without it.

    python -m benchmarks.checkpointing [--config small] [--steps 3]

Peak memory is measured with tracemalloc, which sees every NumPy array
allocation (the activations kept for backward are the difference).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc

import autograd as ag
import nn
import transformer as T

from .common import CONFIGS, PAD, BenchConfig, header
from .gradformer_side import model_config


def measure(c: BenchConfig, checkpointing, steps):
    """(median step seconds, peak bytes allocated during a step)."""
    ag.manual_seed(0)
    model = T.Transformer(model_config(c)).gradient_checkpointing(checkpointing)
    opt = nn.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    src = ag.randint(4, c.vocab, (c.batch, c.src_len))
    tgt = ag.randint(4, c.vocab, (c.batch, c.tgt_len + 1))

    def step():
        loss = ag.cross_entropy(model(src, tgt[:, :-1]), tgt[:, 1:], ignore_index=PAD,
                                label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()                                   # warm-up: optimizer state exists from here on
    times, peaks = [], []
    for _ in range(steps):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
        tracemalloc.stop()
    return statistics.median(times), max(peaks)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.checkpointing",
                                description=__doc__.splitlines()[0])
    p.add_argument("--config", default="small", choices=sorted(CONFIGS))
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args(argv)
    print(header(argv, module="benchmarks.checkpointing", workers=False))
    print(f"{'checkpointing':<14} {'peak memory in a step (MiB)':>28} {'median step (s)':>16}")
    rows = {}
    for flag in (False, True):
        t, peak = measure(CONFIGS[args.config], flag, args.steps)
        rows[flag] = peak
        print(f"{'on' if flag else 'off':<14} {peak / 2**20:>28.1f} {t:>16.3f}")
    print(f"saved: {100 * (1 - rows[True] / rows[False]):.0f}% of the peak")


if __name__ == "__main__":
    main()
