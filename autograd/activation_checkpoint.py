"""Activation checkpointing: trade compute for memory.

``checkpoint(fn, *args, params=...)`` runs ``fn`` without keeping its
intermediate activations; backward runs it again (with the random state the
forward had, so dropout draws the same masks) and backpropagates through
that recomputation. Gradients are those of ``fn(*args)`` exactly.
"""
from __future__ import annotations

from . import backend
from .function import Function
from .grad_mode import enable_grad, no_grad, state
from .samples import Floats, Sample
from .tensor import Tensor


def _block(x, w):
    """A sample block with dropout: checks that recomputation replays the masks."""
    from .ops.dropout import dropout
    return dropout((x * w).tanh(), 0.3) * x


class Checkpoint(Function):
    samples = (Sample(Floats((3, 4)), Floats((4,)), fn=_block, n_args=2),)

    def __init__(self, fn, n_args):
        self.fn = fn
        self.n_args = n_args

    def forward(self, *arrays):
        self._rng = backend.get_rng_state()
        args = [Tensor._make(a) for a in arrays[:self.n_args]]
        with no_grad():
            out = self.fn(*args)
        self._multi = isinstance(out, tuple)
        return tuple(o.data for o in out) if self._multi else out.data

    def backward(self, *grad_outputs):
        from .engine import grad
        create = state.grad_enabled
        inputs = self.inputs
        now = backend.get_rng_state()
        backend.set_rng_state(self._rng)
        try:
            with enable_grad():
                out = self.fn(*inputs[:self.n_args])   # the real tensors: graph reaches them
        finally:
            backend.set_rng_state(now)
        outs = out if self._multi else (out,)
        used = [(o, g) for o, g in zip(outs, grad_outputs) if g is not None and o.requires_grad]
        wrt = [x for x in inputs if x.requires_grad]
        if not used or not wrt:
            return (None,) * len(inputs)
        grads = iter(grad([o for o, _ in used], wrt, [g for _, g in used],
                          create_graph=create, allow_unused=True, partial=True))
        return tuple(next(grads) if x.requires_grad else None for x in inputs)


def checkpoint(fn, *args, params=()):
    """``fn(*args)`` without storing its activations. Arguments that are not
    tensors (None, numbers) are passed through as they are. ``params``:
    tensors ``fn`` uses besides its arguments (a module's parameters), so
    that their gradients flow; ``nn.checkpoint(module, *args)`` passes them."""
    params = [p for p in params if isinstance(p, Tensor)]
    where = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if len(where) == len(args):
        return Checkpoint(fn, len(args))(*args, *params)

    def call(*tensors):
        full = list(args)
        for i, t in zip(where, tensors):
            full[i] = t
        return fn(*full)
    call.__name__ = getattr(fn, "__name__", type(fn).__name__)
    return Checkpoint(call, len(where))(*[args[i] for i in where], *params)
