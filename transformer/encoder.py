"""The encoder: N identical layers of self-attention and feed-forward
(section 3.1, left half of Figure 1)."""
from __future__ import annotations

import nn

from .attention import MultiHeadAttention
from .embedding import Embeddings
from .feed_forward import PositionwiseFeedForward
from .masks import padding_mask
from .sublayer import SublayerConnection


class EncoderLayer(nn.Module):
    """x -> SublayerConnection(self-attention) -> SublayerConnection(feed-forward)."""

    def __init__(self, config):
        super().__init__()
        c = config
        self.self_attn = MultiHeadAttention(c.d_model, c.n_heads, c.attention_dropout)
        self.feed_forward = PositionwiseFeedForward(c.d_model, c.d_ff, c.dropout, c.activation)
        self.sublayers = nn.ModuleList(
            [SublayerConnection(c.d_model, c.dropout, c.norm_first, c.layer_norm_eps)
             for _ in range(2)])

    def forward(self, x, mask):                                   # (B, T, d_model)
        x = self.sublayers[0](x, lambda y: self.self_attn(y, y, y, mask))
        return self.sublayers[1](x, self.feed_forward)


class Encoder(nn.Module):
    """Embeddings, then the stack; with pre-norm, a final LayerNorm. Usable
    alone (a BERT-style encoder): ``Encoder(config)(src_ids) -> (B, T, d_model)``."""

    def __init__(self, config):
        super().__init__()
        c = config
        self.pad_id = c.pad_id
        self.embed = Embeddings(c.src_vocab_size, c.d_model, c.max_len, c.dropout, c.positional)
        self.layers = nn.ModuleList([EncoderLayer(c) for _ in range(c.n_encoder_layers)])
        self.norm = nn.LayerNorm(c.d_model, eps=c.layer_norm_eps) if c.norm_first else None
        self.checkpointing = False     # recompute each layer in backward (less memory)

    def forward(self, src, src_mask=None):                        # (B, T_src) ids
        if src_mask is None:
            src_mask = padding_mask(src, self.pad_id)             # (B, 1, 1, T_src)
        x = self.embed(src)                                       # (B, T_src, d_model)
        for layer in self.layers:
            if self.checkpointing and self.training:
                x = nn.checkpoint(layer, x, src_mask)
            else:
                x = layer(x, src_mask)
        return self.norm(x) if self.norm is not None else x
