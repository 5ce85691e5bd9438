"""Dropout layer: active in train(), identity in eval()."""
from __future__ import annotations

import autograd as ag

from .module import Module


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return ag.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
