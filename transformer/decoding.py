"""Autoregressive decoding: greedy and beam search, batched, with the
key/value cache so that each step runs the decoder on one new position.

Both return token ids after <bos>: each row ends with its <eos> (when one
was produced within ``max_len`` steps) and is padded with ``pad_id`` after.
"""
from __future__ import annotations

from contextlib import contextmanager

import autograd as ag


def _steps(model, max_len):
    limit = model.config.max_len - 1          # the decoder input also holds <bos>
    return limit if max_len is None else min(max_len, limit)


def _step_logits(model, memory, src_mask, seqs, cache):
    """Logits of the next token for every row: (rows, vocab) array."""
    new = seqs[:, -1:] if cache is not None else seqs                 # (rows, 1 or T)
    logits = model.decode(memory, src_mask, ag.Tensor._make(new), cache, last_only=True)
    return logits.data[:, -1]                                         # (rows, vocab)


def _no_pad(scores, model, xp):
    """<pad> is never a prediction (in a prefix it would also be masked as a
    key, so cached and uncached decoding would part)."""
    scores[:, model.config.pad_id] = -xp.inf
    return scores


@contextmanager
def _evaluating(model):
    """Eval mode (no dropout) while decoding, then the mode the model was in."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


@ag.no_grad()
def greedy_decode(model, src, bos_id, eos_id, max_len=None, use_cache=True):
    """The most probable next token at each step. Returns (B, L) int64 ids."""
    with _evaluating(model):
        memory, src_mask = model.encode(src)
        xp = ag.backend.array_module(memory.data)
        B, pad = memory.shape[0], model.config.pad_id
        with ag.backend.on_device(memory.device):
            seqs = xp.full((B, 1), bos_id, dtype=ag.int64)
            done = xp.zeros(B, dtype=bool)
        cache = model.new_cache() if use_cache else None
        for _ in range(_steps(model, max_len)):
            nxt = _no_pad(_step_logits(model, memory, src_mask, seqs, cache), model,
                          xp).argmax(axis=-1)
            nxt = xp.where(done, pad, nxt)                            # finished rows pad
            seqs = xp.concatenate([seqs, nxt[:, None]], axis=1)
            done |= nxt == eos_id
            if bool(done.all()):
                break
        return ag.Tensor._make(seqs[:, 1:])


def length_penalty(length, alpha):
    """GNMT's ((5 + length) / 6) ** alpha (Wu et al. 2016); alpha = 0 disables it."""
    return ((5.0 + length) / 6.0) ** alpha


def _reorder_cache(cache, rows):
    """Keep the self-attention keys/values of the surviving beams."""
    for layer in cache["layers"]:
        own = layer["self"]
        if "k" in own:
            own["k"] = own["k"][rows]
            own["v"] = own["v"][rows]


def _next_log_probs(model, memory, src_mask, seqs, cache, finished, xp):
    """log p(next token) of every beam in float64, (rows, vocab); a finished
    beam's one continuation is <pad>, at no cost."""
    logits = _step_logits(model, memory, src_mask, seqs, cache)       # (B*K, V)
    logp = _no_pad(ag.log_softmax(ag.Tensor._make(logits.astype(ag.float64))).data, model, xp)
    logp[finished] = -xp.inf
    logp[finished, model.config.pad_id] = 0.0
    return logp


def _best_continuations(scores, logp, xp):
    """The K best (beam, token) continuations of each sentence, best first,
    among its K beams' K * V: (rows (B*K,) the beam each extends, tokens
    (B*K,), their scores (B, K))."""
    B, K = scores.shape
    V = logp.shape[1]
    total = (scores.reshape(B * K, 1) + logp).reshape(B, K * V)
    top = xp.argpartition(-total, K - 1, axis=1)[:, :K]        # (B, K) unordered best
    order = xp.argsort(-xp.take_along_axis(total, top, axis=1), axis=1)
    top = xp.take_along_axis(top, order, axis=1)               # (B, K) best first
    rows = (xp.arange(B)[:, None] * K + top // V).reshape(-1)  # (B*K,) surviving beams
    return rows, (top % V).reshape(-1), xp.take_along_axis(total, top, axis=1)


def _best_beams(seqs, scores, lengths, alpha, xp):
    """Each sentence's beam of the best length-normalised score: (ids, scores)."""
    B, K = scores.shape
    normalised = scores / length_penalty(lengths.reshape(B, K), alpha)
    best = normalised.argmax(axis=1)                               # (B,)
    pick = xp.arange(B) * K + best
    return (ag.Tensor._make(seqs[pick, 1:]),
            ag.Tensor._make(xp.take_along_axis(normalised, best[:, None], axis=1)[:, 0]))


@ag.no_grad()
def beam_search(model, src, bos_id, eos_id, beam_size=4, max_len=None, alpha=0.6,
                use_cache=True):
    """Keep the ``beam_size`` most probable prefixes per sentence; a finished
    beam (it produced <eos>) stays, extended by padding at no cost. The
    winner maximises log-probability / length_penalty(length, alpha).
    Returns (ids (B, L) int64, scores (B,) normalised log-probabilities)."""
    if beam_size < 1:
        raise ValueError(f"beam_search: beam_size must be at least 1, got {beam_size}")
    with _evaluating(model):
        memory, src_mask = model.encode(src)
        B, K = memory.shape[0], beam_size
        with ag.backend.on_device(memory.device) as xp:       # new arrays land beside memory
            per_beam = ag.Tensor._make(xp.repeat(xp.arange(B), K))   # (B*K,) each row's sentence
            memory, src_mask = memory[per_beam], src_mask[per_beam]  # (B*K, T_src, d_model)
            seqs = xp.full((B * K, 1), bos_id, dtype=ag.int64)
            scores = xp.zeros((B, K), dtype=ag.float64)
            scores[:, 1:] = -xp.inf                  # step 1 expands beam 0 only (no duplicates)
            finished = xp.zeros(B * K, dtype=bool)
            lengths = xp.zeros(B * K, dtype=ag.float64)
            cache = model.new_cache() if use_cache else None
            for _ in range(_steps(model, max_len)):
                logp = _next_log_probs(model, memory, src_mask, seqs, cache, finished, xp)
                rows, tokens, scores = _best_continuations(scores, logp, xp)
                lengths = lengths[rows] + ~finished[rows]
                finished = finished[rows] | (tokens == eos_id)
                seqs = xp.concatenate([seqs[rows], tokens[:, None]], axis=1)
                if cache is not None:
                    _reorder_cache(cache, ag.Tensor._make(rows))
                if bool(finished.all()):
                    break
            return _best_beams(seqs, scores, lengths, alpha, xp)
