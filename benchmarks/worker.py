"""One process per framework: the parent sends commands, a worker runs them
on an object it built and answers with the result.

Workers start with the multiprocessing *spawn* method, so each begins as a
fresh interpreter: the gradformer worker never imports torch and the PyTorch
worker never imports autograd (each reports what it has loaded, and the
parent checks). Only one worker computes at a time, so the parent can
interleave them command by command (A B A B ...) on a 2-core machine.
"""
from __future__ import annotations

import importlib
import multiprocessing
import traceback

from .common import set_thread_environment


class WorkerError(RuntimeError):
    pass


def _serve(conn, module, factory, kwargs):
    """The worker's main loop: build ``module.factory(**kwargs)``, then run
    ("method", args) commands on it until None arrives."""
    try:
        obj = getattr(importlib.import_module(module), factory)(**kwargs)
        conn.send(("ok", None))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        conn.close()
        return
    while True:
        msg = conn.recv()
        if msg is None:
            break
        method, args = msg
        try:
            conn.send(("ok", getattr(obj, method)(*args)))
        except BaseException:
            conn.send(("error", traceback.format_exc()))
    conn.close()


class Worker:
    """``Worker("benchmarks.pytorch_side", "TorchTrainer", config=...)``: a spawned
    process holding the object; ``w.call("step")`` runs ``obj.step()`` there."""

    def __init__(self, module, factory, **kwargs):
        set_thread_environment()
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.name = f"{module}.{factory}"
        self.process = ctx.Process(target=_serve, args=(child, module, factory, kwargs),
                                   daemon=True)
        self.process.start()
        child.close()
        self._answer()                 # raises if building the object failed

    def _answer(self):
        try:
            status, value = self.conn.recv()
        except EOFError:
            raise WorkerError(f"{self.name}: the worker process died "
                              f"(exit code {self.process.exitcode})") from None
        if status == "error":
            raise WorkerError(f"{self.name} failed:\n{value}")
        return value

    def call(self, method, *args):
        self.conn.send((method, args))
        return self._answer()

    def close(self):
        if self.process.is_alive():
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self.process.join(timeout=30)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join()
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def close_all(workers):
    """Close every worker of a {name: Worker} dict."""
    for w in workers.values():
        w.close()
