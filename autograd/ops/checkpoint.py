"""Activation checkpointing: trade compute for memory.

``checkpoint(fn, *args, params=...)`` runs ``fn`` without keeping its
intermediate activations; backward runs it again (with the random state the
forward had, so dropout draws the same masks) and backpropagates through
that recomputation. Gradients are those of ``fn(*args)`` exactly.
"""
from __future__ import annotations

from .. import backend
from ..function import Function, public
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .recompute import grads_through


class Checkpoint(Function):
    """``fn`` of the first ``n_args`` inputs, run without recording; the
    remaining inputs are the tensors ``fn`` reads besides (parameters).
    Tested against ``fn`` itself (tests/nn_tests/test_checkpointing.py): it
    runs whatever block it is given, so it declares no samples."""

    def __init__(self, fn, n_args):
        self.fn = fn
        self.n_args = n_args

    def forward(self, *arrays):
        rng = backend.get_rng_state()
        args = [Tensor._make(a) for a in arrays[:self.n_args]]
        with no_grad():
            out = self.fn(*args)
        several = isinstance(out, tuple)
        self.saved = (rng, several)
        return tuple(o.data for o in out) if several else out.data

    def backward(self, *grad_outputs):
        rng, several = self.saved
        now = backend.get_rng_state()
        backend.set_rng_state(rng)
        try:
            with enable_grad():
                out = self.fn(*self.inputs[:self.n_args])   # the real tensors: graph reaches them
        finally:
            backend.set_rng_state(now)
        return grads_through(out if several else (out,), grad_outputs, self.inputs)


@public(Checkpoint)
def checkpoint(fn, *args, params=()):
    """``fn(*args)`` without storing its activations. Arguments that are not
    tensors (None, numbers) are passed through as they are. ``params``:
    tensors ``fn`` uses besides its arguments (a module's parameters), so
    that their gradients flow; ``nn.checkpoint(module, *args)`` passes them.

    forward:  y = fn(*args), its intermediate values not kept
    gradient: fn(*args) run again (same random state), then backpropagated:
              d(args, params) = vjp of fn at (args, params) applied to dy
    """
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
