"""Stochastic gradient descent with momentum, Nesterov and weight decay
(PyTorch's formulation)."""
from __future__ import annotations

from .optimizer import Optimizer


class SGD(Optimizer):
    """g = grad + wd * p;  buf = momentum * buf + (1 - dampening) * g  (buf = g
    at the first step);  g = g + momentum * buf (Nesterov) or buf;  p -= lr * g."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        for name, value in (("momentum", momentum), ("dampening", dampening),
                            ("weight_decay", weight_decay)):
            self.check_setting(name, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, grad, state, group):
        wd, momentum = group["weight_decay"], group["momentum"]
        if wd:
            grad = grad + p.data * wd
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += grad * (1.0 - group["dampening"])
            grad = grad + buf * momentum if group["nesterov"] else buf
        p.data -= grad * group["lr"]
