"""Scaled dot-product attention and multi-head attention (paper section 3.2).

Attention is an ordinary differentiable function of Q, K and V, and Q, K, V
come from ordinary weight matrices: backpropagation goes through it like
through any other layer.
"""
from __future__ import annotations

import math

import autograd as ag
import nn

# A masked score: exp(MASKED - max) is exactly 0, and a row whose keys are all
# masked stays finite (uniform weights) instead of 0/0 = NaN as with -inf. It
# must be finite in the scores' dtype: -1e9 is -inf in float16, so it is
# float16's lowest value, which every float dtype holds (and exp(-65504)
# underflows to 0 in float32 and float64 too).
MASKED = -65504.0


def scaled_dot_product_attention(q, k, v, mask=None, dropout=0.0, training=False):
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V  (equation 1).

    q: (..., T_q, d_k), k: (..., T_k, d_k), v: (..., T_k, d_v); mask: True
    where attending is allowed, broadcastable to (..., T_q, T_k).
    Returns (output (..., T_q, d_v), weights (..., T_q, T_k))."""
    d_k = q.shape[-1]
    scores = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(d_k))    # (..., T_q, T_k)
    if mask is not None:
        scores = ag.where(mask, scores, MASKED)
    weights = ag.softmax(scores, axis=-1)                          # each row sums to 1
    attended = ag.dropout(weights, dropout, training)
    return attended @ v, weights                                   # (..., T_q, d_v)


class MultiHeadAttention(nn.Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_o, head_i =
    Attention(Q W_q_i, K W_k_i, V W_v_i)  (section 3.2.2). The h heads are
    one projection each for Q, K and V, split by reshape/transpose.

    Self-attention: query = key = value; cross-attention: key = value =
    encoder memory. ``cache`` (a dict) enables incremental decoding: self
    attention appends this step's keys/values to the cached ones; with
    ``static_kv`` (cross-attention) the projected memory is computed once."""

    def __init__(self, d_model, n_heads, dropout=0.0):
        super().__init__()
        if n_heads < 1:
            raise ValueError(f"MultiHeadAttention: n_heads must be at least 1, got {n_heads}")
        if d_model % n_heads:
            raise ValueError(f"MultiHeadAttention: d_model ({d_model}) must be divisible by "
                             f"n_heads ({n_heads})")
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.dropout = dropout
        self.w_q = nn.Linear(d_model, d_model)
        self.w_k = nn.Linear(d_model, d_model)
        self.w_v = nn.Linear(d_model, d_model)
        self.w_o = nn.Linear(d_model, d_model)
        self.keep_weights = False     # True: keep the last weights (for plotting);
                                      # "grad": also their gradient after backward
        self.last_weights = None

    def _split_heads(self, x):
        B, T, _ = x.shape
        x = x.reshape(B, T, self.n_heads, self.d_k)                # (B, T, h, d_k)
        return x.transpose(0, 2, 1, 3)                             # (B, h, T, d_k)

    def forward(self, query, key, value, mask=None, cache=None, static_kv=False):
        for what, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim != 3:
                raise ValueError(f"MultiHeadAttention{' ' + self.path if self.path else ''}: "
                                 f"expected {what} of shape (batch, length, d_model), got "
                                 f"shape {x.shape}")
        B, T_q, _ = query.shape
        q = self._split_heads(self.w_q(query))                     # (B, h, T_q, d_k)
        if cache is not None and static_kv and "k" in cache:
            k, v = cache["k"], cache["v"]                          # memory, projected once
        else:
            k = self._split_heads(self.w_k(key))                   # (B, h, T_new, d_k)
            v = self._split_heads(self.w_v(value))                 # (B, h, T_new, d_k)
            if cache is not None:
                if not static_kv and "k" in cache:
                    k = ag.concatenate([cache["k"], k], axis=2)    # (B, h, T_past + T_new, d_k)
                    v = ag.concatenate([cache["v"], v], axis=2)
                cache["k"], cache["v"] = k, v
        out, weights = scaled_dot_product_attention(
            q, k, v, mask, self.dropout, self.training)            # (B, h, T_q, d_k)
        if self.keep_weights == "grad" and weights.requires_grad:
            self.last_weights = weights.retain_grad()              # .grad after backward
        elif self.keep_weights:
            self.last_weights = weights.detach()                   # (B, h, T_q, T_k)
        out = out.transpose(0, 2, 1, 3).reshape(B, T_q, self.d_model)  # (B, T_q, h * d_k)
        return self.w_o(out)

    def extra_repr(self):
        return f"d_model={self.d_model}, n_heads={self.n_heads}, dropout={self.dropout}"
