"""Fully connected layer."""
from __future__ import annotations

import math

import autograd as ag

from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ W.T + b, W of shape (out_features, in_features) as in PyTorch;
    initialised U(-1/sqrt(in), 1/sqrt(in)) as PyTorch does."""

    def __init__(self, in_features, out_features, bias=True, dtype=None, device=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ag.zeros(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(ag.zeros(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return ag.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
