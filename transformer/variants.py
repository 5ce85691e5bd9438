"""One half of the model alone: a BERT-style encoder classifier and a
GPT-style decoder-only language model."""
from __future__ import annotations

import nn

from .decoder import Decoder
from .encoder import Encoder
from .masks import padding_mask, target_mask
from .model import check_ids, init_xavier


class EncoderClassifier(nn.Module):
    """Encoder, mean over the real (non-padding) positions, linear head:
    (B, T) ids -> (B, n_classes) logits."""

    def __init__(self, config, n_classes):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.head = nn.Linear(config.d_model, n_classes)
        init_xavier(self)

    def forward(self, ids):
        c = self.config
        ids = check_ids("ids", ids, c.src_vocab_size, c.max_len)
        mask = padding_mask(ids, c.pad_id)                           # (B, 1, 1, T)
        h = self.encoder(ids, mask)                                  # (B, T, d_model)
        real = mask.reshape(ids.shape[0], ids.shape[1], 1).astype(h.dtype)  # (B, T, 1)
        pooled = (h * real).sum(axis=1) / real.sum(axis=1).clip(1.0)         # (B, d_model)
        return self.head(pooled)


class DecoderLM(nn.Module):
    """Decoder without cross-attention plus a tied output projection:
    (B, T) ids -> (B, T, vocab) next-token logits (causal)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.decoder = Decoder(config, cross_attention=False)
        self.generator = nn.Linear(config.d_model, config.tgt_vocab_size)
        if config.tie_output:
            self.generator.weight = self.decoder.embed.token.weight
        init_xavier(self)

    def forward(self, ids):
        c = self.config
        ids = check_ids("ids", ids, c.tgt_vocab_size, c.max_len)
        return self.generator(self.decoder(ids, tgt_mask=target_mask(ids, c.pad_id)))
