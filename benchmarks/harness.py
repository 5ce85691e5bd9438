"""Benchmark harness: gradformer against PyTorch (CPU) and DeZero.

    python -m benchmarks [--only train,decode,ops] [--configs tiny,small,base-ish]
                         [--steps 10] [--warmup 2] [--frameworks gradformer,pytorch,dezero]
                         [--baseline PATH ...]
    python -m benchmarks --profile small [--profile-steps 3]
    python -m benchmarks --check [--configs ...]

train   one encoder-decoder training step per configuration (forward, label-
        smoothed cross-entropy, backward, Adam), gradformer's
        ``transformer.Transformer`` against ``torch.nn.Transformer``: median
        and min step time, target tokens/s, achieved GFLOP/s (the analytic
        count of ``benchmarks.common.forward_flops``, x 3 per step), the
        ratio gradformer/PyTorch, each worker's peak RSS, and NumPy's float32
        GEMM rate measured in the same run (the step's share of it).
decode  greedy decoding of 32 sentences for 32 forced steps (small
        configuration): gradformer with and without its key/value cache
        against PyTorch re-running its decoder on the whole prefix.
ops     per-op engine overhead on a chain of 10,000 tiny ops (``benchmarks.op_overhead``);
        with ``--baseline PATH``, also gradformer imported from another checkout
        (e.g. a git worktree of an older revision), interleaved with the rest.
matmul  (not run by default) the matrix products of a training step alone,
        GFLOP/s of each framework's BLAS (NumPy's OpenBLAS vs PyTorch's MKL).
--profile CONFIG   cProfile over a few gradformer training steps: the top
        entries by tottime (time in the function itself); then the wall time
        inside each kind of op, forward and backward apart.
--check gradformer's weights copied into the PyTorch model (dropout 0):
        logits, loss and gradients agree, so both time the same computation.

Every framework runs in its own spawned worker process with 2 BLAS/OpenMP
threads; the parent sends one command at a time, alternating between
frameworks (A B A B ...), so both see the same machine state. Timings
belong here, never in tests. Every report starts with the command line,
machine, versions and date.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

from .common import (CONFIGS, GEMM_SIZE, SETTLE_SECONDS, BenchConfig, CpuMeter, forward_flops,
                     header, installed, train_step_flops)
from .op_overhead import FRAMEWORKS, baseline_checkout, run_op_overhead
from .worker import Worker, close_all

GRADFORMER, PYTORCH = "benchmarks.gradformer_side", "benchmarks.pytorch_side"
TRAINERS = {"gradformer": (GRADFORMER, "GradformerTrainer"),
            "pytorch": (PYTORCH, "TorchTrainer")}
DECODERS = {"gradformer": (GRADFORMER, "GradformerDecoder"),
            "pytorch": (PYTORCH, "TorchDecoder")}
MATMULS = {"gradformer": (GRADFORMER, "GradformerMatmul"),
           "pytorch": (PYTORCH, "TorchMatmul")}
SECTIONS = ("train", "decode", "ops", "matmul")


def _csv(text):
    return [part.strip() for part in text.split(",") if part.strip()]


def _isolation_notes(infos, out):
    """Each worker reports whether the other framework got loaded into it."""
    for fw, info in infos.items():
        if info.get("torch_loaded"):
            out(f"# WARNING: the {fw} worker has torch loaded")
        if info.get("autograd_loaded"):
            out(f"# WARNING: the {fw} worker has autograd (and NumPy) loaded")


def _open_workers(table, frameworks, **kwargs):
    workers = {}
    try:
        for fw in frameworks:
            workers[fw] = Worker(*table[fw], **kwargs)
    except BaseException:
        close_all(workers)
        raise
    return workers


# ---------------------------------------------------------------------------
# Training step
# ---------------------------------------------------------------------------

def time_training(config: BenchConfig, frameworks, steps, warmup):
    """{framework: {"times": [...], "losses": [...], **info}}, steps interleaved."""
    workers = _open_workers(TRAINERS, frameworks, config=config)
    try:
        for _ in range(warmup):
            for w in workers.values():
                w.call("step")
        results = {fw: {"times": [], "losses": [], "phases": []} for fw in workers}
        for _ in range(steps):                                  # A B A B ...
            for fw, w in workers.items():
                time.sleep(SETTLE_SECONDS)                      # the other's threads asleep
                seconds, loss, phases = w.call("step")
                results[fw]["times"].append(seconds)
                results[fw]["losses"].append(loss)
                results[fw]["phases"].append(phases)
        for fw, w in workers.items():
            results[fw].update(w.call("info"))
        if "gradformer" in workers:                        # the matmul limit, in this run
            results["gradformer"]["gemm"] = workers["gradformer"].call("gemm_rate")
    finally:
        close_all(workers)
    return results


def gemm_note(results, flops) -> str:
    """NumPy's GEMM rate measured in the run, and each framework's step
    rate as a share of it ("" when the run has no gradformer worker)."""
    gemm = results.get("gradformer", {}).get("gemm")
    if not gemm:
        return ""
    shares = ", ".join(f"{fw} {100 * flops / statistics.median(r['times']) / 1e9 / gemm:.0f}%"
                       for fw, r in results.items())
    return (f"NumPy float32 GEMM {GEMM_SIZE} x {GEMM_SIZE} x {GEMM_SIZE} in this run (gradformer "
            f"worker, median of 5): {gemm:.1f} GFLOP/s; step GFLOP/s as a share of it: {shares}")


def report_training(config: BenchConfig, results, out=print):
    tokens = config.batch * config.tgt_len
    flops = train_step_flops(config)
    out(f"== {config.name}: {config.describe()}")
    params = " / ".join(f"{r['params']:,} ({fw})" for fw, r in results.items())
    out(f"   parameters {params}; forward {forward_flops(config) / 1e9:.3f} GFLOP, "
        f"step ~3x = {flops / 1e9:.3f} GFLOP; {tokens:,} target tokens/step")
    out(f"{'framework':<12} {'median s':>9} {'min s':>9} {'tokens/s':>10} {'GFLOP/s':>8} "
        f"{'peak RSS MiB':>13}  loss first -> last")
    for fw, r in results.items():
        med, low = statistics.median(r["times"]), min(r["times"])
        out(f"{fw:<12} {med:>9.4f} {low:>9.4f} {tokens / med:>10,.0f} {flops / med / 1e9:>8.2f} "
            f"{r['peak_rss_mib']:>13.0f}  {r['losses'][0]:.4f} -> {r['losses'][-1]:.4f}")
    out(f"{'phases, median s':<18} {'forward+loss':>12} {'backward':>9} {'zero_grad+Adam':>15}")
    for fw, r in results.items():
        fwd, bwd, opt = (statistics.median(p[i] for p in r["phases"]) for i in range(3))
        out(f"{fw:<18} {fwd:>12.4f} {bwd:>9.4f} {opt:>15.4f}")
    if "gradformer" in results and "pytorch" in results:
        ratio = (statistics.median(results["gradformer"]["times"])
                 / statistics.median(results["pytorch"]["times"]))
        out(f"gradformer / pytorch (median step time): {ratio:.2f}x")
    note = gemm_note(results, flops)
    if note:
        out(note)
    _isolation_notes(results, out)


def run_training(configs, frameworks, steps, warmup, out=print):
    out(f"## Training step ({steps} timed steps per framework after {warmup} warm-up, "
        f"interleaved; float32; dropout 0.1; label smoothing 0.1; Adam 0.9/0.98/1e-9)")
    summary = {}
    for name in configs:
        meter = CpuMeter()
        results = time_training(CONFIGS[name], frameworks, steps, warmup)
        report_training(CONFIGS[name], results, out)
        out(meter.note())
        out("")
        summary[name] = results
    blas = {fw: res.get("blas") for results in summary.values() for fw, res in results.items()}
    out("# " + "; ".join(b for b in blas.values() if b))
    out("")
    if len(configs) > 1:
        summary_table(summary, frameworks, out)
    return summary


def summary_table(summary, frameworks, out=print):
    """One line per configuration: step times, GFLOP/s, the ratio, and the
    GEMM rate measured beside them with the step's share of it."""
    gemm = "gradformer" in frameworks
    out(f"{'config':<10} " + " ".join(f"{fw + ' s':>14} {'GFLOP/s':>8}" for fw in frameworks)
        + (f" {'ratio':>7}" if len(frameworks) == 2 else "")
        + (f" {'GEMM GFLOP/s':>13} {'% of GEMM':>10}" if gemm else ""))
    for name, results in summary.items():
        flops = train_step_flops(CONFIGS[name])
        meds = {fw: statistics.median(r["times"]) for fw, r in results.items()}
        line = f"{name:<10} " + " ".join(f"{meds[fw]:>14.4f} {flops / meds[fw] / 1e9:>8.2f}"
                                         for fw in frameworks)
        if "gradformer" in meds and "pytorch" in meds:
            line += f" {meds['gradformer'] / meds['pytorch']:>6.2f}x"
        if gemm:
            rate = results["gradformer"]["gemm"]
            line += f" {rate:>13.1f} {100 * flops / meds['gradformer'] / 1e9 / rate:>9.0f}%"
        out(line)
    out("")


