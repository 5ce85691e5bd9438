"""The encoder-decoder Transformer (Figure 1 of "Attention Is All You Need")."""
from __future__ import annotations

import autograd as ag
import nn

from .attention import MultiHeadAttention
from .config import TransformerConfig
from .decoder import Decoder
from .encoder import Encoder
from .masks import causal_mask, padding_mask, target_mask


def init_xavier(module):
    """Xavier-uniform for every matrix (weights, embeddings), as the paper's
    reference implementations do; biases and LayerNorm keep their defaults."""
    for p in module.parameters():
        if p.ndim > 1:
            nn.init.xavier_uniform_(p)


def check_ids(name, ids, vocab_size, max_len, offset=0):
    """A (B, T) integer tensor of ids in [0, vocab_size) with offset + T <= max_len."""
    if not isinstance(ids, ag.Tensor):
        try:
            ids = ag.tensor(ids)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{name}: {e}") from None
    if ids.ndim != 2:
        raise ValueError(f"{name}: expected token ids of shape (batch, length), got shape "
                         f"{ids.shape}")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer token ids, got {ids.dtype}")
    if ids.shape[1] == 0:
        raise ValueError(f"{name}: expected at least one token per sequence, got shape {ids.shape}")
    if ids.shape[1] + offset > max_len:
        raise ValueError(f"{name}: length {ids.shape[1] + offset} exceeds the model's max_len "
                         f"{max_len}")
    if ids.numel():
        lo, hi = ids.min().item(), ids.max().item()
        if lo < 0 or hi >= vocab_size:
            raise ValueError(f"{name}: token id {lo if lo < 0 else hi} is outside the "
                             f"vocabulary range [0, {vocab_size - 1}]")
    return ids


class Transformer(nn.Module):
    """model(src, tgt_in) -> logits (B, T_tgt, tgt_vocab_size).

    ``tgt_in`` is the target shifted right (starting with <bos>); position t
    of the output predicts target token t + 1, seeing only tgt_in[:, :t+1]."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.generator = nn.Linear(config.d_model, config.tgt_vocab_size)   # output projection
        if config.share_embeddings:
            self.decoder.embed.token.weight = self.encoder.embed.token.weight
        if config.tie_output:
            self.generator.weight = self.decoder.embed.token.weight
        init_xavier(self)

    def forward(self, src, tgt_in):
        memory, src_mask = self.encode(src)
        return self.decode(memory, src_mask, tgt_in)

    def encode(self, src):
        """(B, T_src) ids -> (memory (B, T_src, d_model), src_mask (B, 1, 1, T_src))."""
        c = self.config
        src = check_ids("src", src, c.src_vocab_size, c.max_len)
        src_mask = padding_mask(src, c.pad_id)
        return self.encoder(src, src_mask), src_mask

    def decode(self, memory, src_mask, tgt_in, cache=None, last_only=False):
        """Logits for each position of ``tgt_in`` (only the last one with
        ``last_only``, as decoding needs). With a ``cache``
        (``model.new_cache()``), ``tgt_in`` holds only the new tokens: the
        keys and values of earlier steps are reused, so a step costs one
        position, not a re-run of the prefix."""
        c = self.config
        offset = cache["length"] if cache is not None else 0
        tgt_in = check_ids("tgt_in", tgt_in, c.tgt_vocab_size, c.max_len, offset)
        if tgt_in.shape[0] != memory.shape[0]:
            raise ValueError(f"tgt_in: batch size {tgt_in.shape[0]} does not match the source "
                             f"batch size {memory.shape[0]}")
        if cache is None:
            tgt_mask = target_mask(tgt_in, c.pad_id)              # (B, 1, T, T)
        elif tgt_in.shape[1] > 1:
            tgt_mask = causal_mask(tgt_in.shape[1], tgt_in.device, offset)
        else:
            tgt_mask = None                    # one new query sees every cached key
        h = self.decoder(tgt_in, memory, src_mask, tgt_mask, cache)  # (B, T, d_model)
        if last_only:
            h = h[:, -1:]                                            # (B, 1, d_model)
        return self.generator(h)                                     # (B, T or 1, vocab)

    def new_cache(self):
        return self.decoder.new_cache()

    def gradient_checkpointing(self, enabled=True):
        """Recompute each encoder and decoder layer in backward instead of
        keeping its activations: less memory, the same gradients, about one
        more forward pass of compute."""
        self.encoder.checkpointing = self.decoder.checkpointing = enabled
        return self

    def keep_attention_weights(self, keep=True):
        """Make every attention block keep its last weights (``last_weights``);
        ``keep="grad"`` keeps them in the graph so that after ``backward()``
        ``last_weights.grad`` holds d loss / d weights."""
        for m in self.modules():
            if isinstance(m, MultiHeadAttention):
                m.keep_weights = keep
                if not keep:
                    m.last_weights = None

    def extra_repr(self):
        c = self.config
        return (f"d_model={c.d_model}, heads={c.n_heads}, layers={c.n_encoder_layers}+"
                f"{c.n_decoder_layers}, d_ff={c.d_ff}, "
                f"{'pre' if c.norm_first else 'post'}-norm, params={self.num_parameters():,}")
