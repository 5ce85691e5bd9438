"""Activation functions as modules (for Sequential)."""
from __future__ import annotations

import autograd as ag

from .module import Module


class ReLU(Module):
    def forward(self, x):
        return ag.relu(x)


class GELU(Module):
    """GELU, tanh approximation (PyTorch's ``GELU(approximate='tanh')``)."""

    def forward(self, x):
        return ag.gelu(x)


class Tanh(Module):
    def forward(self, x):
        return ag.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return ag.sigmoid(x)


class Softmax(Module):
    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def forward(self, x):
        return ag.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"