# ---------------------------------------------------------------------------
# Greedy decoding
# ---------------------------------------------------------------------------

def decoding_variants(workers):
    """[(label, worker, decode arguments)]: gradformer with and without its
    cache, PyTorch re-running its decoder on the prefix."""
    variants = []
    if "gradformer" in workers:
        variants += [("gradformer, kv cache", workers["gradformer"], (True,)),
                     ("gradformer, no cache", workers["gradformer"], (False,))]
    if "pytorch" in workers:
        variants += [("pytorch, re-run prefix", workers["pytorch"], ())]
    return variants


def time_decoding(variants, repeats, warmup):
    """({label: [seconds]}, {label: ids of the last batch}), interleaved."""
    for _ in range(warmup):
        for _, w, args in variants:
            w.call("decode", *args)
    times, outputs = {label: [] for label, _, _ in variants}, {}
    for _ in range(repeats):
        for label, w, args in variants:
            seconds, ids = w.call("decode", *args)
            times[label].append(seconds)
            outputs[label] = ids
    return times, outputs


def report_decoding(times, infos, batch, steps, out=print):
    ref = statistics.median(times["pytorch, re-run prefix"]) if "pytorch" in infos else None
    out(f"{'variant':<24} {'median s':>9} {'min s':>9} {'ms/step':>8} {'tokens/s':>9} "
        f"{'vs pytorch':>11} {'peak RSS MiB':>13}")
    for label, secs in times.items():
        med = statistics.median(secs)
        ratio = f"{med / ref:>10.2f}x" if ref else f"{'-':>11}"
        rss = infos[label.split(",")[0]]["peak_rss_mib"]
        out(f"{label:<24} {med:>9.4f} {min(secs):>9.4f} {1e3 * med / steps:>8.2f} "
            f"{batch * steps / med:>9,.0f} {ratio} {rss:>13.0f}")


