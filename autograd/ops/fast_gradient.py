"""``FastGradient``: the base of the backward-only ops that compute another
op's gradient in one pass over memory (softmax, layer_norm, cross_entropy),
and stay differentiable to any order through the same gradient written with
primitive ops."""
from __future__ import annotations

from ..function import Function
from ..grad_mode import enable_grad
from .recompute import grads_through


class FastGradient(Function, abstract=True):
    """A gradient computed by a fast ``forward`` on arrays. Its own gradient
    comes from differentiating ``formula``, the same gradient written with
    primitive ops, at this op's actual input tensors, so second and higher
    derivatives stay exact without a hand-written second-order formula.
    Subclasses name the op they differentiate in ``gradient_of``."""

    def formula(self, *inputs):
        raise NotImplementedError(f"{self.name} has no formula")

    def backward(self, *grad_outputs):
        with enable_grad():
            outs = self.formula(*self.inputs)
        return grads_through(outs if isinstance(outs, tuple) else (outs,), grad_outputs,
                             self.inputs)
