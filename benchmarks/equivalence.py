"""``python -m benchmarks --check``: evidence that the two training steps
compared are the same computation. Builds both models at a small size with
dropout 0, copies gradformer's weights into the PyTorch model, and compares
logits, the label-smoothed loss and gradients on a batch with padding in
source and target. The only benchmark code that loads both frameworks into
one process (its own worker); it times nothing."""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

import autograd as ag
import nn
import transformer as T

from .common import PAD, BenchConfig, token_batch
from .gradformer_side import model_config
from .pytorch_side import TorchSeq2Seq


def _t(p):
    return torch.from_numpy(p.numpy().copy())


def copy_weights(g, t, c: BenchConfig):
    """gradformer ``Transformer`` -> ``TorchSeq2Seq``, parameter by parameter."""
    sd = dict(g.named_parameters())
    new = {"src_embed.weight": _t(sd["encoder.embed.token.weight"]),
           "tgt_embed.weight": _t(sd["decoder.embed.token.weight"]),
           "generator.bias": _t(sd["generator.bias"]), "pe": t.pe}
    new["generator.weight"] = new["tgt_embed.weight"]

    def attention(dst, src):
        new[f"{dst}.in_proj_weight"] = torch.cat([_t(sd[f"{src}.w_{n}.weight"]) for n in "qkv"])
        new[f"{dst}.in_proj_bias"] = torch.cat([_t(sd[f"{src}.w_{n}.bias"]) for n in "qkv"])
        new[f"{dst}.out_proj.weight"] = _t(sd[f"{src}.w_o.weight"])
        new[f"{dst}.out_proj.bias"] = _t(sd[f"{src}.w_o.bias"])

    for side, n, blocks in (("encoder", c.n_encoder_layers, [("self_attn", "self_attn")]),
                            ("decoder", c.n_decoder_layers, [("self_attn", "self_attn"),
                                                             ("multihead_attn", "cross_attn")])):
        for i in range(n):
            dst, src = f"transformer.{side}.layers.{i}", f"{side}.layers.{i}"
            for a, b in blocks:
                attention(f"{dst}.{a}", f"{src}.{b}")
            for w in ("weight", "bias"):
                new[f"{dst}.linear1.{w}"] = _t(sd[f"{src}.feed_forward.w_1.{w}"])
                new[f"{dst}.linear2.{w}"] = _t(sd[f"{src}.feed_forward.w_2.{w}"])
                for j in range(len(blocks) + 1):
                    new[f"{dst}.norm{j + 1}.{w}"] = _t(sd[f"{src}.sublayers.{j}.norm.{w}"])
    t.load_state_dict(new, strict=True)


def _diff(a, b):
    """(max |gradformer - pytorch|, max |pytorch|) of one quantity."""
    b = b.detach()
    return float((_t(a) - b).abs().max()), float(b.abs().max())


class EquivalenceCheck:
    """Lives in a worker: ``run()`` builds both models with the same weights,
    runs one forward and backward on each, and compares them."""

    def __init__(self, config: BenchConfig):
        self.config = dataclasses.replace(config, dropout=0.0, batch=4, src_len=9, tgt_len=7)

    def _padded_batch(self):
        """(src, tgt_in, tgt_out) nested lists, with padding on both sides."""
        src, tgt = token_batch(self.config, seed=1)
        src[1][-3:] = [PAD] * 3
        tgt[2][-2:] = [PAD] * 2
        return src, [r[:-1] for r in tgt], [r[1:] for r in tgt]

    def _gradformer(self, g, src, tgt_in, tgt_out):
        logits = g(ag.tensor(src), ag.tensor(tgt_in))
        loss = nn.cross_entropy(logits, ag.tensor(tgt_out), ignore_index=PAD,
                                label_smoothing=0.1)
        loss.backward()
        return logits, loss

    def _pytorch(self, t, src, tgt_in, tgt_out):
        logits = t(torch.tensor(src), torch.tensor(tgt_in))
        loss = F.cross_entropy(logits.reshape(-1, self.config.vocab),
                               torch.tensor(tgt_out).reshape(-1), ignore_index=PAD,
                               label_smoothing=0.1)
        loss.backward()
        return logits, loss

    def _gradient_diffs(self, g, t):
        """Gradients of the embeddings, a feed-forward and a cross-attention matrix."""
        gp, d = dict(g.named_parameters()), self.config.d_model
        last = self.config.n_decoder_layers - 1
        cross = t.transformer.decoder.layers[last].multihead_attn
        return {
            "grad target embedding (tied output)": _diff(gp["decoder.embed.token.weight"].grad,
                                                         t.tgt_embed.weight.grad),
            "grad source embedding": _diff(gp["encoder.embed.token.weight"].grad,
                                           t.src_embed.weight.grad),
            "grad encoder.layers.0 W_1": _diff(
                gp["encoder.layers.0.feed_forward.w_1.weight"].grad,
                t.transformer.encoder.layers[0].linear1.weight.grad),
            f"grad decoder.layers.{last} cross W_k": _diff(
                gp[f"decoder.layers.{last}.cross_attn.w_k.weight"].grad,
                cross.in_proj_weight.grad[d:2 * d]),
        }

    def run(self):
        """{quantity: (max |gradformer - pytorch|, max |pytorch|)}."""
        ag.manual_seed(0)
        torch.manual_seed(0)
        g = T.Transformer(model_config(self.config))
        t = TorchSeq2Seq(self.config)
        copy_weights(g, t, self.config)
        batch = self._padded_batch()
        g_logits, g_loss = self._gradformer(g, *batch)
        t_logits, t_loss = self._pytorch(t, *batch)
        return {"logits": _diff(g_logits, t_logits), "loss": _diff(g_loss, t_loss),
                **self._gradient_diffs(g, t)}
