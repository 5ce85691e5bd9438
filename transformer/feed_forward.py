"""Position-wise feed-forward network (section 3.3)."""
from __future__ import annotations

import nn


class PositionwiseFeedForward(nn.Module):
    """FFN(x) = max(0, x W1 + b1) W2 + b2, the same two layers at every
    position; dropout after the activation as in the Annotated Transformer."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu"):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.activation = nn.ReLU() if activation == "relu" else nn.GELU(approximate="tanh")
        self.dropout = nn.Dropout(dropout)
        self.w_2 = nn.Linear(d_ff, d_model)

    def forward(self, x):                                          # (B, T, d_model)
        return self.w_2(self.dropout(self.activation(self.w_1(x))))  # via (B, T, d_ff)
