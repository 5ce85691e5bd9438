"""Cross-entropy from logits, fused with log_softmax: classes on the last
axis, integer targets, ``ignore_index`` and label smoothing as PyTorch
defines them: loss = (1 - e) * nll + e * mean over classes of -log p,
averaged over the targets that are not ignored."""
from __future__ import annotations

import functools

from .. import backend
from ..function import Function, OpError, public
from ..samples import Floats, Ints, Sample
from .common import as_tensor, constant
from .embedding import check_ids
from .fast_gradient import FastGradient
from .softmax import log_softmax

_REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    saved_inputs = (0, 1)
    samples = (Sample(Floats((4, 5), -2, 2), Ints((4,), high=5)),
               Sample(Floats((2, 3, 4), -2, 2), Ints((2, 3), high=4), ignore_index=0,
                      label_smoothing=0.1),
               Sample(Floats((3, 4), -2, 2), Ints((3,), high=4), reduction="sum",
                      label_smoothing=0.2),
               Sample(Floats((3, 4), -2, 2), Ints((3,), high=4), reduction="none"))

    def __init__(self, ignore_index=None, label_smoothing=0.0, reduction="mean"):
        if reduction not in _REDUCTIONS:
            raise OpError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, "
                          f"got {reduction!r}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise OpError(f"cross_entropy: label_smoothing must be in [0, 1], "
                          f"got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, logits, targets):
        xp = self.xp
        if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
            raise OpError(f"cross_entropy: targets of shape {tuple(targets.shape)} do not "
                          f"match logits of shape {tuple(logits.shape)} (expected "
                          f"{tuple(logits.shape[:-1])}; classes are on the last axis)")
        valid = None if self.ignore_index is None else targets != self.ignore_index
        safe = targets if valid is None else xp.where(valid, targets, 0)
        check_ids(safe, logits.shape[-1], "cross_entropy", "targets")
        p = xp.empty(logits.shape, logits.dtype)                  # softmax, kept for backward
        logp_target, mean_logp = (xp.empty(logits.shape[:-1] + (1,), logits.dtype)
                                  for _ in range(2))
        backend.in_row_blocks(_softmax_and_log_terms, logits, safe, p, logp_target, mean_logp)
        eps = self.label_smoothing
        loss = logp_target[..., 0] * -(1.0 - eps)
        if eps:
            loss -= mean_logp[..., 0] * eps
        if valid is not None:
            loss *= valid
        # The mean divides by the number of targets kept, at least 1 (no NaN
        # when every target is ignored); kept on the device, no host sync.
        count = xp.maximum(valid.sum(), 1).astype(logits.dtype) if valid is not None \
            else max(loss.size, 1)
        self.saved = (p, safe, valid, count)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        return total / count if self.reduction == "mean" else total

    def backward(self, gy):
        logits, _ = self.inputs
        return CrossEntropyBackward(self.saved, self.ignore_index, self.label_smoothing,
                                    self.reduction)(logits, gy), None


@public(CrossEntropy)
def cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    """Cross-entropy of ``logits`` (..., C) against integer ``targets`` (...);
    p = softmax(logits) over the last axis, e = label_smoothing, C classes.

    forward:  loss = -(1 - e) * log p[target] - e * mean(log p)   per row,
              0 where target == ignore_index; "mean" divides the sum by the
              number of rows kept. Probability targets q (..., C) instead:
              loss = -sum(q' log p), q' = (1 - e) q + e / C
    gradient: dlogits = (p - q) * dy * kept / count, q = (1 - e) * onehot(target) + e / C
    """
    if logits.dtype.kind != "f":
        raise OpError(f"cross_entropy: logits must be floating-point, got {logits.dtype}")
    targets = as_tensor(targets, logits)
    if targets.dtype.kind == "f":
        return _with_probabilities(logits, targets, ignore_index, label_smoothing, reduction)
    if targets.dtype.kind not in "iu":
        raise OpError(f"cross_entropy: targets must be integer class ids or class "
                      f"probabilities, got {targets.dtype}")
    logits = classes_last(logits, targets)
    return CrossEntropy(ignore_index, label_smoothing, reduction)(logits, targets)


