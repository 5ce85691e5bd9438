"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019)."""
from __future__ import annotations

import functools
import math

from autograd import backend

from .optimizer import Optimizer


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds wd * p to the gradient (L2, as PyTorch's Adam)."""

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        self.check_setting("eps", eps)
        self.check_setting("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _update(self, p, grad, state, group):
        formula, arrays = self._prepare(p, grad, state, group)
        formula(*arrays)

    def _update_group(self, todo, group):
        """All the group's updates at once, in cache-sized chunks spread over
        the CPU threads (``backend.elementwise_in_chunks``): the same
        arithmetic, element by element, as one ``_update`` after another."""
        if len({id(p) for p, _, _ in todo}) < len(todo):
            return super()._update_group(todo, group)    # a parameter listed twice: in turn
        backend.elementwise_in_chunks([self._prepare(p, g, s, group) for p, g, s in todo])

    def _prepare(self, p, grad, state, group):
        """Count the step; (the update as a function of arrays, its arrays)."""
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            xp = backend.array_module(p.data)
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        formula = functools.partial(
            _adam_update, b1=b1, b2=b2, eps=eps, step_size=lr / (1.0 - b1 ** t),
            rsqrt_bias2=1.0 / math.sqrt(1.0 - b2 ** t), decay=(lr * wd if self.decoupled else 0.0),
            l2=(0.0 if self.decoupled else wd))
        return formula, (p.data, grad, state["exp_avg"], state["exp_avg_sq"])


def _adam_update(p, grad, m, v, *, b1, b2, eps, step_size, rsqrt_bias2, decay, l2):
    """One Adam step on arrays, in place on p, m and v, with
    step_size = lr / (1 - b1^t) and rsqrt_bias2 = 1 / sqrt(1 - b2^t):

        p *= 1 - decay            (AdamW's decoupled decay: decay = lr * wd)
        g = grad + l2 * p         (Adam's L2 term: l2 = wd)
        m = b1 m + (1 - b1) g
        v = b2 v + (1 - b2) g^2
        p -= step_size * m / (sqrt(v) * rsqrt_bias2 + eps)
    """
    xp = backend.array_module(p)
    if decay:
        p *= 1.0 - decay
    if l2:
        grad = grad + p * l2
    # One scratch array for every temporary: large allocations cost page faults.
    tmp = xp.multiply(grad, 1.0 - b1)
    m *= b1
    m += tmp                                            # m = b1 m + (1 - b1) g
    xp.multiply(grad, grad, out=tmp)
    tmp *= 1.0 - b2
    v *= b2
    v += tmp                                            # v = b2 v + (1 - b2) g^2
    xp.sqrt(v, out=tmp)
    tmp *= rsqrt_bias2
    tmp += eps                                          # sqrt(v / (1 - b2^t)) + eps
    xp.divide(m, tmp, out=tmp)
    tmp *= step_size
    p -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * wd before the Adam step."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
