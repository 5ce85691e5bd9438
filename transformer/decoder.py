"""The decoder: N identical layers of masked self-attention, attention over
the encoder output, and feed-forward (section 3.1, right half of Figure 1)."""
from __future__ import annotations

import nn

from .attention import MultiHeadAttention
from .embedding import Embeddings
from .feed_forward import PositionwiseFeedForward
from .sublayer import SublayerConnection


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention (queries from the decoder, keys
    and values from the encoder memory), feed-forward; each in a residual
    SublayerConnection. Without ``cross_attention`` (a GPT-style decoder) the
    middle sublayer is absent."""

    def __init__(self, config, cross_attention=True):
        super().__init__()
        c = config
        self.self_attn = MultiHeadAttention(c.d_model, c.n_heads, c.attention_dropout)
        self.cross_attn = (MultiHeadAttention(c.d_model, c.n_heads, c.attention_dropout)
                           if cross_attention else None)
        self.feed_forward = PositionwiseFeedForward(c.d_model, c.d_ff, c.dropout, c.activation)
        self.sublayers = nn.ModuleList(
            [SublayerConnection(c.d_model, c.dropout, c.norm_first, c.layer_norm_eps)
             for _ in range(3 if cross_attention else 2)])

    def forward(self, x, memory=None, src_mask=None, tgt_mask=None, cache=None):
        own = cache["self"] if cache is not None else None
        x = self.sublayers[0](x, lambda y: self.self_attn(y, y, y, tgt_mask, cache=own))
        if self.cross_attn is not None:
            cross = cache["cross"] if cache is not None else None
            x = self.sublayers[1](x, lambda y: self.cross_attn(
                y, memory, memory, src_mask, cache=cross, static_kv=True))
        return self.sublayers[-1](x, self.feed_forward)


class Decoder(nn.Module):
    """Embeddings (from position ``offset`` when decoding step by step), the
    stack, and with pre-norm a final LayerNorm. Returns hidden states
    (B, T, d_model); the output projection lives in the model."""

    def __init__(self, config, cross_attention=True):
        super().__init__()
        c = config
        self.embed = Embeddings(c.tgt_vocab_size, c.d_model, c.max_len, c.dropout, c.positional)
        self.layers = nn.ModuleList([DecoderLayer(c, cross_attention)
                                     for _ in range(c.n_decoder_layers)])
        self.norm = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps) if c.norm_first else None
        self.checkpointing = False     # recompute each layer in backward (less memory)

    def new_cache(self):
        """Empty key/value cache for incremental decoding."""
        return {"length": 0, "layers": [{"self": {}, "cross": {}} for _ in self.layers]}

    def forward(self, tgt, memory=None, src_mask=None, tgt_mask=None, cache=None):
        offset = cache["length"] if cache is not None else 0
        x = self.embed(tgt, offset)                               # (B, T_new, d_model)
        for i, layer in enumerate(self.layers):
            if self.checkpointing and self.training and cache is None:
                x = nn.checkpoint(layer, x, memory, src_mask, tgt_mask)
            else:
                x = layer(x, memory, src_mask, tgt_mask,
                          cache["layers"][i] if cache is not None else None)
        if cache is not None:
            cache["length"] = offset + tgt.shape[1]
        return self.norm(x) if self.norm is not None else x

