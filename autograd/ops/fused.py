"""Base class for the fused first-order gradients of softmax, layer_norm,
cross_entropy...: one pass over memory for training, and still
differentiable for any order."""
from __future__ import annotations

from ..function import Function
from ..grad_mode import enable_grad, state


class FusedGrad(Function, abstract=True):
    """A gradient computed by a fast ``forward`` on arrays. Its own gradient
    comes from differentiating ``formula``, the same gradient written with
    primitive ops, at this op's actual input tensors, so second and higher
    derivatives stay exact without a hand-written second-order formula."""

    def formula(self, *inputs):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        from ..engine import grad
        create = state.grad_enabled  # the engine turns this on for create_graph
        with enable_grad():
            outs = self.formula(*self.inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        used = [(o, g) for o, g in zip(outs, grad_outputs) if g is not None and o.requires_grad]
        wrt = [x for x in self.inputs if x.requires_grad]
        if not used or not wrt:
            return (None,) * len(self.inputs)
        # Partial derivatives: the inputs are this op's independent variables
        # even when one depends on another (gy on y, say) further up the graph.
        grads = iter(grad([o for o, _ in used], wrt, [g for _, g in used],
                          create_graph=create, allow_unused=True, partial=True))
        return tuple(next(grads) if x.requires_grad else None for x in self.inputs)
