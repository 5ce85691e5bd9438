"""Losses against hand computations in NumPy (PyTorch's definitions)."""
import numpy as np
import pytest

import autograd as ag
import nn

from .helpers import f64


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def np_cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    """PyTorch's definition: per token (1 - e) * nll + e * mean_c(-log p_c);
    ignored tokens count zero; the mean is over the tokens not ignored."""
    logp = np_log_softmax(logits)
    valid = np.ones(targets.shape, bool) if ignore_index is None else targets != ignore_index
    safe = np.where(valid, targets, 0)
    nll = -np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    smooth = -logp.mean(-1)
    per_token = ((1 - label_smoothing) * nll + label_smoothing * smooth) * valid
    if reduction == "none":
        return per_token
    if reduction == "sum":
        return per_token.sum()
    return per_token.sum() / valid.sum()


LOGITS = np.random.default_rng(0).standard_normal((2, 5, 7)) * 2
TARGETS = np.array([[3, 0, 6, 0, 1], [0, 2, 2, 5, 0]])        # 0 is padding below


@pytest.mark.parametrize("ignore_index", [None, 0])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_numpy(ignore_index, label_smoothing, reduction):
    got = nn.cross_entropy(ag.tensor(LOGITS), ag.tensor(TARGETS), ignore_index=ignore_index,
                           label_smoothing=label_smoothing, reduction=reduction)
    expected = np_cross_entropy(LOGITS, TARGETS, ignore_index, label_smoothing, reduction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_cross_entropy_by_hand_on_two_tokens():
    # logits [0, ln 3] -> p = [1/4, 3/4]; targets 1 and 0, eps = 0.2, C = 2
    logits = ag.tensor([[0.0, np.log(3.0)], [0.0, np.log(3.0)]], dtype=ag.float64)
    lp = np.log([0.25, 0.75])
    t1 = 0.8 * -lp[1] + 0.2 * -lp.mean()
    t0 = 0.8 * -lp[0] + 0.2 * -lp.mean()
    got = nn.cross_entropy(logits, ag.tensor([1, 0]), label_smoothing=0.2)
    assert got.item() == pytest.approx((t1 + t0) / 2, rel=1e-12)
    got = nn.cross_entropy(logits, ag.tensor([1, 0]), ignore_index=0, label_smoothing=0.2)
    assert got.item() == pytest.approx(t1, rel=1e-12)       # mean over the one kept token


def test_cross_entropy_mean_ignores_padding_not_divides_by_all_tokens():
    got = nn.cross_entropy(ag.tensor(LOGITS), ag.tensor(TARGETS), ignore_index=0).item()
    per_token = np_cross_entropy(LOGITS, TARGETS, 0, reduction="none")
    assert got == pytest.approx(per_token.sum() / 6, rel=1e-12)
    assert got != pytest.approx(per_token.sum() / TARGETS.size)


def test_cross_entropy_with_every_target_ignored_is_zero_not_nan():
    logits = ag.tensor(LOGITS, requires_grad=True)
    loss = nn.cross_entropy(logits, ag.zeros(2, 5, dtype=ag.int64), ignore_index=0)
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(logits.grad.numpy(), 0)


def test_cross_entropy_gradient_is_softmax_minus_the_target_distribution():
    logits = ag.tensor(LOGITS, requires_grad=True)
    nn.cross_entropy(logits, ag.tensor(TARGETS), ignore_index=0, label_smoothing=0.1).backward()
    p = np.exp(np_log_softmax(LOGITS))
    q = np.full_like(p, 0.1 / 7)
    np.put_along_axis(q, TARGETS[..., None], 0.9 + 0.1 / 7, axis=-1)
    valid = (TARGETS != 0)[..., None]
    np.testing.assert_allclose(logits.grad.numpy(), (p - q) * valid / valid.sum(), rtol=1e-10,
                               atol=1e-15)


@pytest.mark.parametrize("settings", [{}, {"ignore_index": 0, "label_smoothing": 0.1},
                                      {"reduction": "sum", "label_smoothing": 0.3}])
def test_cross_entropy_loss_module_gradients(settings):
    loss_fn = nn.CrossEntropyLoss(**settings)
    targets = ag.tensor(TARGETS[:, :3])
    logits = f64(2, 3, 7, low=-2, high=2)
    np.testing.assert_allclose(loss_fn(logits, targets).numpy(),
                               np_cross_entropy(logits.numpy(), TARGETS[:, :3], **settings),
                               rtol=1e-12)
    assert ag.gradcheck(lambda z: loss_fn(z, targets), [logits])
    assert ag.gradgradcheck(lambda z: loss_fn(z, targets), [logits])


def test_cross_entropy_errors():
    with pytest.raises(ag.OpError, match="targets of shape"):
        nn.cross_entropy(ag.zeros(2, 3), ag.tensor([0, 1, 2]))
    with pytest.raises(ag.OpError, match="targets contain 5"):
        nn.cross_entropy(ag.zeros(2, 3), ag.tensor([0, 5]))
    with pytest.raises(ag.OpError, match="integer class ids or class probabilities"):
        nn.cross_entropy(ag.zeros(2, 3), ag.tensor([True, False]))
    with pytest.raises(ag.OpError, match=r"class probabilities of shape \(2,\)"):
        nn.cross_entropy(ag.zeros(2, 3), ag.tensor([0.0, 1.0]))


def test_cross_entropy_on_every_device(device):
    got = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)(
        ag.tensor(LOGITS, device=device), ag.tensor(TARGETS, device=device))
    assert got.device.split(":")[0] == device
    np.testing.assert_allclose(got.numpy(), np_cross_entropy(LOGITS, TARGETS, 0, 0.1), rtol=1e-12)


