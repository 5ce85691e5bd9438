"""The fused ops against the same functions composed from primitive ops,
and their numerical safety."""
import numpy as np
import pytest

import autograd as ag

F64 = ag.float64


def _rand(*shape, scale=2.0, seed=0):
    ag.manual_seed(seed)
    return ((ag.rand(*shape, dtype=F64) - 0.5) * scale).requires_grad_()


def _grads(fn, *xs):
    out = fn(*xs)
    w = ag.randn(*out.shape, dtype=out.dtype)
    return [out.numpy()] + [g.numpy() for g in ag.grad((out * w).sum(), list(xs))]


def _same(fused, composed, *xs):
    ag.manual_seed(5)
    a = _grads(fused, *xs)
    ag.manual_seed(5)
    b = _grads(composed, *xs)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_softmax_matches_composed():
    def composed(x):
        e = (x - x.amax(axis=1, keepdims=True)).exp()
        return e / e.sum(axis=1, keepdims=True)
    _same(lambda x: ag.softmax(x, axis=1), composed, _rand(3, 4, 5))


def test_log_softmax_matches_composed():
    _same(lambda x: ag.log_softmax(x), lambda x: x - x.logsumexp(axis=-1, keepdims=True),
          _rand(4, 6))


def test_layer_norm_matches_composed():
    def composed(x, w, b):
        mu = x.mean(axis=-1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        return (x - mu) / (var + 1e-5).sqrt() * w + b
    _same(lambda x, w, b: ag.layer_norm(x, w, b, 1e-5), composed,
          _rand(2, 3, 8), _rand(8, seed=1), _rand(8, seed=2))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_composed(smoothing, reduction):
    targets = ag.tensor([[1, 0, 3], [2, 3, 0]])
    valid = (targets.numpy() != 0).astype(np.float64)

    def composed(logits):
        logp = ag.log_softmax(logits)
        onehot = ag.tensor(np.eye(4)[targets.numpy()])
        dist = onehot * (1 - smoothing) + smoothing / 4
        loss = -(logp * dist).sum(axis=-1) * ag.tensor(valid)
        if reduction == "none":
            return loss
        return loss.sum() / valid.sum() if reduction == "mean" else loss.sum()

    fused = lambda logits: ag.cross_entropy(logits, targets, ignore_index=0,
                                            label_smoothing=smoothing, reduction=reduction)
    _same(fused, composed, _rand(2, 3, 4))


def test_cross_entropy_with_every_target_ignored_is_zero_not_nan():
    logits = _rand(2, 3)
    loss = ag.cross_entropy(logits, [-100, -100], ignore_index=-100)
    assert loss.item() == 0.0
    loss.backward()
    assert np.all(logits.grad.numpy() == 0)


def test_softmax_does_not_overflow_on_large_logits():
    x = ag.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], requires_grad=True)
    y = ag.softmax(x)
    np.testing.assert_allclose(y.numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    (y * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert np.all(np.isfinite(ag.log_softmax(x).numpy()))
    assert np.isfinite(ag.cross_entropy(x, [2, 0]).item())


def test_masked_positions_get_zero_weight_and_no_nan():
    scores = ag.tensor([[0.5, 2.0, -1.0, 0.3]], requires_grad=True)
    mask = ag.tensor([[True, False, True, False]])
    masked = ag.where(mask, scores, -1e9)
    w = ag.softmax(masked)
    assert w.numpy()[0, 1] == 0.0 and w.numpy()[0, 3] == 0.0
    # A row whose keys are all masked: uniform, finite weights.
    all_masked = ag.softmax(ag.where(ag.tensor([[False] * 4]), scores, -1e9))
    np.testing.assert_allclose(all_masked.numpy(), 0.25)
    (w.sum() + all_masked.sum()).backward()
    assert np.all(np.isfinite(scores.grad.numpy()))


def test_dropout_is_exact_identity_when_off():
    x = _rand(4, 5)
    assert ag.dropout(x, 0.0, training=True) is x
    assert ag.dropout(x, 0.7, training=False) is x


def test_dropout_scales_kept_values_and_reuses_its_mask_in_backward():
    ag.manual_seed(3)
    x = ag.ones(1000, dtype=F64, requires_grad=True)
    y = ag.dropout(x, 0.25)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75)
    assert 0.65 < kept.mean() < 0.85
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)
    assert y.dtype == F64


def test_dropout_is_reproducible_from_the_seed():
    x = ag.ones(50)
    ag.manual_seed(7)
    a = ag.dropout(x, 0.5).numpy()
    ag.manual_seed(7)
    b = ag.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_embedding_gradient_adds_repeated_ids_and_skips_padding():
    w = _rand(5, 3)
    ids = ag.tensor([[1, 1, 0], [4, 1, 0]])
    out = ag.embedding(ids, w, padding_idx=0)
    assert np.all(out.numpy()[:, 2] == 0)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [0, 3, 0, 0, 1])
