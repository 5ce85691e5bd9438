"""Per-op engine overhead: a chain of N small ops (alternating multiply and
add on a 4-element tensor), forward then backward, timed per op.

    python -m tools.bench_ops [--ops 10000] [--repeats 7]

Runs gradformer and, when installed, PyTorch (CPU) and DeZero on the same
chain, interleaved round by round, and prints median and min microseconds
per op for each.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time


def _chain_gradformer(n):
    import autograd as ag
    x = ag.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)

    def run():
        t0 = time.perf_counter()
        y = x
        for i in range(n):
            y = y * 1.0001 if i % 2 else y + 0.001
        t1 = time.perf_counter()
        y.sum().backward()
        t2 = time.perf_counter()
        x.grad = None
        return t1 - t0, t2 - t1
    return run


def _chain_torch(n):
    import torch
    torch.set_num_threads(2)
    x = torch.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)

    def run():
        t0 = time.perf_counter()
        y = x
        for i in range(n):
            y = y * 1.0001 if i % 2 else y + 0.001
        t1 = time.perf_counter()
        y.sum().backward()
        t2 = time.perf_counter()
        x.grad = None
        return t1 - t0, t2 - t1
    return run


def _chain_dezero(n):
    import dezero
    import dezero.functions  # noqa: F401  (registers Variable operators)
    x = dezero.Variable(dezero.as_array([0.1, 0.2, 0.3, 0.4]))

    def run():
        t0 = time.perf_counter()
        y = x
        for i in range(n):
            y = y * 1.0001 if i % 2 else y + 0.001
        t1 = time.perf_counter()
        dezero.functions.sum(y).backward()
        t2 = time.perf_counter()
        x.cleargrad()
        return t1 - t0, t2 - t1
    return run


FRAMEWORKS = {"gradformer": _chain_gradformer, "pytorch": _chain_torch, "dezero": _chain_dezero}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * args.ops))  # DeZero recurses

    runners = {}
    for name, make in FRAMEWORKS.items():
        try:
            runners[name] = make(args.ops)
            runners[name]()  # warm-up
        except Exception as e:  # not installed, or broken on this NumPy
            print(f"# {name}: unavailable ({type(e).__name__}: {str(e).splitlines()[0]}); skipped")
            runners.pop(name, None)
    times = {name: ([], []) for name in runners}
    for _ in range(args.repeats):            # interleaved: A B C A B C ...
        for name, run in runners.items():
            f, b = run()
            times[name][0].append(f)
            times[name][1].append(b)

    print(f"# python -m tools.bench_ops --ops {args.ops} --repeats {args.repeats}")
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{'framework':<12} {'forward us/op':>22} {'backward us/op':>22} {'total us/op':>13}")
    print(f"{'':<12} {'median':>10} {'min':>11} {'median':>10} {'min':>11} {'median':>13}")
    for name, (fw, bw) in times.items():
        us = 1e6 / args.ops
        print(f"{name:<12} {statistics.median(fw) * us:>10.2f} {min(fw) * us:>11.2f} "
              f"{statistics.median(bw) * us:>10.2f} {min(bw) * us:>11.2f} "
              f"{(statistics.median(fw) + statistics.median(bw)) * us:>13.2f}")


if __name__ == "__main__":
    main()