def check_decoded(outputs, batch, steps, out=print):
    """Warn about outputs of the wrong shape; count where the cache changed a token."""
    for label, ids in outputs.items():
        if len(ids) != batch or any(len(row) != steps for row in ids):
            out(f"# WARNING: {label} returned {len(ids)} rows of lengths "
                f"{sorted({len(r) for r in ids})}, not {batch} x {steps}")
    if "gradformer, kv cache" in outputs:
        a, b = outputs["gradformer, kv cache"], outputs["gradformer, no cache"]
        differ = sum(x != y for ra, rb in zip(a, b) for x, y in zip(ra, rb))
        out(f"# gradformer with and without cache: {differ} of {batch * steps} tokens differ")


def run_decoding(frameworks, repeats, warmup, batch=32, src_len=32, steps=32, out=print):
    config = dataclasses.replace(CONFIGS["small"], batch=batch, src_len=src_len)
    out(f"## Greedy decoding (small configuration, {batch} sentences of {src_len} tokens, "
        f"{steps} steps forced, eval mode, no grad; {repeats} timed batches after {warmup} "
        f"warm-up, interleaved)")
    meter = CpuMeter()
    workers = _open_workers(DECODERS, frameworks, config=config, steps=steps)
    try:
        times, outputs = time_decoding(decoding_variants(workers), repeats, warmup)
        infos = {fw: w.call("info") for fw, w in workers.items()}
    finally:
        close_all(workers)
    report_decoding(times, infos, batch, steps, out)
    check_decoded(outputs, batch, steps, out)
    _isolation_notes(infos, out)
    out(meter.note())
    out("")
    return times