def _softmax_and_log_terms(logits, safe, p, logp_target, mean_logp):
    """Row by row (logits and p (rows, C); the others (rows, 1)), with
    m = max x and s = sum(exp(x - m)), so that log p = x - m - log s:
    p = exp(x - m) / s, logp_target = x[safe] - m - log s and
    mean_logp = mean(x - m) - log s, without forming log p itself."""
    xp = backend.array_module(logits)
    m = logits.max(axis=-1, keepdims=True)
    xp.subtract(logits, m, out=p)
    p.mean(axis=-1, keepdims=True, out=mean_logp)                 # mean(x - m)
    xp.exp(p, out=p)
    s = p.sum(axis=-1, keepdims=True)
    p /= s
    log_s = xp.log(s)
    mean_logp -= log_s
    xp.subtract(logits[xp.arange(len(logits)), safe[:, 0]][:, None], m, out=logp_target)
    logp_target -= log_s


def classes_last(scores, targets):
    """Scores with the classes on the last axis: PyTorch's (N, C, d1, ...)
    layout, told apart by targets of shape (N, d1, ...), is moved there."""
    if scores.ndim > 2 and tuple(targets.shape) != scores.shape[:-1] and \
            tuple(targets.shape) == scores.shape[:1] + scores.shape[2:]:
        return scores.movedim(1, -1)
    return scores


def _with_probabilities(logits, q, ignore_index, label_smoothing, reduction):
    """Cross-entropy against a distribution q over the classes (last axis):
    -sum(q log softmax(logits)), q smoothed towards uniform by e."""
    if q.shape != logits.shape:
        raise OpError(f"cross_entropy: class probabilities of shape {tuple(q.shape)} do not "
                      f"match logits of shape {tuple(logits.shape)}")
    if ignore_index is not None:
        raise OpError("cross_entropy: ignore_index needs integer class-id targets, not "
                      "class probabilities")
    CrossEntropy(None, label_smoothing, reduction)            # checks the settings
    if label_smoothing:
        q = q * (1.0 - label_smoothing) + label_smoothing / logits.shape[-1]
    loss = -(q * log_softmax(logits, axis=-1)).sum(axis=-1)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


class CrossEntropyBackward(FastGradient):
    """CrossEntropy's gradient from the logits and dy, using the softmax,
    targets, mask and count its forward kept (``saved``); q is the target
    distribution, (1 - e) on the target plus e / C everywhere.

    forward:  dlogits = (softmax(logits) - q) * dy * valid / count   (reduction="mean")
    gradient: (softmax(logits) - q) * the same scale, differentiated with
              primitive ops (``formula``)
    """
    gradient_of = "CrossEntropy"

    def __init__(self, saved, ignore_index=None, label_smoothing=0.0, reduction="mean"):
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction
        self.saved = saved

    def _scale(self, gy, valid, count, dtype, wrap):
        """The upstream gradient's share per row, shaped logits.shape[:-1] + (1,)."""
        if self.reduction == "none":
            scale = gy.reshape(gy.shape + (1,))
        elif self.reduction == "mean":
            scale = gy / wrap(count) if valid is not None else gy * (1.0 / count)
        else:
            scale = gy
        if valid is not None:
            scale = scale * wrap(valid[..., None].astype(dtype))
        return scale

    def forward(self, logits, gy):
        xp = self.xp
        p, safe, valid, count = self.saved
        scale = self._scale(gy, valid, count, p.dtype, lambda a: a)
        grad = xp.empty(p.shape, p.dtype)
        backend.in_row_blocks(functools.partial(_cross_entropy_gradient, eps=self.label_smoothing),
                              p, safe, xp.broadcast_to(scale, p.shape[:-1] + (1,)), grad)
        return grad

    def formula(self, logits, gy):
        xp = self.xp
        _, safe, valid, count = self.saved
        n_classes = logits.shape[-1]
        eps = self.label_smoothing
        onehot = (safe[..., None] == xp.arange(n_classes)).astype(logits.dtype)
        target = constant(onehot * (1.0 - eps) + eps / n_classes)
        scale = self._scale(gy, valid, count, logits.dtype, constant)
        return (logits.softmax(axis=-1) - target) * scale


def _cross_entropy_gradient(p, safe, scale, grad, *, eps):
    """Into grad, row by row (p, the softmax, (rows, C); safe and scale
    (rows, 1)): grad = (p - q) * scale, q = (1 - eps) onehot(safe) + eps / C."""
    xp = backend.array_module(p)
    xp.subtract(p, eps / p.shape[-1], out=grad)
    grad[xp.arange(grad.shape[0]), safe[:, 0]] -= 1.0 - eps
    grad *= scale
