"""Positional encodings (section 3.5): the model has no recurrence, so the
order of tokens enters as a vector added to each embedding."""
from __future__ import annotations

import math

import autograd as ag
import nn


def sinusoid_table(max_len, d_model):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(same): (max_len, d_model)."""
    pos = ag.arange(max_len, dtype=ag.float64).reshape(max_len, 1)         # (L, 1)
    i2 = ag.arange(0, d_model, 2, dtype=ag.float64)                        # (ceil(d/2),)
    angle = pos * (i2 * (-math.log(10000.0) / d_model)).exp()              # (L, ceil(d/2))
    table = ag.stack([angle.sin(), angle.cos()], axis=2)                   # (L, ceil(d/2), 2)
    return table.reshape(max_len, -1)[:, :d_model]                         # interleave sin, cos


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoid table; a buffer, so it moves with the model."""

    def __init__(self, d_model, max_len):
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", sinusoid_table(max_len, d_model).astype(ag.float32))

    def forward(self, x, offset=0):
        T = x.shape[1]
        return x + self.table[offset:offset + T]                           # (B, T, d_model)


class LearnedPositionalEncoding(nn.Module):
    """Adds a trained vector per position (the paper's alternative, Table 3 (E))."""

    def __init__(self, d_model, max_len):
        super().__init__()
        self.max_len = max_len
        self.table = nn.Parameter(ag.randn(max_len, d_model) * 0.02)

    def forward(self, x, offset=0):
        T = x.shape[1]
        return x + self.table[offset:offset + T]


class NoPositionalEncoding(nn.Module):
    """No position information: self-attention becomes permutation-equivariant."""

    def forward(self, x, offset=0):
        return x
