"""The residual connection around each sublayer, with its LayerNorm."""
from __future__ import annotations

import nn


class SublayerConnection(nn.Module):
    """Post-norm (the paper, section 5.4): LayerNorm(x + Dropout(Sublayer(x))).
    Pre-norm (``norm_first``): x + Dropout(Sublayer(LayerNorm(x)))."""

    def __init__(self, d_model, dropout=0.0, norm_first=False, eps=1e-5):
        super().__init__()
        self.norm = nn.LayerNorm(d_model, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, x, sublayer):
        if self.norm_first:
            return x + self.dropout(sublayer(self.norm(x)))
        return self.norm(x + self.dropout(sublayer(x)))

    def extra_repr(self):
        return "pre-norm" if self.norm_first else "post-norm"
