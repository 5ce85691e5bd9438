"""Layer normalisation."""
from __future__ import annotations

import autograd as ag

from .module import Module, Parameter


class LayerNorm(Module):
    """Normalise the last axis to mean 0, variance 1 (eps inside the square
    root, as the paper and PyTorch), then scale and shift per feature."""

    def __init__(self, dim, eps=1e-5, elementwise_affine=True, dtype=None, device=None):
        super().__init__()
        self.dim = dim
        self.eps = eps
        if elementwise_affine:
            self.weight = Parameter(ag.ones(dim, dtype=dtype, device=device))
            self.bias = Parameter(ag.zeros(dim, dtype=dtype, device=device))
        else:
            self.weight = self.bias = None

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(f"LayerNorm{' ' + self.path if self.path else ''}: expected the "
                             f"last axis of size {self.dim}, got input of shape {x.shape}")
        return ag.layer_norm(x, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.dim}, eps={self.eps}"
