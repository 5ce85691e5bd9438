"""Activation functions as modules (for Sequential)."""
from __future__ import annotations

import autograd as ag
from autograd.ops.common import accepts_dim

from .module import Module


class ReLU(Module):
    def forward(self, x):
        return ag.relu(x)


class GELU(Module):
    """GELU, exact (x Phi(x)) by default as PyTorch's; ``approximate="tanh"``
    for the tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return ag.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def forward(self, x):
        return ag.silu(x)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        return ag.softplus(x, self.beta, self.threshold)


class Tanh(Module):
    def forward(self, x):
        return ag.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return ag.sigmoid(x)


class Softmax(Module):
    @accepts_dim
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return ag.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"
