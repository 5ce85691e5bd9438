"""Greedy and beam search: cached decoding equals uncached decoding."""
import numpy as np
import pytest

import autograd as ag
import transformer as T

from .helpers import BOS, EOS, PAD, batch, micro_config, model


@pytest.fixture(scope="module")
def setup():
    c = micro_config(n_encoder_layers=2, n_decoder_layers=2, max_len=12)
    return model(c, seed=3), batch(c, B=4)[0]


def test_greedy_with_cache_returns_exactly_the_uncached_tokens(setup):
    m, src = setup
    cached = T.greedy_decode(m, src, BOS, EOS, max_len=10)
    plain = T.greedy_decode(m, src, BOS, EOS, max_len=10, use_cache=False)
    assert cached.shape == (4, 10)
    np.testing.assert_array_equal(cached.numpy(), plain.numpy())


@pytest.mark.parametrize("beam", [1, 3])
def test_beam_search_with_cache_returns_exactly_the_uncached_tokens(setup, beam):
    m, src = setup
    a, sa = T.beam_search(m, src, BOS, EOS, beam_size=beam, max_len=10)
    b, sb = T.beam_search(m, src, BOS, EOS, beam_size=beam, max_len=10, use_cache=False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(sa.numpy(), sb.numpy(), rtol=1e-10)


def test_beam_of_one_without_length_penalty_is_greedy(setup):
    m, src = setup
    greedy = T.greedy_decode(m, src, BOS, EOS, max_len=10).numpy()
    beam, _ = T.beam_search(m, src, BOS, EOS, beam_size=1, max_len=10, alpha=0.0)
    np.testing.assert_array_equal(beam.numpy(), greedy)


def test_beam_search_score_is_the_normalised_log_probability_of_its_tokens(setup):
    m, src = setup
    ids, scores = T.beam_search(m, src, BOS, EOS, beam_size=3, max_len=10, alpha=0.6)
    for row in range(src.shape[0]):
        toks = ids.numpy()[row].tolist()
        n = toks.index(EOS) + 1 if EOS in toks else len(toks)
        tgt_in = ag.tensor([[BOS] + toks[:n - 1]])
        logp = ag.log_softmax(m.eval()(src[row:row + 1], tgt_in)).numpy()[0]
        total = sum(logp[i, toks[i]] for i in range(n))
        assert scores.numpy()[row] == pytest.approx(total / T.length_penalty(n, 0.6), rel=1e-9)


def test_beam_search_finds_a_sequence_at_least_as_likely_as_greedy(setup):
    m, src = setup
    def logprob(toks, row):
        n = toks.index(EOS) + 1 if EOS in toks else len(toks)
        logp = ag.log_softmax(m.eval()(src[row:row + 1], ag.tensor([[BOS] + toks[:n - 1]]))).numpy()[0]
        return sum(logp[i, toks[i]] for i in range(n))
    greedy = T.greedy_decode(m, src, BOS, EOS, max_len=10).numpy()
    beam, _ = T.beam_search(m, src, BOS, EOS, beam_size=4, max_len=10, alpha=0.0)
    for row in range(src.shape[0]):
        assert logprob(beam.numpy()[row].tolist(), row) >= logprob(greedy[row].tolist(), row) - 1e-9


def test_rows_stop_at_eos_and_pad_after(setup):
    m, src = setup
    out = T.greedy_decode(m, src, BOS, EOS, max_len=10).numpy()
    for row in out:
        toks = row.tolist()
        if EOS in toks:
            assert all(t == PAD for t in toks[toks.index(EOS) + 1:])


def test_decoding_leaves_the_training_mode_as_it_was(setup):
    m, src = setup
    m.train()
    T.greedy_decode(m, src, BOS, EOS, max_len=3)
    assert m.training


def test_pad_is_never_predicted_even_when_the_model_prefers_it():
    c = micro_config(max_len=12)
    m = model(c, seed=5)
    with ag.no_grad():
        m.generator.bias.data[PAD] = 1e3              # the model "wants" <pad> everywhere
    src = batch(c, B=3)[0]
    for out in (T.greedy_decode(m, src, BOS, EOS, max_len=6),
                T.greedy_decode(m, src, BOS, EOS, max_len=6, use_cache=False),
                T.beam_search(m, src, BOS, EOS, beam_size=2, max_len=6)[0]):
        rows = out.numpy().tolist()
        for row in rows:
            body = row[:row.index(EOS)] if EOS in row else row
            assert PAD not in body
