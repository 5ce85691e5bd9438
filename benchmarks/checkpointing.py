"""What activation checkpointing saves: peak memory and step time of one
Transformer training step with and without it.

    python -m tools.bench_checkpointing [--config small] [--steps 3]

Peak memory is measured with tracemalloc, which sees every NumPy array
allocation (the activations kept for backward are the difference).
"""
from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time
import tracemalloc

import autograd as ag
import nn
import transformer as T

CONFIGS = {  # d_model, heads, layers (each stack), d_ff, vocab, batch, length
    "tiny": (64, 4, 2, 256, 1000, 32, 16),
    "small": (256, 8, 3, 512, 8000, 64, 32),
    "base-ish": (512, 8, 6, 2048, 8000, 32, 32),
}


def measure(config, checkpointing, steps):
    d, h, n, d_ff, vocab, batch, length = CONFIGS[config]
    ag.manual_seed(0)
    model = T.Transformer(T.TransformerConfig(
        src_vocab_size=vocab, tgt_vocab_size=vocab, d_model=d, n_heads=h, n_encoder_layers=n,
        n_decoder_layers=n, d_ff=d_ff, max_len=length + 2)).gradient_checkpointing(checkpointing)
    opt = nn.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    src = ag.randint(4, vocab, (batch, length))
    tgt = ag.randint(4, vocab, (batch, length + 1))

    def step():
        loss = ag.cross_entropy(model(src, tgt[:, :-1]), tgt[:, 1:], ignore_index=0,
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
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="small", choices=sorted(CONFIGS))
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args(argv)
    print(f"# python -m tools.bench_checkpointing --config {args.config} --steps {args.steps}")
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{datetime.date.today()}")
    print(f"{'checkpointing':<14} {'peak memory in a step (MiB)':>28} {'median step (s)':>16}")
    rows = {}
    for flag in (False, True):
        t, peak = measure(args.config, flag, args.steps)
        rows[flag] = peak
        print(f"{'on' if flag else 'off':<14} {peak / 2**20:>28.1f} {t:>16.3f}")
    print(f"saved: {100 * (1 - rows[True] / rows[False]):.0f}% of the peak")


if __name__ == "__main__":
    main()
