"""Attention masks: True where a query may attend to a key.

Shapes broadcast against attention scores (B, heads, T_query, T_key):
padding masks are (B, 1, 1, T_key), the causal mask (1, 1, T, T).
"""
from __future__ import annotations

import autograd as ag

_causal_cache = {}


def padding_mask(ids, pad_id):
    """(B, T) token ids -> (B, 1, 1, T): True at real tokens, False at padding."""
    return (ids != pad_id).reshape(ids.shape[0], 1, 1, ids.shape[1])


def causal_mask(size, device="cpu", offset=0):
    """(1, 1, size, offset + size): query i (position offset + i) may attend
    to key positions j <= offset + i. Made once per shape and device, on
    that device (offset > 0 serves decoding with cached keys)."""
    key = (size, offset, device)
    mask = _causal_cache.get(key)
    if mask is None:
        q = ag.arange(offset, offset + size, device=device).reshape(size, 1)
        k = ag.arange(offset + size, device=device).reshape(1, offset + size)
        mask = (q >= k).reshape(1, 1, size, offset + size)
        _causal_cache[key] = mask
    return mask


def target_mask(tgt_ids, pad_id):
    """Decoder self-attention: no padding keys and no looking ahead."""
    return padding_mask(tgt_ids, pad_id) & causal_mask(tgt_ids.shape[1], tgt_ids.device)
