"""The input stage of each stack: token embedding, scaled, plus position."""
from __future__ import annotations

import math

import nn

from .positional import (LearnedPositionalEncoding, NoPositionalEncoding,
                         SinusoidalPositionalEncoding)

_POSITIONAL = {"sinusoidal": SinusoidalPositionalEncoding, "learned": LearnedPositionalEncoding}


class Embeddings(nn.Module):
    """Dropout(Embedding(ids) * sqrt(d_model) + PE)  (sections 3.4, 3.5, 5.4)."""

    def __init__(self, vocab_size, d_model, max_len, dropout=0.0, positional="sinusoidal"):
        super().__init__()
        self.vocab_size, self.d_model, self.max_len = vocab_size, d_model, max_len
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = (_POSITIONAL[positional](d_model, max_len) if positional != "none"
                         else NoPositionalEncoding())
        self.dropout = nn.Dropout(dropout)
        self.scale = math.sqrt(d_model)

    def forward(self, ids, offset=0):                    # (B, T) token ids
        x = self.token(ids) * self.scale                 # (B, T, d_model)
        return self.dropout(self.position(x, offset))
