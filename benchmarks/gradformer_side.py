"""The gradformer side of ``python -m benchmarks``: objects that live in a
worker process (see ``benchmarks.worker``) and time one training step, one
greedy-decoding batch or the matrix products alone, or profile a few steps.
Never imports torch."""
from __future__ import annotations

import collections
import cProfile
import os
import pstats
import sys
import time

import numpy

import autograd as ag
import nn
import transformer as T
from autograd import engine
from autograd.function import Function

from .common import (BOS, GEMM_SIZE, PAD, ROOT, BenchConfig, median_seconds, peak_rss_mib,
                     timed_step, token_batch)

NEVER = -1          # an <eos> id no model can produce: greedy decoding runs every step


def model_config(c: BenchConfig) -> T.TransformerConfig:
    """The library's defaults (post-norm, sinusoidal positions, output
    projection tied to the target embedding) at the benchmark's sizes."""
    return T.TransformerConfig(
        src_vocab_size=c.vocab, tgt_vocab_size=c.vocab, d_model=c.d_model, n_heads=c.n_heads,
        n_encoder_layers=c.n_encoder_layers, n_decoder_layers=c.n_decoder_layers, d_ff=c.d_ff,
        dropout=c.dropout, attention_dropout=c.dropout, max_len=c.max_len, pad_id=PAD)


def _blas() -> str:
    try:
        deps = numpy.show_config(mode="dicts")["Build Dependencies"]
        return f"NumPy BLAS: {deps['blas']['name']} {deps['blas'].get('version', '')}".strip()
    except Exception as e:  # an older NumPy without mode="dicts"
        return f"NumPy BLAS: unknown ({type(e).__name__})"


