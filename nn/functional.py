"""Functional forms, for ``import nn.functional as F`` habits: the names and
signatures of PyTorch's ``torch.nn.functional``."""
from __future__ import annotations

import math

import autograd as ag
from autograd import (dropout, embedding, gelu, linear, log_softmax, one_hot, pad,  # noqa: F401
                      relu, sigmoid, silu, softmax, softplus, tanh)

from .loss import (binary_cross_entropy_with_logits, cross_entropy, kl_div,  # noqa: F401
                   mse_loss, nll_loss)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """PyTorch's F.layer_norm: normalise over the trailing ``normalized_shape``
    axes (an int or a tuple), then scale and shift by weight and bias of
    that shape. (``autograd.layer_norm(x, weight, bias, eps)`` is the
    last-axis op it is built on.)"""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[-len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"axes of an input of shape {input.shape}")
    flat = input.reshape(input.shape[:-len(shape)] + (-1,))            # (..., prod(shape))
    weight = None if weight is None else weight.reshape(-1)
    bias = None if bias is None else bias.reshape(-1)
    return ag.layer_norm(flat, weight, bias, eps).reshape(input.shape)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(Q K^T * scale + mask) V, as PyTorch's: q (..., L, E), k (..., S, E),
    v (..., S, Ev); scale 1/sqrt(E) by default; ``attn_mask`` boolean (True:
    may attend) or float (added to the scores), broadcast to (..., L, S);
    ``is_causal``: position i attends to j <= i; dropout on the weights
    whenever dropout_p > 0 (pass 0 in evaluation, as PyTorch code does)."""
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.mT) * scale                                   # (..., L, S)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, "
                             "not both")
        attn_mask = ag.ones(L, S, dtype=ag.bool_, device=query.device).tril()
    if attn_mask is not None and attn_mask.dtype == ag.bool_:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    elif attn_mask is not None:
        scores = scores + attn_mask
    weights = scores.softmax(-1)
    if dropout_p > 0:
        weights = ag.dropout(weights, dropout_p, training=True)
    return weights @ value                                              # (..., L, Ev)
