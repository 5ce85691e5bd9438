"""Modules that only reshape: Flatten, and Identity."""
from __future__ import annotations

import autograd as ag

from .module import Module


class Flatten(Module):
    """Merge axes start_dim..end_dim (by default all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return ag.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input (a placeholder, e.g. for a layer switched off)."""

    def forward(self, x):
        return x
