"""nn.functional with PyTorch's signatures: scaled_dot_product_attention
and layer_norm against NumPy and finite differences (the same calls are
compared with PyTorch itself in autograd_tests/test_pytorch_parity.py)."""
import math

import numpy as np
import pytest

import autograd as ag
import nn.functional as F


def _np_attention(q, k, v, keep=None, bias=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (scale or 1 / math.sqrt(q.shape[-1]))
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    if bias is not None:
        s = s + bias
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def _qkv(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]


@pytest.mark.parametrize("kind", ["plain", "causal", "bool mask", "float mask", "scale"])
def test_scaled_dot_product_attention_matches_numpy_and_finite_differences(kind):
    q, k, v = _qkv()
    keep = np.random.default_rng(1).random((3, 5)) < 0.6
    keep[:, 0] = True
    bias = np.random.default_rng(2).standard_normal((3, 5))
    kwargs, ref = {}, {}
    if kind == "causal":
        kwargs, ref = {"is_causal": True}, {"keep": np.tril(np.ones((3, 5), bool))}
    elif kind == "bool mask":
        kwargs, ref = {"attn_mask": ag.tensor(keep)}, {"keep": keep}
    elif kind == "float mask":
        kwargs, ref = {"attn_mask": ag.tensor(bias)}, {"bias": bias}
    elif kind == "scale":
        kwargs, ref = {"scale": 0.25}, {"scale": 0.25}
    leaves = [ag.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*leaves, **kwargs)
    np.testing.assert_allclose(out.numpy(), _np_attention(q, k, v, **ref), rtol=1e-12)
    assert ag.gradcheck(lambda *xs: F.scaled_dot_product_attention(*xs, **kwargs), leaves)


def test_scaled_dot_product_attention_dropout_and_a_mask_with_is_causal():
    leaves = [ag.tensor(a) for a in _qkv()]
    ag.manual_seed(0)
    dropped = F.scaled_dot_product_attention(*leaves, dropout_p=0.5)
    assert dropped.shape == (2, 3, 6)
    assert not np.allclose(dropped.numpy(), F.scaled_dot_product_attention(*leaves).numpy())
    with pytest.raises(ValueError, match="give attn_mask or is_causal, not both"):
        F.scaled_dot_product_attention(*leaves, attn_mask=ag.ones(3, 5), is_causal=True)


def test_layer_norm_has_pytorchs_signature_over_one_or_more_trailing_axes():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    w, b = np.linspace(0.5, 2, 12).reshape(3, 4), np.linspace(-1, 1, 12).reshape(3, 4)
    flat = x.reshape(2, 12)
    expected = ((flat - flat.mean(-1, keepdims=True)) / np.sqrt(flat.var(-1, keepdims=True)
                                                               + 1e-5)).reshape(2, 3, 4) * w + b
    got = F.layer_norm(ag.tensor(x), (3, 4), ag.tensor(w), ag.tensor(b))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    last = F.layer_norm(ag.tensor(x), 4)
    np.testing.assert_allclose(last.numpy(), ag.layer_norm(ag.tensor(x)).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"normalized_shape \(5,\) does not match the trailing "
                                         r"axes of an input of shape \(2, 3, 4\)"):
        F.layer_norm(ag.tensor(x), 5)
