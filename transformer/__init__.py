"""The Transformer of "Attention Is All You Need" (Vaswani et al., 2017),
built from ``nn`` and ``autograd`` only, one small module per box of its
Figure 1.

    import transformer
    config = transformer.TransformerConfig.preset("tiny", src_vocab_size=100, tgt_vocab_size=100)
    model = transformer.Transformer(config)
    logits = model(src_ids, tgt_in_ids)            # (B, T_tgt, vocab)
"""
import nn  # noqa: F401  (first: another package named autograd is a clear error)
from .attention import MultiHeadAttention, scaled_dot_product_attention
from .config import PRESETS, TransformerConfig
from .decoder import Decoder, DecoderLayer
from .decoding import beam_search, greedy_decode, length_penalty
from .embedding import Embeddings
from .encoder import Encoder, EncoderLayer
from .feed_forward import PositionwiseFeedForward
from .masks import causal_mask, padding_mask, target_mask
from .model import Transformer
from .positional import (LearnedPositionalEncoding, SinusoidalPositionalEncoding,
                         sinusoid_table)
from .sublayer import SublayerConnection
from .variants import DecoderLM, EncoderClassifier

__all__ = ["TransformerConfig", "PRESETS", "Transformer", "Encoder", "EncoderLayer", "Decoder",
           "DecoderLayer", "MultiHeadAttention", "scaled_dot_product_attention",
           "PositionwiseFeedForward", "SublayerConnection", "Embeddings",
           "SinusoidalPositionalEncoding", "LearnedPositionalEncoding", "sinusoid_table",
           "padding_mask", "causal_mask", "target_mask", "greedy_decode", "beam_search",
           "length_penalty", "EncoderClassifier", "DecoderLM"]
