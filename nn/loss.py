"""Loss functions, as modules and as functions."""
from __future__ import annotations

import autograd as ag

from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    """Cross-entropy of logits (..., C) against integer targets (...); the mean
    is over targets that are not ``ignore_index`` (PyTorch's definition)."""
    return ag.cross_entropy(logits, targets, ignore_index=ignore_index,
                            label_smoothing=label_smoothing, reduction=reduction)


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
