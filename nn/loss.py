"""Loss functions, as modules and as functions."""
from __future__ import annotations

import autograd as ag
from autograd.ops.cross_entropy import classes_last

from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    """Cross-entropy of logits (..., C) against integer targets (...) or class
    probabilities (..., C); the mean is over targets that are not
    ``ignore_index`` (PyTorch's definition)."""
    return ag.cross_entropy(logits, targets, ignore_index=ignore_index,
                            label_smoothing=label_smoothing, reduction=reduction)


def _reduce(loss, reduction, op, count=None):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else total / (loss.numel() if count is None else count)


def nll_loss(log_probs, targets, ignore_index=-100, reduction="mean"):
    """The negative log-likelihood of integer targets (...) under log-probabilities
    (..., C) (log_softmax outputs): -log_probs[target], averaged over the
    targets that are not ``ignore_index`` (-100 by default, as in PyTorch)."""
    targets = ag.tensor(targets) if not isinstance(targets, ag.Tensor) else targets
    log_probs = classes_last(log_probs, targets)
    valid = targets != ignore_index
    safe = ag.where(valid, targets, 0)
    picked = ag.gather(log_probs, -1, safe.unsqueeze(-1)).squeeze(-1)         # (...)
    loss = ag.where(valid, -picked, 0.0)
    return _reduce(loss, reduction, "nll_loss", ag.maximum(valid.sum(), 1))


def binary_cross_entropy_with_logits(logits, targets, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of probabilities sigmoid(logits) against targets in
    [0, 1], computed from the logits without overflow:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x), times ``weight``."""
    if not isinstance(targets, ag.Tensor):
        targets = ag.tensor(targets, dtype=logits.dtype, device=logits.device)
    if targets.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: targets of shape {targets.shape} "
                         f"do not match logits of shape {logits.shape}")
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * targets + 1
    loss = (1 - targets) * logits + log_weight * ag.softplus(-logits, threshold=float("inf"))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(log_probs, targets, reduction="mean", log_target=False):
    """KL(targets || exp(log_probs)) summed pointwise: t (log t - log_probs), 0
    where t == 0 (``log_target``: targets given as log-probabilities).
    "batchmean" divides the sum by the batch size (the true KL divergence);
    "mean", PyTorch's default, by the number of elements."""
    if log_target:
        loss = targets.exp() * (targets - log_probs)
    else:
        positive = targets > 0
        loss = ag.where(positive, targets * ag.where(positive, targets, 1).log(), 0) \
            - targets * log_probs
    if reduction == "batchmean":
        return loss.sum() / (loss.shape[0] if loss.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (or its sum, or the elementwise squares)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if not isinstance(target, ag.Tensor):
        target = ag.tensor(target, dtype=input.dtype, device=input.device)
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input of shape {input.shape} and target of shape "
                         f"{target.shape} differ")
    sq = (input - target) ** 2
    return sq if reduction == "none" else (sq.mean() if reduction == "mean" else sq.sum())


class CrossEntropyLoss(Module):
    def __init__(self, ignore_index=None, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, logits, targets):
        return cross_entropy(logits, targets, self.ignore_index, self.label_smoothing,
                             self.reduction)

    def extra_repr(self):
        return (f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, "
                f"reduction={self.reduction!r}")


class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return mse_loss(input, target, self.reduction)


class NLLLoss(Module):
    def __init__(self, ignore_index=-100, reduction="mean"):
        super().__init__()
        self.ignore_index = ignore_index
        self.reduction = reduction

    def forward(self, log_probs, targets):
        return nll_loss(log_probs, targets, self.ignore_index, self.reduction)


class BCEWithLogitsLoss(Module):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__()
        self.weight = weight
        self.reduction = reduction
        self.pos_weight = pos_weight

    def forward(self, logits, targets):
        return binary_cross_entropy_with_logits(logits, targets, self.weight, self.reduction,
                                                self.pos_weight)


class KLDivLoss(Module):
    def __init__(self, reduction="mean", log_target=False):
        super().__init__()
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, log_probs, targets):
        return kl_div(log_probs, targets, self.reduction, self.log_target)
