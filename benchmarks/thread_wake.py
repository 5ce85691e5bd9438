"""What handing work to a second thread costs on the machine at hand.

    python -m benchmarks.thread_wake [--repeats 200] [--step small]

The CPU fast paths (``autograd.threads``) hand one piece of each large
product or elementwise pass to a pool thread and wait for it. A thread that
waits sleeps in the kernel; on a virtual machine its idle virtual CPU may be
halted, and waking it again takes tens to hundreds of microseconds, where
OpenMP's and OpenBLAS's threads spin for a while instead. Three figures:

- wake-up latency: one thread sets an Event, the other (waiting, after
  being idle for a given time) runs again; median and 90th percentile;
- a hand-off: an elementwise pass of ~0.7 ms on each half of an array,
  one half alone against both halves through ``threads.run``;
- with ``--step CONFIG``: how many ``threads.run`` calls a training step of
  that benchmark configuration makes, and how much longer they take than
  the slowest of their pieces (the wait for a late or woken thread).
"""
from __future__ import annotations

import argparse
import functools
import statistics
import sys
import threading
import time

import numpy

from autograd import threads

from .common import CONFIGS, header
from .gradformer_side import GradformerTrainer

IDLE_SECONDS = (0.0, 1e-4, 1e-3, 1e-2)


def _busy(seconds: float):
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pass


def wake_latency(idle: float, repeats: int):
    """Seconds from Event.set() in this thread to the waiting thread running
    again, the waiter having been idle ``idle`` seconds (this thread busy)."""
    go, done, woke = threading.Event(), threading.Event(), []

    def waiter():
        for _ in range(repeats):
            go.wait()
            go.clear()
            woke.append(time.perf_counter())
            done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    latencies = []
    for _ in range(repeats):
        _busy(idle)
        sent = time.perf_counter()
        go.set()
        done.wait()
        done.clear()
        latencies.append(woke[-1] - sent)
    thread.join()
    return latencies


def hand_off(repeats: int):
    """(one half alone, both halves through threads.run) median seconds of
    an elementwise pass over halves of 2^17 float32 each."""
    halves = numpy.split(numpy.ones(1 << 18, dtype=numpy.float32), 2)

    def work(x):
        for _ in range(4):
            numpy.exp(x, out=x)
            numpy.multiply(x, 0.0, out=x)

    alone, both = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        work(halves[0])
        alone.append(time.perf_counter() - start)
        start = time.perf_counter()
        threads.run([functools.partial(work, h) for h in halves])
        both.append(time.perf_counter() - start)
    return statistics.median(alone), statistics.median(both)


def step_hand_offs(config: str, steps: int = 4):
    """(step seconds, threads.run calls, seconds inside them, seconds of
    their slowest pieces), per training step of ``config``."""
    run, tally = threads.run, {"calls": 0, "wall": 0.0, "slowest": 0.0}

    def timed_run(jobs):
        jobs = list(jobs)
        if len(jobs) < 2:                     # run inline: no hand-off
            run(jobs)
            return
        took = [0.0] * len(jobs)

        def timed(i):
            start = time.perf_counter()
            jobs[i]()
            took[i] = time.perf_counter() - start

        start = time.perf_counter()
        run([functools.partial(timed, i) for i in range(len(jobs))])
        tally["calls"] += 1
        tally["wall"] += time.perf_counter() - start
        tally["slowest"] += max(took)

    trainer = GradformerTrainer(CONFIGS[config])
    trainer.step()
    threads.run = timed_run
    try:
        seconds = sum(trainer.step()[0] for _ in range(steps))
    finally:
        threads.run = run
    return (seconds / steps, tally["calls"] / steps, tally["wall"] / steps,
            tally["slowest"] / steps)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.thread_wake",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=200, help="measurements per figure")
    p.add_argument("--step", choices=sorted(CONFIGS), help="also count a training step's hand-offs")
    args = p.parse_args(argv)
    print(header(argv, module="benchmarks.thread_wake", workers=False), flush=True)
    print(f"# autograd.threads: {threads.get_num_threads()} threads (BLAS's count)")
    for idle in IDLE_SECONDS:
        ts = sorted(wake_latency(idle, args.repeats))
        print(f"wake-up after {idle * 1e6:6.0f} us idle: median {statistics.median(ts) * 1e6:6.1f} us, "
              f"90th percentile {ts[int(0.9 * (len(ts) - 1))] * 1e6:6.1f} us")
    alone, both = hand_off(args.repeats)
    print(f"hand-off: one half alone {alone * 1e6:.0f} us, both halves on two threads "
          f"{both * 1e6:.0f} us ({(both - alone) * 1e6:+.0f} us)")
    if args.step:
        seconds, calls, wall, slowest = step_hand_offs(args.step)
        print(f"{args.step} training step: {seconds:.3f} s, {calls:.0f} threads.run calls, "
              f"{wall * 1e3:.1f} ms inside them, {slowest * 1e3:.1f} ms in their slowest "
              f"pieces: {(wall - slowest) * 1e3:.1f} ms waiting for the other thread")


if __name__ == "__main__":
    main()