# ---------------------------------------------------------------------------
# Profile
# ---------------------------------------------------------------------------

def run_profile(name, steps, warmup, top, out=print):
    config = CONFIGS[name]
    out(f"## Profile of gradformer training steps, {name}: {config.describe()}")
    out(f"cProfile over {steps} steps after {warmup} warm-up; top {top} by tottime "
        "(time inside the function itself, callees excluded)")
    meter = CpuMeter()
    with Worker(*TRAINERS["gradformer"], config=config) as w:
        for _ in range(warmup):
            w.call("step")
        plain = [w.call("step") for _ in range(max(1, steps))]
        fwd, bwd, opt = (statistics.median(p[2][i] for p in plain) for i in range(3))
        out(f"unprofiled step time (median of {len(plain)}): "
            f"{statistics.median(p[0] for p in plain):.4f} s = forward+loss {fwd:.4f} + "
            f"backward {bwd:.4f} + zero_grad+Adam {opt:.4f}")
        out(w.call("profile", steps, top))
        out("")
        out(w.call("op_times", steps, top))
    out(meter.note())
    out("")


# ---------------------------------------------------------------------------
# Matrix products alone
# ---------------------------------------------------------------------------

def matmul_shapes(config: BenchConfig):
    """(batch, m, k, n) of the products of a training step of ``config``."""
    c = config
    rows, d_k = c.batch * c.tgt_len, c.d_model // c.n_heads
    return [(1, rows, c.d_model, c.d_model, "projection"),
            (1, rows, c.d_model, c.d_ff, "feed-forward in"),
            (1, rows, c.d_ff, c.d_model, "feed-forward out"),
            (1, rows, c.d_model, c.vocab, "output projection"),
            (c.batch * c.n_heads, c.tgt_len, d_k, c.tgt_len, "attention scores")]


def run_matmul(configs, frameworks, repeats=20, out=print):
    out(f"## Matrix products alone (float32, median of {repeats}, no autograd graph): what "
        "each framework's BLAS reaches at the shapes of a training step")
    meter = CpuMeter()
    workers = _open_workers(MATMULS, frameworks)
    try:
        rows = []
        for name in configs:
            for batch, m, k, n, what in matmul_shapes(CONFIGS[name]):
                secs = {fw: w.call("run", batch, m, k, n, repeats) for fw, w in workers.items()}
                rows.append((name, what, batch, m, k, n, secs))
        infos = {fw: w.call("info") for fw, w in workers.items()}
    finally:
        close_all(workers)
    out(f"{'config':<9} {'product':<18} {'(batch,) m x k @ k x n':>24} "
        + " ".join(f"{fw + ' GFLOP/s':>18}" for fw in workers))
    for name, what, batch, m, k, n, secs in rows:
        flops = 2 * batch * m * k * n
        shape = (f"{batch} x " if batch > 1 else "") + f"{m}x{k} @ {k}x{n}"
        out(f"{name:<9} {what:<18} {shape:>24} "
            + " ".join(f"{flops / secs[fw] / 1e9:>18.1f}" for fw in workers))
    out("# " + "; ".join(info["blas"] for info in infos.values()))
    _isolation_notes(infos, out)
    out(meter.note())
    out("")


# ---------------------------------------------------------------------------
# Same computation?
# ---------------------------------------------------------------------------

