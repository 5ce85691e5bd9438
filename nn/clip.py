"""Gradient clipping."""
from __future__ import annotations

import autograd as ag


@ag.no_grad()
def clip_grad_norm_(parameters, max_norm, eps=1e-6):
    """Scale all gradients together so their global L2 norm is at most
    ``max_norm``. Returns the norm before clipping (a 0-d tensor; computed
    and applied on the parameters' device, with no trip to the host)."""
    if isinstance(parameters, ag.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return ag.tensor(0.0)
    total = None
    for g in grads:
        sq = (g.data * g.data).sum()
        total = sq if total is None else total + sq
    xp = ag.backend.array_module(total)
    norm = xp.sqrt(total)
    scale = xp.minimum(max_norm / (norm + eps), 1.0)
    for g in grads:
        g.data = g.data * scale.astype(g.dtype)
    return ag.Tensor._make(xp.asarray(norm))
