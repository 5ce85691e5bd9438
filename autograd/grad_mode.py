"""Global recording state: whether ops record a graph, and which module is
running (so each recorded op knows the dotted module path that made it)."""
from __future__ import annotations

import copy
import functools


class _State:
    grad_enabled = True   # record ops that touch tensors requiring grad
    scope = ""            # dotted path of the innermost running nn.Module
    anomaly = False       # check every output and gradient for NaN/Inf (detect_anomaly)


state = _State()


def is_grad_enabled() -> bool:
    return state.grad_enabled


class StateSwitch:
    """Context manager (and decorator) that sets one attribute of ``state``
    for the length of a block, restoring it after."""
    attribute = None

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        self._prev = getattr(state, self.attribute)
        setattr(state, self.attribute, self.value)
        return self

    def __exit__(self, *exc):
        setattr(state, self.attribute, self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with copy.copy(self):          # a fresh switch per call: calls may nest
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(StateSwitch):
    """Recording on or off, as in PyTorch: a plain call
    ``set_grad_enabled(False)`` takes effect at once and stays;
    ``with set_grad_enabled(mode):`` lasts for the block (the mode before
    comes back at its end); as a decorator, for each call of the function."""
    attribute = "grad_enabled"

    def __init__(self, mode: bool):
        super().__init__(bool(mode))
        self._prev = state.grad_enabled
        state.grad_enabled = self.value
        self._applied = True          # by the constructor: __enter__ keeps _prev

    def __enter__(self):
        if not self._applied:         # a decorator's fresh copy
            super().__enter__()
        self._applied = False
        return self

    def __call__(self, fn):
        state.grad_enabled = self._prev   # a decorator changes nothing until fn runs
        self._applied = False
        return super().__call__(fn)


class no_grad(StateSwitch):
    """``with no_grad():`` ops record nothing (inference, optimizer updates)."""
    attribute = "grad_enabled"

    def __init__(self):
        super().__init__(False)


class enable_grad(StateSwitch):
    """``with enable_grad():`` recording on, even inside ``no_grad``."""
    attribute = "grad_enabled"

    def __init__(self):
        super().__init__(True)


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
