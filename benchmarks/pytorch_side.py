"""The PyTorch reference of ``python -m benchmarks``, built to do the same
work as ``transformer.Transformer``: ``torch.nn.Transformer(batch_first=True)``
(post-norm, ReLU, LayerNorm eps 1e-5, dropout on attention weights, after
the feed-forward activation and on every sublayer output), token embeddings
times sqrt(d_model) plus the sinusoidal table, dropout on that sum, and an
output Linear tied to the target embedding (gradformer's default; the
paper's section 3.4). Xavier-uniform on every matrix, as gradformer.

The only structural change to ``torch.nn.Transformer``: the encoder and
decoder stacks are passed in without their final LayerNorm
(``norm=None``), which gradformer's post-norm model does not have either;
the parameter counts then agree exactly (the parent prints both).

Runs in its own worker process (``benchmarks.worker``); never imports
autograd."""
from __future__ import annotations

import math
import re
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from .common import (BOS, PAD, THREADS, BenchConfig, median_seconds, peak_rss_mib, timed_step,
                     token_batch)

torch.set_num_threads(THREADS)


def sinusoid_table(max_len, d_model):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(same)."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                    * (-math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)[:, : d_model // 2]
    return table.float()


def causal_mask(size):
    """(T, T) bool, True where attending is NOT allowed (PyTorch's convention)."""
    return torch.triu(torch.ones(size, size, dtype=torch.bool), diagonal=1)


class TorchSeq2Seq(nn.Module):
    def __init__(self, c: BenchConfig):
        super().__init__()
        d = c.d_model
        self.scale = math.sqrt(d)
        self.src_embed = nn.Embedding(c.vocab, d)
        self.tgt_embed = nn.Embedding(c.vocab, d)
        self.register_buffer("pe", sinusoid_table(c.max_len, d))
        self.dropout = nn.Dropout(c.dropout)
        enc_layer = nn.TransformerEncoderLayer(d, c.n_heads, c.d_ff, c.dropout, batch_first=True)
        dec_layer = nn.TransformerDecoderLayer(d, c.n_heads, c.d_ff, c.dropout, batch_first=True)
        self.transformer = nn.Transformer(
            d_model=d, nhead=c.n_heads, num_encoder_layers=c.n_encoder_layers,
            num_decoder_layers=c.n_decoder_layers, dim_feedforward=c.d_ff, dropout=c.dropout,
            batch_first=True,
            custom_encoder=nn.TransformerEncoder(enc_layer, c.n_encoder_layers, norm=None,
                                                 enable_nested_tensor=False),
            custom_decoder=nn.TransformerDecoder(dec_layer, c.n_decoder_layers, norm=None))
        self.generator = nn.Linear(d, c.vocab)
        self.generator.weight = self.tgt_embed.weight                 # tied output projection
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def embed(self, table, ids):                                      # (B, T) -> (B, T, d)
        return self.dropout(table(ids) * self.scale + self.pe[: ids.shape[1]])

    def forward(self, src, tgt_in):
        src_pad, tgt_pad = src == PAD, tgt_in == PAD                   # True at padding
        h = self.transformer(
            self.embed(self.src_embed, src), self.embed(self.tgt_embed, tgt_in),
            tgt_mask=causal_mask(tgt_in.shape[1]), src_key_padding_mask=src_pad,
            tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
        return self.generator(h)                                      # (B, T, V)


def _blas() -> str:
    found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return f"PyTorch BLAS: {found.group(1) if found else 'unknown'}"


def _info(model):
    return {"params": sum(p.numel() for p in model.parameters()),
            "peak_rss_mib": peak_rss_mib(), "autograd_loaded": "autograd" in sys.modules,
            "blas": f"{_blas()}, {torch.get_num_threads()} threads"}


class TorchTrainer:
    """The same training step as ``GradformerTrainer``."""

    def __init__(self, config: BenchConfig, seed: int = 0, lr: float = 1e-4):
        torch.manual_seed(seed)
        self.config = config
        self.model = TorchSeq2Seq(config)
        self.model.train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
        src, tgt = token_batch(config, seed)
        self.src = torch.tensor(src)
        self.tgt_in = torch.tensor([row[:-1] for row in tgt])
        self.tgt_out = torch.tensor([row[1:] for row in tgt])

    def step(self):
        def forward_loss():
            logits = self.model(self.src, self.tgt_in)
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.tgt_out.reshape(-1),
                                   ignore_index=PAD, label_smoothing=0.1)
        return timed_step(self.opt.zero_grad, forward_loss, lambda loss: loss.backward(),
                          self.opt.step)

    def info(self):
        return _info(self.model)


class TorchDecoder:
    """Greedy decoding without a cache: encode once, then re-run the decoder
    on the whole prefix at each step and project its last position."""

    def __init__(self, config: BenchConfig, steps: int = 32, seed: int = 0):
        torch.manual_seed(seed)
        self.model = TorchSeq2Seq(config)
        self.model.eval()
        self.src = torch.tensor(token_batch(config, seed)[0])
        self.steps = steps

    @torch.no_grad()
    def _greedy(self):
        m, src = self.model, self.src
        src_pad = src == PAD
        memory = m.transformer.encoder(m.embed(m.src_embed, src), src_key_padding_mask=src_pad)
        seqs = torch.full((src.shape[0], 1), BOS, dtype=torch.long)
        for _ in range(self.steps):
            h = m.transformer.decoder(
                m.embed(m.tgt_embed, seqs), memory, tgt_mask=causal_mask(seqs.shape[1]),
                tgt_key_padding_mask=seqs == PAD, memory_key_padding_mask=src_pad)
            nxt = m.generator(h[:, -1]).argmax(-1)                    # (B,)
            seqs = torch.cat([seqs, nxt[:, None]], dim=1)
        return seqs[:, 1:]

    def decode(self):
        t0 = time.perf_counter()
        out = self._greedy()
        seconds = time.perf_counter() - t0
        return seconds, out.tolist()

    def info(self):
        return _info(self.model)


class TorchMatmul:
    """The same products as ``GradformerMatmul``, with torch.matmul."""

    @torch.no_grad()
    def run(self, batch, m, k, n, repeats):
        lead = (batch,) if batch > 1 else ()
        a, b = torch.randn(*lead, m, k), torch.randn(*lead, k, n)
        return median_seconds(lambda: a @ b, repeats)

    def info(self):
        return {"blas": _blas(), "autograd_loaded": "autograd" in sys.modules}

