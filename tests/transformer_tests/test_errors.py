"""Bad input to the model: one clear error naming the argument."""
import pytest

import autograd as ag

from .helpers import micro_config, model


@pytest.fixture(scope="module")
def m():
    return model(micro_config(max_len=8), dtype=ag.float32)


def test_token_ids_out_of_vocabulary(m):
    with pytest.raises(ValueError, match=r"src: token id 11 is outside the vocabulary range \[0, 10\]"):
        m(ag.tensor([[1, 11]]), ag.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r"tgt_in: token id -1"):
        m(ag.tensor([[1, 2]]), ag.tensor([[1, -1]]))


def test_sequence_longer_than_max_len(m):
    with pytest.raises(ValueError, match="src: length 9 exceeds the model's max_len 8"):
        m(ag.ones(1, 9, dtype=ag.int64), ag.ones(1, 2, dtype=ag.int64))


def test_wrong_dtype_or_rank(m):
    with pytest.raises(TypeError, match="src: expected integer token ids, got float32"):
        m(ag.ones(1, 3), ag.ones(1, 2, dtype=ag.int64))
    with pytest.raises(ValueError, match=r"tgt_in: expected token ids of shape \(batch, length\)"):
        m(ag.ones(1, 3, dtype=ag.int64), ag.ones(2, dtype=ag.int64))


def test_mismatched_batch_sizes(m):
    with pytest.raises(ValueError, match="tgt_in: batch size 3 does not match the source batch size 2"):
        m(ag.ones(2, 3, dtype=ag.int64), ag.ones(3, 2, dtype=ag.int64))
