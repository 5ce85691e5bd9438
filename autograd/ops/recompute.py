"""Backpropagating through a sub-graph recomputed from an op's own inputs:
the backward of ``FastGradient`` (its formula re-run with primitive ops) and
of ``Checkpoint`` (the checkpointed function re-run)."""
from __future__ import annotations

from ..engine import grad
from ..grad_mode import state


def grads_through(outputs, grad_outputs, inputs):
    """The gradient of each of ``inputs`` (None where it needs none) given
    ``grad_outputs`` arriving at ``outputs``, which were just recomputed from
    ``inputs`` with recording on. Partial derivatives: the inputs are the
    op's independent variables even when one depends on another (gy on y,
    say) further up the graph. Recorded when the engine runs with
    create_graph (it then turns recording on), so any order stays exact."""
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if g is not None and o.requires_grad]
    wrt = [x for x in inputs if x.requires_grad]
    if not used or not wrt:
        return (None,) * len(inputs)
    grads = iter(grad([o for o, _ in used], wrt, [g for _, g in used],
                      create_graph=state.grad_enabled, allow_unused=True, partial=True))
    return tuple(next(grads) if x.requires_grad else None for x in inputs)
