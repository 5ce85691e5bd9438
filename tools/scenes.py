"""Built-in scenes for ``python -m tools.backprop_graph --scene NAME``: tiny,
seeded pieces of the Transformer, each with a scalar loss to backpropagate.

Every scene builds its model afresh after ``autograd.manual_seed(0)``, so a
scene gives the same graph, values and gradients on every run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import autograd as ag
import nn
import transformer
from transformer.attention import scaled_dot_product_attention

from .graph_walk import ops_in_order

SEED = 0


@dataclass
class Scene:
    name: str
    title: str
    loss: ag.Tensor                      # the scalar to backpropagate (and draw)
    model: nn.Module | None = None
    wrt: list = field(default_factory=list)   # (name, tensor) for --higher-order


def _config(**overrides):
    sizes = dict(src_vocab_size=11, tgt_vocab_size=11, d_model=8, n_heads=2,
                 n_encoder_layers=1, n_decoder_layers=1, d_ff=16, max_len=16,
                 dropout=0.1, attention_dropout=0.0)
    return transformer.TransformerConfig(**{**sizes, **overrides})


def _x(*shape, name="x"):
    x = ag.randn(*shape)
    x.name = name
    return x


def _mse(y, name="loss"):
    """Mean squared error against a seeded random target of y's shape."""
    loss = nn.mse_loss(y, _x(*y.shape, name="target"))
    loss.name = name
    return loss


def _params(model, *names):
    own = dict(model.named_parameters())
    return [(n, own[n]) for n in names]


class AttentionHead(nn.Module):
    """One head: softmax(x W_q (x W_k)^T / sqrt(d_k)) x W_v (equation 1)."""

    def __init__(self, d_model, d_k):
        super().__init__()
        self.W_q = nn.Parameter(ag.randn(d_model, d_k) * 0.5)
        self.W_k = nn.Parameter(ag.randn(d_model, d_k) * 0.5)
        self.W_v = nn.Parameter(ag.randn(d_model, d_k) * 0.5)

    def forward(self, x):
        q, k, v = x @ self.W_q, x @ self.W_k, x @ self.W_v
        q.name, k.name, v.name = "Q", "K", "V"
        out, weights = scaled_dot_product_attention(q, k, v)
        out.name = "Attention(Q, K, V)"
        return out


class AttentionAndFeedForward(nn.Module):
    """The two sublayers of an encoder layer, each with its residual
    connection and LayerNorm, side by side on the same input."""

    def __init__(self, d_model, n_heads, d_ff):
        super().__init__()
        self.self_attn = transformer.MultiHeadAttention(d_model, n_heads)
        self.feed_forward = transformer.PositionwiseFeedForward(d_model, d_ff)
        self.sublayers = nn.ModuleList([transformer.SublayerConnection(d_model)
                                        for _ in range(2)])

    def forward(self, x):
        a = self.sublayers[0](x, lambda y: self.self_attn(y, y, y))
        return a, self.sublayers[1](x, self.feed_forward)


def attention() -> Scene:
    ag.manual_seed(SEED)
    head = AttentionHead(4, 3)
    loss = _mse(head(_x(3, 4)))
    return Scene("attention", "scaled dot-product attention: softmax(Q K^T / sqrt(d_k)) V",
                 loss, head, _params(head, "W_q", "W_k", "W_v"))


def multi_head() -> Scene:
    ag.manual_seed(SEED)
    mha = transformer.MultiHeadAttention(8, 2)
    loss = _mse(mha(*(3 * [_x(1, 3, 8)])))
    return Scene("multi-head", "multi-head self-attention (2 heads)", loss, mha,
                 _params(mha, "w_q.weight", "w_k.weight", "w_v.weight"))


def feed_forward() -> Scene:
    ag.manual_seed(SEED)
    ffn = transformer.PositionwiseFeedForward(8, 16)
    loss = _mse(ffn(_x(1, 3, 8)))
    return Scene("feed-forward", "position-wise feed-forward: max(0, x W1 + b1) W2 + b2",
                 loss, ffn, _params(ffn, "w_1.weight", "w_2.weight"))


def encoder_layer() -> Scene:
    ag.manual_seed(SEED)
    layer = transformer.EncoderLayer(_config())
    loss = _mse(layer(_x(1, 3, 8), None))
    return Scene("encoder-layer", "encoder layer (post-norm, dropout 0.1, training)", loss,
                 layer, _params(layer, "self_attn.w_q.weight"))


def decoder_layer() -> Scene:
    ag.manual_seed(SEED)
    layer = transformer.DecoderLayer(_config())
    x, memory = _x(1, 3, 8), _x(1, 4, 8, name="memory")
    loss = _mse(layer(x, memory, None, transformer.causal_mask(3)))
    return Scene("decoder-layer", "decoder layer: masked self-attention, cross-attention, "
                 "feed-forward", loss, layer,
                 _params(layer, "self_attn.w_q.weight", "cross_attn.w_q.weight"))


def whole_transformer() -> Scene:
    ag.manual_seed(SEED)
    model = transformer.Transformer(_config())
    src = ag.tensor([[3, 5, 7, 2, 0]], name="src")               # 0 is padding
    tgt = ag.tensor([[1, 4, 6, 9, 2]])
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    tgt_in.name, tgt_out.name = "tgt_in", "tgt_out"
    logits = model(src, tgt_in)
    loss = ag.cross_entropy(logits, tgt_out, ignore_index=0)
    loss.name = "loss"
    return Scene("transformer", "the whole tiny Transformer (1 + 1 layers, d_model 8) and its "
                 "cross-entropy loss", loss, model,
                 _params(model, "encoder.layers.0.self_attn.w_q.weight"))


def side_by_side() -> Scene:
    ag.manual_seed(SEED)
    model = AttentionAndFeedForward(8, 2, 16)
    a, f = model(_x(1, 3, 8))
    loss = _mse(a, "attention loss") + _mse(f, "feed-forward loss")
    loss.name = "loss"
    sides = {"self_attn": 0, "sublayers.0": 0, "feed_forward": 1, "sublayers.1": 1}
    kinds = (set(), set())
    for fn in ops_in_order([loss]):
        for prefix, side in sides.items():
            if fn.module_path == prefix or fn.module_path.startswith(prefix + "."):
                kinds[side].add(fn.name)
    common = ", ".join(sorted(kinds[0] & kinds[1]))
    title = (f"attention block and feed-forward block: the same kinds of nodes ({common}) "
             "and the same backward on both sides")
    return Scene("attention-vs-ffn", title, loss, model,
                 _params(model, "self_attn.w_q.weight", "feed_forward.w_1.weight"))


SCENES = {"attention": attention, "multi-head": multi_head, "feed-forward": feed_forward,
          "encoder-layer": encoder_layer, "decoder-layer": decoder_layer,
          "transformer": whole_transformer, "attention-vs-ffn": side_by_side}


def build(name: str) -> Scene:
    if name not in SCENES:
        raise ValueError(f"unknown scene {name!r}; choose one of: {', '.join(SCENES)}")
    return SCENES[name]()
