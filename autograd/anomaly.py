"""Anomaly mode: find the first op that makes a NaN or an Inf.

    with autograd.detect_anomaly():
        loss = model(x).sum()
        loss.backward()

checks every forward output and every backward gradient, and raises at the
first non-finite one, naming the op, the module that made it and the source
line where it was created (the stack is captured only in this mode, so
normal runs pay nothing). Reporters (``reporters``) may add to the error:
``tools`` registers one that draws the failing node's neighbourhood.
"""
from __future__ import annotations

import os
import traceback

from . import backend
from .grad_mode import StateSwitch, state

# Callables (error) -> str | None, run when an anomaly is raised; a string
# they return is appended to the message (e.g. "picture: anomaly.svg").
reporters = []

_FRAMEWORK = tuple(os.path.dirname(os.path.abspath(p)) + os.sep for p in (
    __file__, os.path.join(os.path.dirname(__file__), "..", "nn", "x"),
    os.path.join(os.path.dirname(__file__), "..", "transformer", "x")))


class AnomalyError(RuntimeError):
    """A NaN or Inf, where it first appeared."""

    def __init__(self, message, function=None, tensor=None):
        super().__init__(message)
        self.function = function
        self.tensor = tensor


class detect_anomaly(StateSwitch):
    """Context manager (and decorator) turning anomaly mode on."""
    attribute = "anomaly"

    def __init__(self, check_nan=True):
        super().__init__(bool(check_nan))


def capture_stack():
    """The creation stack of an op, innermost last, without autograd's frames."""
    frames = traceback.extract_stack()[:-2]
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_FRAMEWORK[0])]


def _user_frame(stack):
    """The innermost frame outside the framework (autograd, nn, transformer)."""
    for frame in reversed(stack):
        if not os.path.abspath(frame.filename).startswith(_FRAMEWORK):
            return frame
    return stack[-1] if stack else None


def describe(fn) -> str:
    """'Softmax in module 'encoder.layers.0.self_attn', created at file:line `code`'."""
    where = f" in module '{fn.module_path}'" if getattr(fn, "module_path", "") else ""
    stack = getattr(fn, "_stack", None)
    if not stack:
        return (f"{fn.name}{where} (creation line not recorded: run the forward pass inside "
                "detect_anomaly() too)")
    inner, user = stack[-1], _user_frame(stack)
    text = f"{fn.name}{where}, created at {inner.filename}:{inner.lineno} `{inner.line}`"
    if user is not None and user is not inner:
        text += f", called from {user.filename}:{user.lineno} `{user.line}`"
    return text


def _non_finite(array) -> str | None:
    if array.dtype.kind not in "fc":
        return None
    xp = backend.array_module(array)
    if bool(xp.isfinite(array).all()):
        return None
    kinds = []
    if bool(xp.isnan(array).any()):
        kinds.append("NaN")
    if bool(xp.isinf(array).any()):
        kinds.append("Inf")
    return "/".join(kinds)


def _raise(message, fn, tensor):
    error = AnomalyError(message, fn, tensor)
    extra = []
    for report in reporters:
        try:
            with detect_anomaly(check_nan=False):   # a reporter reads the same NaNs
                note = report(error)
        except Exception as e:  # a failing reporter must not hide the anomaly
            note = f"(reporter {getattr(report, '__name__', report)} failed: {e})"
        if note:
            extra.append(note)
    if extra:
        error.args = (message + "\n" + "\n".join(extra),)
    raise error


def after_forward(fn, outputs):
    """In anomaly mode, after an op's forward: remember where it was created
    (the module and the source line), then raise if an output holds NaN/Inf
    (its inputs were finite, or an earlier op would have raised)."""
    fn.module_path = state.scope
    fn._stack = capture_stack()
    for i, out in enumerate(outputs):
        bad = _non_finite(out.data)
        if bad:
            _raise(f"anomaly: {bad} in the forward output {i} (shape {out.shape}) of "
                   f"{describe(fn)}", fn, out)


def watching():
    """``with anomaly.watching() as judged:`` around a backward pass, and
    ``gxs = judged(fn, fn.backward(*gys))`` for each op in it.

    ``judged`` returns the op's gradients as a tuple; in anomaly mode it
    first raises at the first one that is not finite, naming the op and the
    line that created it. Inside the block ops are not checked one by one:
    an op is judged by the gradients its backward hands back, not by the ops
    its backward is made of. Outside anomaly mode nothing is checked."""
    return _Watch() if state.anomaly else _NOT_WATCHING


class _Watch:
    __slots__ = ()

    def __enter__(self):
        state.anomaly = False
        return _judged

    def __exit__(self, *exc):
        state.anomaly = True
        return False


def _judged(fn, grads):
    grads = _as_tuple(fn, grads)
    for i, g in enumerate(grads):
        bad = _non_finite(g.data) if g is not None and hasattr(g, "data") else None
        if bad:
            _raise(f"anomaly: {bad} in the gradient that the backward of {describe(fn)} "
                   f"computed for its input {i} (shape {g.shape})", fn, g)
    return grads


class _NotWatching:
    __slots__ = ()

    def __enter__(self):
        return _as_tuple

    def __exit__(self, *exc):
        return False


def _as_tuple(fn, grads):
    return grads if type(grads) is tuple else (grads,)


_NOT_WATCHING = _NotWatching()
