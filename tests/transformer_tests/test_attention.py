"""Scaled dot-product and multi-head attention: values, masks, gradients."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
import transformer as T


def _rand(*shape, seed=0):
    ag.manual_seed(seed)
    return ag.randn(*shape, dtype=ag.float64, requires_grad=True)


def test_attention_matches_the_formula():
    q, k, v = _rand(2, 3, 4), _rand(2, 5, 4, seed=1), _rand(2, 5, 6, seed=2)
    out, w = T.scaled_dot_product_attention(q, k, v)
    s = q.numpy() @ k.numpy().transpose(0, 2, 1) / math.sqrt(4)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(w.numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), p @ v.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [ag.float16, ag.float32, ag.float64])
def test_a_row_with_every_key_masked_stays_finite_in_every_float_dtype(dtype):
    ag.manual_seed(0)
    q, k, v = (ag.randn(1, 2, t, 4).to(dtype=dtype) for t in (2, 3, 3))    # (B, h, T, d_k)
    mask = ag.tensor([[[True, False, True], [False, False, False]]]).reshape(1, 1, 2, 3)
    out, w = T.scaled_dot_product_attention(q, k, v, mask)
    assert out.dtype == dtype and w.dtype == dtype
    assert np.isfinite(out.numpy()).all() and np.isfinite(w.numpy()).all()
    np.testing.assert_allclose(w.numpy()[0, :, 1].astype(np.float64), 1 / 3, rtol=1e-3)
    assert (w.numpy()[0, :, 0, 1] == 0).all()          # a masked key: exactly no weight


def test_masked_keys_get_zero_weight_and_rows_of_padding_stay_finite():
    q, k, v = _rand(1, 2, 4), _rand(1, 3, 4, seed=1), _rand(1, 3, 4, seed=2)
    mask = ag.tensor([[[True, False, True], [False, False, False]]])
    out, w = T.scaled_dot_product_attention(q, k, v, mask)
    assert w.numpy()[0, 0, 1] == 0.0
    np.testing.assert_allclose(w.numpy()[0, 1], 1 / 3)          # all keys padding: no NaN
    out.sum().backward()
    for t in (q, k, v):
        assert np.all(np.isfinite(t.grad.numpy()))
    assert np.all(q.grad.numpy()[0, 1] == 0)                    # a fully masked row: no signal


def test_attention_gradients_first_and_second_order():
    q, k, v = _rand(2, 3, 4), _rand(2, 5, 4, seed=1), _rand(2, 5, 4, seed=2)
    mask = ag.tensor(np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)[:, None, :])
    fn = lambda a, b, c: T.scaled_dot_product_attention(a, b, c, mask)[0]
    assert ag.gradcheck(fn, [q, k, v])
    assert ag.gradgradcheck(fn, [q, k, v])


def test_multi_head_attention_gradcheck_through_the_module_with_masks():
    ag.manual_seed(0)
    mha = T.MultiHeadAttention(8, 2).to(dtype=ag.float64)
    x, mem = _rand(2, 3, 8), _rand(2, 4, 8, seed=1)
    mask = ag.tensor(np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool).reshape(2, 1, 1, 4))
    params = dict(mha.named_parameters())
    names = list(params)

    def fn(x, mem, *ws):
        return nn.functional_call(mha, dict(zip(names, ws)), x, mem, mem, mask)

    inputs = [x, mem] + [params[n] for n in names]
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs, elementwise_limit=0)   # random directions: cheap


def test_heads_split_and_merge_like_separate_attentions():
    """Head i attends with its own slice of W_q, W_k, W_v (section 3.2.2)."""
    ag.manual_seed(0)
    mha = T.MultiHeadAttention(8, 2).to(dtype=ag.float64).eval()
    x = _rand(1, 3, 8)
    out = mha(x, x, x)
    heads = []
    for i in range(2):
        sl = slice(4 * i, 4 * i + 4)
        q = ag.linear(x, mha.w_q.weight[sl], mha.w_q.bias[sl])
        k = ag.linear(x, mha.w_k.weight[sl], mha.w_k.bias[sl])
        v = ag.linear(x, mha.w_v.weight[sl], mha.w_v.bias[sl])
        heads.append(T.scaled_dot_product_attention(q, k, v)[0])
    expected = mha.w_o(ag.concatenate(heads, axis=-1))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_last_weights_are_kept_when_asked():
    ag.manual_seed(0)
    mha = T.MultiHeadAttention(8, 2)
    x = ag.randn(2, 3, 8)
    mha(x, x, x)
    assert mha.last_weights is None
    mha.keep_weights = True
    mha(x, x, x)
    assert mha.last_weights.shape == (2, 2, 3, 3)
    np.testing.assert_allclose(mha.last_weights.numpy().sum(-1), 1.0, rtol=1e-5)


def test_d_model_must_divide_by_heads():
    with pytest.raises(ValueError, match=r"d_model \(10\) must be divisible by n_heads \(4\)"):
        T.MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match="divisible"):
        T.TransformerConfig(d_model=10, n_heads=4)