def test_cross_entropy_keeps_float32():
    loss = nn.cross_entropy(ag.tensor(LOGITS.astype(np.float32)), ag.tensor(TARGETS),
                            ignore_index=0, label_smoothing=0.1)
    assert loss.dtype == ag.float32


# -- MSE ---------------------------------------------------------------------

X = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
T = np.array([[0.0, -1.0, 0.5], [1.0, 1.0, 1.0]])


@pytest.mark.parametrize("reduction, expected", [
    ("mean", ((X - T) ** 2).mean()), ("sum", ((X - T) ** 2).sum()), ("none", (X - T) ** 2)])
def test_mse_matches_numpy(reduction, expected):
    got = nn.mse_loss(ag.tensor(X), ag.tensor(T), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15)
    np.testing.assert_allclose(nn.MSELoss(reduction)(ag.tensor(X), T).numpy(), expected,
                               rtol=1e-15)


def test_mse_by_hand():
    assert nn.mse_loss(ag.tensor([1.0, 3.0]), [0.0, 0.0]).item() == 5.0


def test_mse_gradient():
    x = ag.tensor(X, requires_grad=True)
    nn.mse_loss(x, ag.tensor(T)).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (X - T) / X.size, rtol=1e-15)
    x = f64(2, 3)
    t = f64(2, 3, seed=1)
    assert ag.gradcheck(lambda a, b: nn.mse_loss(a, b), [x, t])
    assert ag.gradgradcheck(lambda a, b: nn.MSELoss("sum")(a, b), [x, t])


def test_mse_keeps_float32_with_a_float64_target():
    x = ag.tensor(X.astype(np.float32))
    assert nn.mse_loss(x, T.tolist()).dtype == ag.float32


def test_mse_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        nn.mse_loss(ag.tensor(X), ag.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="reduction"):
        nn.mse_loss(ag.tensor(X), ag.tensor(T), reduction="avg")


# -- the losses PyTorch code also uses: probabilities, NLL, BCE with logits, KL --------

SOFT = np.random.default_rng(1).dirichlet(np.ones(7), size=(2, 5))     # rows of probabilities


