"""Global recording state: whether ops record a graph, and which module is
running (so each recorded op knows the dotted module path that made it)."""
from __future__ import annotations

import functools


class _State:
    grad_enabled = True   # record ops that touch tensors requiring grad
    scope = ""            # dotted path of the innermost running nn.Module
    anomaly = False       # check every output and gradient for NaN/Inf (detect_anomaly)


state = _State()


def is_grad_enabled() -> bool:
    return state.grad_enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns recording on or off."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = state.grad_enabled
        state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return (self.mode,)


class no_grad(set_grad_enabled):
    """``with no_grad():`` ops record nothing (inference, optimizer updates)."""

    def __init__(self):
        super().__init__(False)

    def _args(self):
        return ()


class enable_grad(set_grad_enabled):
    """``with enable_grad():`` recording on, even inside ``no_grad``."""

    def __init__(self):
        super().__init__(True)

    def _args(self):
        return ()


class module_scope:
    """Marks ops recorded inside as made by the module at ``path``."""

    __slots__ = ("path", "_prev")

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        self._prev = state.scope
        state.scope = self.path

    def __exit__(self, *exc):
        state.scope = self._prev
        return False
