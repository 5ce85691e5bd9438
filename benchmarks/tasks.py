"""Accuracy targets of the built-in tasks: each trained from a fixed seed with
the training command's defaults, its held-out exact match and wall time.

    python -m benchmarks.tasks [--tasks copy,reverse,sort,toy-pair] [--seed 0]

Each task runs ``python -m transformer.train --task NAME --seed S`` in its own
process; the table quotes the line it ends with.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from .common import ROOT, header


def run_task(task, seed, folder):
    cmd = [sys.executable, "-m", "transformer.train", "--task", task, "--seed", str(seed),
           "--quiet", "--out", os.path.join(folder, task)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    match = re.search(r"test exact match: ([\d.]+)% on (\d+) held-out sentences", proc.stdout)
    epochs = re.findall(r"^epoch\s+(\d+) ", proc.stdout, re.M)
    return float(match.group(1)), int(match.group(2)), int(epochs[-1]), wall


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.tasks",
                                description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="copy,reverse,sort,toy-pair")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    print(header(argv, module="benchmarks.tasks", workers=False))
    print(f"{'task':<10} {'held-out exact match':>21} {'sentences':>10} {'epochs':>7} "
          f"{'wall (s)':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for task in args.tasks.split(","):
            accuracy, n, epochs, wall = run_task(task, args.seed, folder)
            print(f"{task:<10} {accuracy:>20.2f}% {n:>10} {epochs:>7} {wall:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