def _leaf(values):
    return ag.tensor(values, dtype=ag.float64, requires_grad=True)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_with_class_probabilities(label_smoothing):
    q = SOFT * (1 - label_smoothing) + label_smoothing / 7
    expected = -(q * np_log_softmax(LOGITS)).sum(-1).mean()
    got = nn.cross_entropy(ag.tensor(LOGITS), ag.tensor(SOFT), label_smoothing=label_smoothing)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert ag.gradcheck(lambda x, p: nn.cross_entropy(x, p, label_smoothing=label_smoothing,
                                                      reduction="sum"),
                        [_leaf(LOGITS[0]), _leaf(SOFT[0])])
    with pytest.raises(ag.OpError, match="ignore_index needs integer class-id targets"):
        nn.cross_entropy(ag.tensor(LOGITS), ag.tensor(SOFT), ignore_index=0)


def test_cross_entropy_takes_pytorchs_classes_on_dim_1_layout_too():
    nct = ag.tensor(LOGITS).permute(0, 2, 1)                   # (N, C, T), targets (N, T)
    np.testing.assert_allclose(nn.cross_entropy(nct, ag.tensor(TARGETS), ignore_index=0).numpy(),
                               np_cross_entropy(LOGITS, TARGETS, 0), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_of_log_probabilities_ignores_minus_100(reduction):
    logp = np_log_softmax(LOGITS[0])
    targets = np.array([3, -100, 6, 0, -100])
    valid = targets != -100
    per = np.where(valid, -np.take_along_axis(logp, np.where(valid, targets, 0)[:, None], 1)[:, 0],
                   0)
    expected = {"none": per, "sum": per.sum(), "mean": per.sum() / valid.sum()}[reduction]
    got = nn.NLLLoss(reduction=reduction)(ag.tensor(logp), ag.tensor(targets))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert ag.gradcheck(lambda x: nn.functional.nll_loss(x.log_softmax(-1), ag.tensor(targets)),
                        [_leaf(LOGITS[0])])


def test_binary_cross_entropy_with_logits_is_stable_and_weighted():
    x = np.array([[-40.0, -1.0, 0.0, 2.0, 50.0]])
    y = np.array([[0.0, 1.0, 0.5, 1.0, 0.0]])
    pos = np.array([1.0, 2.0, 3.0, 0.5, 1.0])
    p = 1 / (1 + np.exp(-x))
    expected = -(pos * y * np.log(p) + (1 - y) * np.log1p(-p + 1e-300))
    expected[0, 4] = 50.0                                    # log(1 - sigmoid(50)) underflows
    got = nn.BCEWithLogitsLoss(reduction="none", pos_weight=ag.tensor(pos))(ag.tensor(x),
                                                                            ag.tensor(y))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-15)
    assert np.isfinite(nn.functional.binary_cross_entropy_with_logits(
        ag.tensor(x * 100), ag.tensor(y)).item())
    assert ag.gradcheck(lambda v: nn.functional.binary_cross_entropy_with_logits(
        v, ag.tensor(y), weight=ag.tensor(pos)), [_leaf(x / 20)])


@pytest.mark.parametrize("reduction", ["sum", "batchmean", "mean"])
def test_kl_div_of_log_probabilities_against_probabilities_with_zeros(reduction):
    logp = np_log_softmax(LOGITS[0])
    target = SOFT[0].copy()
    target[0, :3] = 0.0                                    # 0 log 0 counts 0
    point = np.where(target > 0, target * (np.log(np.where(target > 0, target, 1)) - logp), 0)
    expected = {"sum": point.sum(), "batchmean": point.sum() / 5, "mean": point.mean()}[reduction]
    got = nn.KLDivLoss(reduction=reduction)(ag.tensor(logp), ag.tensor(target))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert ag.gradcheck(lambda x: nn.functional.kl_div(x.log_softmax(-1), ag.tensor(target),
                                                       reduction=reduction), [_leaf(LOGITS[0])])
