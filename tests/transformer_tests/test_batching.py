"""Encoding pairs, length-bucketed batches within a token budget, collation."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from transformer.batching import Encoded, collate, encode_pairs, make_batches
from transformer.tokenizer import Vocab, WordTokenizer


def encoded_from_lengths(lengths):
    """An Encoded split whose example i has the given (source, target) lengths."""
    src = [[4 + (i + j) % 7 for j in range(s)] for i, (s, _) in enumerate(lengths)]
    tgt = [[4 + (i * j) % 5 for j in range(t)] for i, (_, t) in enumerate(lengths)]
    return Encoded(src=src, tgt=tgt, too_long=0)


LENGTHS = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=300)
BUDGET = st.integers(1, 400)


def padded_cost(enc, batch):
    return len(batch) * max(max(len(enc.src[i]), len(enc.tgt[i])) + 2 for i in batch)


@given(LENGTHS, BUDGET, st.integers(0, 3), st.integers(0, 3), st.booleans())
def test_every_example_once_and_budget_kept(lengths, max_tokens, seed, epoch, shuffle):
    enc = encoded_from_lengths(lengths)
    batches = make_batches(enc, max_tokens, seed=seed, epoch=epoch, shuffle=shuffle)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert b and (len(b) == 1 or padded_cost(enc, b) <= max_tokens)


@given(LENGTHS, BUDGET, st.integers(0, 3), st.integers(0, 3))
def test_same_seed_and_epoch_same_batches(lengths, max_tokens, seed, epoch):
    enc = encoded_from_lengths(lengths)
    assert make_batches(enc, max_tokens, seed, epoch) == make_batches(enc, max_tokens, seed, epoch)
    assert make_batches(enc, max_tokens, seed, epoch, shuffle=False) == \
        make_batches(enc, max_tokens, seed + 1, epoch + 1, shuffle=False)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_other_epoch_or_seed_other_order(seed, epoch):
    enc = encoded_from_lengths([(3 + i % 13, 2 + i % 11) for i in range(400)])
    first = make_batches(enc, 120, seed, epoch)
    assert make_batches(enc, 120, seed, epoch + 1) != first
    assert make_batches(enc, 120, seed + 1, epoch) != first


def test_batches_are_full_and_lengths_within_a_batch_similar():
    # lengths spread from 1 to 60; shuffled, a random batch would mix them
    lengths = [(1 + (i * 37) % 60, 1 + (i * 53) % 60) for i in range(3000)]
    enc = encoded_from_lengths(lengths)
    batches = make_batches(enc, 1000, seed=0, epoch=0)
    spreads = []
    for b in batches:
        longest = [max(lengths[i]) for i in b]
        spreads.append(max(longest) - min(longest))
    assert sum(spreads) / len(spreads) <= 2
    # little padding is spent: the batches use most of the budget
    used = sum(len(enc.src[i]) + len(enc.tgt[i]) + 4 for i in range(len(lengths)))
    assert used / (2 * sum(padded_cost(enc, b) for b in batches)) > 0.7


def test_single_example_over_budget_gets_its_own_batch():
    enc = encoded_from_lengths([(3, 3), (50, 2), (3, 4), (2, 60)])
    batches = make_batches(enc, 20, seed=0, epoch=0)
    assert [1] in batches and [3] in batches
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3]


def test_empty_split_and_bad_budget():
    assert make_batches(encoded_from_lengths([]), 100, seed=0, epoch=0) == []
    with pytest.raises(ValueError, match="max_tokens must be a positive integer, got 0"):
        make_batches(encoded_from_lengths([(1, 1)]), 0, seed=0, epoch=0)


def test_encode_pairs_drops_and_counts_long_pairs():
    tok = WordTokenizer()
    pairs = [("a b c", "x y"), ("a b c d e", "x"), ("a", "x y z w v"), ("b a", "y, x")]
    vs = Vocab.build(tok.tokenize(s) for s, _ in pairs)
    vt = Vocab.build(tok.tokenize(t) for _, t in pairs)
    enc = encode_pairs(pairs, tok, tok, vs, vt, max_len=6)       # 4 tokens + <bos> + <eos>
    assert enc.too_long == 2
    assert enc.index == [0, 3]
    assert enc.src == [vs.encode(["a", "b", "c"]), vs.encode(["b", "a"])]
    assert enc.tgt == [vt.encode(["x", "y"]), vt.encode(["y", ",", "x"])]
    assert len(enc) == 2


@pytest.mark.parametrize("device", ["cpu", "emu"])
def test_collate_shapes_padding_bos_eos(device):
    enc = Encoded(src=[[5, 6, 7], [8]], tgt=[[9], [10, 11, 12, 13]], too_long=0)
    src, tgt_in, tgt_out = collate(enc, [0, 1], device=device)
    for t in (src, tgt_in, tgt_out):
        assert t.dtype == ag.int64 and t.device.startswith(device) and not t.requires_grad
    assert src.numpy().tolist() == [[5, 6, 7, 2], [8, 2, 0, 0]]
    assert tgt_in.numpy().tolist() == [[1, 9, 0, 0, 0], [1, 10, 11, 12, 13]]
    assert tgt_out.numpy().tolist() == [[9, 2, 0, 0, 0], [10, 11, 12, 13, 2]]
    src, tgt_in, _ = collate(enc, [1], pad_id=7, bos_id=8, eos_id=9)
    assert src.numpy().tolist() == [[8, 9]] and tgt_in.numpy().tolist() == [[8, 10, 11, 12, 13]]
    with pytest.raises(ValueError, match="indices is empty"):
        collate(enc, [])


@given(LENGTHS.filter(bool), BUDGET)
def test_collate_of_every_batch_is_consistent(lengths, max_tokens):
    enc = encoded_from_lengths(lengths)
    for b in make_batches(enc, max_tokens, seed=0, epoch=0)[:5]:
        src, tgt_in, tgt_out = (t.numpy().tolist() for t in collate(enc, b))
        for row, i in enumerate(b):
            n, m = len(enc.src[i]), len(enc.tgt[i])
            assert src[row] == enc.src[i] + [2] + [0] * (len(src[row]) - n - 1)
            assert tgt_in[row][:m + 1] == [1] + enc.tgt[i]
            assert tgt_out[row][:m + 1] == enc.tgt[i] + [2]
            assert set(tgt_in[row][m + 1:]) <= {0} and set(tgt_out[row][m + 1:]) <= {0}
        assert len(src[0]) == max(len(enc.src[i]) for i in b) + 1
        assert len(tgt_in[0]) == max(len(enc.tgt[i]) for i in b) + 1