class GradformerTrainer:
    """One training step = zero_grad, forward, label-smoothed cross-entropy
    (0.1, padding ignored), backward, Adam (betas 0.9/0.98, eps 1e-9), on
    the same fixed random batch every step."""

    def __init__(self, config: BenchConfig, seed: int = 0, lr: float = 1e-4):
        ag.manual_seed(seed)
        self.config = config
        self.model = T.Transformer(model_config(config))
        self.model.train()
        self.opt = nn.optim.Adam(self.model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
        src, tgt = token_batch(config, seed)
        self.src = ag.tensor(src)                                   # (B, S) int64
        self.tgt_in = ag.tensor([row[:-1] for row in tgt])          # (B, T), starts with <bos>
        self.tgt_out = ag.tensor([row[1:] for row in tgt])          # (B, T) labels

    def step(self):
        """Run one training step; (wall seconds, loss, (forward + loss,
        backward, zero_grad + Adam) seconds)."""
        return timed_step(
            self.opt.zero_grad,
            lambda: nn.cross_entropy(self.model(self.src, self.tgt_in), self.tgt_out,
                                     ignore_index=PAD, label_smoothing=0.1),
            lambda loss: loss.backward(), self.opt.step)

    def info(self):
        return {"params": self.model.num_parameters(), "peak_rss_mib": peak_rss_mib(),
                "torch_loaded": "torch" in sys.modules, "blas": _blas()}

    def gemm_rate(self, n: int = GEMM_SIZE, repeats: int = 5) -> float:
        """GFLOP/s of NumPy's float32 n x n @ n x n product in this worker
        (median of ``repeats``): the matmul limit of the machine at hand,
        which the step's achieved GFLOP/s is set against."""
        a = numpy.random.default_rng(0).standard_normal((n, n), dtype=numpy.float32)
        return 2 * n ** 3 / median_seconds(lambda: a @ a, repeats) / 1e9

    def profile(self, steps: int, top: int = 15) -> str:
        """cProfile over ``steps`` training steps; the ``top`` entries by
        total time spent in the function itself (tottime)."""
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(steps):
            self.step()
        profiler.disable()
        return profile_table(profiler, steps, top)

    def op_times(self, steps: int, top: int = 25) -> str:
        """Wall time inside each kind of op over ``steps`` steps, forward
        and backward pass apart: unlike cProfile, it counts the work an op
        hands to the CPU threads."""
        with OpTimer() as timer:
            for _ in range(steps):
                self.step()
        return timer.table(steps, top)


class OpTimer:
    """``with OpTimer() as t:`` times every op's forward (``Function._forward``,
    wrapped for the block), filed under the op's name and the pass that ran
    it: "backward" inside the engine's reverse pass, else "forward"."""

    def __enter__(self):
        self.seconds, self.calls = collections.Counter(), collections.Counter()
        self._pass = "forward"
        self._saved = (Function._forward, engine._run)
        timer, forward, reverse = self, Function._forward, engine._run

        def timed_forward(op, inputs):
            t0 = time.perf_counter()
            try:
                return forward(op, inputs)
            finally:
                key = (timer._pass, type(op).__name__)
                timer.seconds[key] += time.perf_counter() - t0
                timer.calls[key] += 1

        def timed_reverse(*args, **kwargs):
            timer._pass = "backward"
            try:
                return reverse(*args, **kwargs)
            finally:
                timer._pass = "forward"

        Function._forward, engine._run = timed_forward, timed_reverse
        return self

    def __exit__(self, *exc):
        Function._forward, engine._run = self._saved

    def table(self, steps: int, top: int) -> str:
        total = sum(self.seconds.values())
        calls = sum(self.calls.values()) // steps
        out = [f"time inside ops: {total / steps:.4f} s/step in {calls} op calls/step; "
               f"top {top} by wall time",
               f"{'pass':<9} {'op':<24} {'ms/step':>8} {'%':>6} {'calls/step':>11}"]
        for (phase, name), secs in self.seconds.most_common(top):
            out.append(f"{phase:<9} {name:<24} {1e3 * secs / steps:>8.2f} "
                       f"{100 * secs / total:>5.1f}% {self.calls[phase, name] // steps:>11}")
        return "\n".join(out)


def _qualify(path, line, func) -> str:
    """``forward`` -> ``Matmul.forward``: the class a method at ``line`` of a
    project file sits in (cProfile keys carry only the bare name)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()[:line]
    except OSError:
        return func
    indent = len(lines[-1]) - len(lines[-1].lstrip()) if lines else 0
    for text in reversed(lines[:-1]):
        stripped = text.lstrip()
        if stripped.startswith("class ") and len(text) - len(stripped) < indent:
            return f"{stripped[6:].split('(')[0].split(':')[0].strip()}.{func}"
        if stripped and len(text) - len(stripped) == 0 and not stripped.startswith(("@", "#")):
            break                                    # reached module level: a plain function
    return func


def _where(key) -> str:
    file, line, func = key
    if file == "~":                                  # a builtin or C method
        return func
    if file.startswith(ROOT + os.sep):
        func = _qualify(file, line, func)
        file = os.path.relpath(file, ROOT)
    elif "site-packages" in file:
        file = file.split("site-packages" + os.sep, 1)[1]
    else:
        file = os.path.basename(file)
    return f"{file}:{line}({func})"


def profile_table(profiler, steps: int, top: int) -> str:
    stats = pstats.Stats(profiler).stats
    total = sum(v[2] for v in stats.values())
    rows = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    out = [f"{steps} steps profiled, {total:.3f} s of tottime in all, {total / steps:.3f} s/step "
           f"(cProfile overhead included)",
           f"{'ncalls':>9} {'tottime s':>10} {'%':>6} {'cumtime s':>10}  function"]
    for key, (cc, nc, tt, ct, _) in rows:
        calls = str(nc) if nc == cc else f"{nc}/{cc}"
        out.append(f"{calls:>9} {tt:>10.3f} {100 * tt / total:>5.1f}% {ct:>10.3f}  {_where(key)}")
    return "\n".join(out)


class GradformerDecoder:
    """Greedy decoding of one fixed batch, eval mode, no gradient, with and
    without the key/value cache; ``steps`` decoding steps always run."""

    def __init__(self, config: BenchConfig, steps: int = 32, seed: int = 0):
        ag.manual_seed(seed)
        self.model = T.Transformer(model_config(config))
        self.model.eval()
        self.src = ag.tensor(token_batch(config, seed)[0])          # (B, S)
        self.steps = steps

    def decode(self, use_cache=True):
        """(wall seconds, output ids as nested lists (B, steps))."""
        t0 = time.perf_counter()
        out = T.greedy_decode(self.model, self.src, bos_id=BOS, eos_id=NEVER,
                              max_len=self.steps, use_cache=use_cache)
        seconds = time.perf_counter() - t0
        return seconds, out.numpy().tolist()

    def info(self):
        return {"params": self.model.num_parameters(), "peak_rss_mib": peak_rss_mib(),
                "torch_loaded": "torch" in sys.modules, "blas": _blas()}


class GradformerMatmul:
    """Matrix products alone (``a @ b`` under no_grad), to tell how fast the
    BLAS underneath is from how fast the framework around it is."""

    def run(self, batch, m, k, n, repeats):
        """Median seconds of (batch, m, k) @ (batch, k, n) (2-D when batch is 1)."""
        lead = (batch,) if batch > 1 else ()
        a, b = ag.randn(*lead, m, k), ag.randn(*lead, k, n)
        with ag.no_grad():
            return median_seconds(lambda: a @ b, repeats)

    def info(self):
        return {"blas": _blas(), "torch_loaded": "torch" in sys.modules}

