"""From sentence pairs to padded id tensors: encode, bucket into batches, collate.

    enc = encode_pairs(pairs, tok_src, tok_tgt, vocab_src, vocab_tgt, max_len=128)
    for indices in make_batches(enc, max_tokens=4096, seed=0, epoch=e):
        src, tgt_in, tgt_out = collate(enc, indices)

Batches are bucketed by length: the examples are shuffled from (seed, epoch),
cut into chunks of about ``chunk_batches`` batches, each chunk sorted by
length, then cut greedily into batches whose padded size, rows times the
longest sequence plus <bos> and <eos>, stays within ``max_tokens`` on both
sides. The batch order is shuffled too. Only Python's ``random.Random`` is
used, so the same (seed, epoch) gives the same batches, bit for bit.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import autograd as ag


@dataclass
class Encoded:                        # one split, encoded
    src: list[list[int]]              # without bos/eos
    tgt: list[list[int]]              # without bos/eos
    too_long: int                     # pairs dropped because a side (with bos/eos) exceeds max_len
    index: list[int] = field(default_factory=list)   # position in the input pairs of each example

    def __len__(self):
        return len(self.src)


def encode_pairs(pairs, tokenizer_src, tokenizer_tgt, vocab_src, vocab_tgt, max_len) -> Encoded:
    """Tokenize and look up every pair; drop (and count) the ones longer than
    ``max_len`` on either side once <bos> and <eos> are added."""
    src, tgt, index, too_long = [], [], [], 0
    for i, (s, t) in enumerate(pairs):
        s_ids = vocab_src.encode(tokenizer_src.tokenize(s))
        t_ids = vocab_tgt.encode(tokenizer_tgt.tokenize(t))
        if len(s_ids) + 2 > max_len or len(t_ids) + 2 > max_len:
            too_long += 1
            continue
        src.append(s_ids)
        tgt.append(t_ids)
        index.append(i)
    return Encoded(src=src, tgt=tgt, too_long=too_long, index=index)


def _cut(order, encoded, max_tokens):
    """Greedy batches over ``order`` within the token budget on both sides."""
    batches, batch, longest_s, longest_t = [], [], 0, 0
    for i in order:
        s = max(longest_s, len(encoded.src[i]) + 2)
        t = max(longest_t, len(encoded.tgt[i]) + 2)
        if batch and (len(batch) + 1) * max(s, t) > max_tokens:
            batches.append(batch)
            batch = []
            s, t = len(encoded.src[i]) + 2, len(encoded.tgt[i]) + 2
        batch.append(i)
        longest_s, longest_t = s, t
    if batch:
        batches.append(batch)
    return batches


def make_batches(encoded: Encoded, max_tokens: int, seed: int, epoch: int, shuffle: bool = True,
                 chunk_batches: int = 100) -> list[list[int]]:
    """Lists of example indices covering every example exactly once.

    Without ``shuffle`` the batches follow the length order (seed and epoch
    play no part): the order for evaluation."""
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ValueError(f"make_batches: max_tokens must be a positive integer, got {max_tokens!r}")
    n = len(encoded.src)
    if n == 0:
        return []

    def length(i):
        return max(len(encoded.src[i]), len(encoded.tgt[i])), len(encoded.src[i])

    order = list(range(n))
    if not shuffle:
        return _cut(sorted(order, key=length), encoded, max_tokens)
    rng = random.Random(f"batches:{seed}:{epoch}")
    rng.shuffle(order)
    mean_len = sum(length(i)[0] for i in order) / n + 2
    chunk = max(1, int(chunk_batches * max(1.0, max_tokens / mean_len)))
    batches = []
    for start in range(0, n, chunk):
        batches += _cut(sorted(order[start:start + chunk], key=length), encoded, max_tokens)
    rng.shuffle(batches)
    return batches


def collate(encoded: Encoded, indices, pad_id=0, bos_id=1, eos_id=2, device="cpu") -> tuple:
    """(src, tgt_in, tgt_out) int64 tensors for the examples ``indices``:
    src (B, S) = tokens + <eos>; tgt_in (B, T) = <bos> + tokens;
    tgt_out (B, T) = tokens + <eos>; each row padded with ``pad_id``."""
    indices = list(indices)
    if not indices:
        raise ValueError("collate: no examples to collate (indices is empty)")
    src = [encoded.src[i] + [eos_id] for i in indices]
    tgt_in = [[bos_id] + encoded.tgt[i] for i in indices]
    tgt_out = [encoded.tgt[i] + [eos_id] for i in indices]

    def padded(rows):
        width = max(len(r) for r in rows)
        return ag.tensor([r + [pad_id] * (width - len(r)) for r in rows], dtype=ag.int64,
                         device=device)

    return padded(src), padded(tgt_in), padded(tgt_out)