def run_check(configs, out=print):
    """gradformer's weights copied into the PyTorch model, dropout 0: both
    must give the same logits, loss and gradients (``benchmarks.equivalence``)."""
    out("## Equivalence check: gradformer weights copied into the PyTorch model, dropout 0, "
        "batch 4, source/target 9/7 tokens with padding")
    out(f"{'config':<10} {'quantity':<38} {'max |diff|':>11} {'max |value|':>12}")
    worst = 0.0
    for name in configs:
        with Worker("benchmarks.equivalence", "EquivalenceCheck", config=CONFIGS[name]) as w:
            for quantity, (diff, scale) in w.call("run").items():
                out(f"{name:<10} {quantity:<38} {diff:>11.3g} {scale:>12.3g}")
                worst = max(worst, diff / max(scale, 1e-12))
    out(f"largest difference relative to the values: {worst:.2g} "
        f"({'same computation' if worst < 1e-3 else 'MISMATCH'})")
    out("")


# ---------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("--only", default="train,decode,ops",
                   help="sections to run, comma-separated: train, decode, ops, matmul")
    p.add_argument("--configs", default="tiny,small,base-ish",
                   help=f"training configurations, comma-separated: {', '.join(CONFIGS)}")
    p.add_argument("--steps", type=int, default=10, help="timed training steps per framework")
    p.add_argument("--warmup", type=int, default=2,
                   help="warm-up steps (or decoding batches) per framework")
    p.add_argument("--frameworks", default="gradformer,pytorch,dezero",
                   help="gradformer, pytorch; dezero takes part in the ops section only")
    p.add_argument("--decode-repeats", type=int, default=5, help="timed decoding batches")
    p.add_argument("--ops", type=int, default=10_000, help="length of the op chain")
    p.add_argument("--op-repeats", type=int, default=7, help="timed rounds of the op chain")
    p.add_argument("--baseline", action="append", default=[], type=baseline_checkout,
                   metavar="PATH", help="ops section: also time gradformer imported from "
                                        "this other checkout (repeatable)")
    p.add_argument("--profile", metavar="CONFIG",
                   help="instead of the sections: profile gradformer training steps")
    p.add_argument("--check", action="store_true",
                   help="instead of the sections: check that both models compute the same "
                        "function (weights copied, dropout 0)")
    p.add_argument("--profile-steps", type=int, default=3)
    p.add_argument("--top", type=int, default=15, help="profile entries to print")
    args = p.parse_args(argv)
    _check_args(p, args)
    return args


def _check_args(p, args):
    """Refuse names and counts the sections cannot run, naming the bad one."""
    for name in _csv(args.configs) + ([args.profile] if args.profile else []):
        if name not in CONFIGS:
            p.error(f"unknown configuration {name!r}; choose from {', '.join(CONFIGS)}")
    for section in _csv(args.only):
        if section not in SECTIONS:
            p.error(f"unknown section {section!r}; choose from {', '.join(SECTIONS)}")
    for fw in _csv(args.frameworks):
        if fw not in FRAMEWORKS:
            p.error(f"unknown framework {fw!r}")
    if args.baseline and (args.check or args.profile or "ops" not in _csv(args.only)):
        p.error("--baseline is for the ops section: add ops to --only")
    if min(args.steps, args.decode_repeats, args.op_repeats, args.profile_steps) < 1:
        p.error("--steps, --decode-repeats, --op-repeats and --profile-steps must be >= 1")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    out = print
    out(header(argv, baselines=args.baseline))
    frameworks = _csv(args.frameworks)
    if "pytorch" in frameworks and not installed("torch"):
        out("# PyTorch is not installed: gradformer runs alone")
        frameworks.remove("pytorch")
    model_fws = [fw for fw in frameworks if fw in TRAINERS]
    out("")
    if args.check:
        run_check(_csv(args.configs), out)
    elif args.profile:
        run_profile(args.profile, args.profile_steps, args.warmup, args.top, out)
    else:
        sections = _csv(args.only)
        if "train" in sections and model_fws:
            run_training(_csv(args.configs), model_fws, args.steps, args.warmup, out)
        if "decode" in sections and model_fws:
            run_decoding(model_fws, args.decode_repeats, args.warmup, out=out)
        if "matmul" in sections and model_fws:
            run_matmul(_csv(args.configs), model_fws, out=out)
        if "ops" in sections:
            out("## Per-op engine overhead")
            meter = CpuMeter()
            run_op_overhead(args.ops, args.op_repeats, frameworks, args.baseline, out)
            out(meter.note())
            out("")
    if hasattr(os, "getloadavg"):
        out(f"# 1-min load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
