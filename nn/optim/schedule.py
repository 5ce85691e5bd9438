"""Learning-rate schedules. Each sets, for every parameter group,
lr = base_lr * factor(step), where ``step`` counts optimizer updates from 1
and ``factor`` rises to 1 at the end of warmup. ``base_lr`` is ``peak_lr``
when given, else the group's own initial lr (as PyTorch's schedulers use
``initial_lr``). Call ``schedule.step()`` after each ``optimizer.step()``;
``state_dict`` / ``load_state_dict`` resume exactly."""
from __future__ import annotations

import math


def check_warmup(owner, warmup_steps, least=0):
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or \
            warmup_steps < least:
        raise ValueError(f"{owner}: warmup_steps must be at least {least}, got {warmup_steps}")


class LRSchedule:
    def __init__(self, optimizer, peak_lr=None):
        self.optimizer = optimizer
        self.base_lrs = [g["initial_lr"] if peak_lr is None else peak_lr
                         for g in optimizer.param_groups]
        self.last_step = 0
        self._apply()

    def factor(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} has no factor(step)")

    def _apply(self):
        f = self.factor(self.last_step + 1)       # the lr of the coming update
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * f

    def step(self):
        self.last_step += 1
        self._apply()

    def get_last_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_step": self.last_step}

    def load_state_dict(self, state):
        self.last_step = int(state["last_step"])
        self._apply()


class NoamSchedule(LRSchedule):
    """The paper's schedule (section 5.3): lrate = d_model^-0.5 *
    min(step^-0.5, step * warmup^-1.5), a linear warmup then an inverse
    square root, whose peak at step == warmup is d_model^-0.5 * warmup^-0.5.
    ``peak_lr=None`` keeps that peak (exactly the paper's lrate, whatever the
    optimizer's lr); ``peak_lr=p`` keeps the shape and peaks at p."""

    def __init__(self, optimizer, d_model, warmup_steps=4000, peak_lr=None):
        check_warmup("NoamSchedule", warmup_steps, least=1)   # min(step / 0, ...) is undefined
        self.d_model, self.warmup_steps = d_model, warmup_steps
        if peak_lr is None:
            peak_lr = self.paper_peak_lr(d_model, warmup_steps)
        super().__init__(optimizer, peak_lr)

    @staticmethod
    def paper_peak_lr(d_model, warmup_steps) -> float:
        """The paper's lrate at step == warmup_steps: d_model^-0.5 * warmup^-0.5."""
        check_warmup("NoamSchedule", warmup_steps, least=1)
        return d_model ** -0.5 * warmup_steps ** -0.5

    def factor(self, step):
        w = self.warmup_steps
        return min(step / w, (w / step) ** 0.5)


class WarmupCosineSchedule(LRSchedule):
    """Linear warmup from 0 to 1 over ``warmup_steps``, then a cosine decay to
    ``min_factor`` at ``total_steps`` (and ``min_factor`` after)."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_factor=0.0, peak_lr=None):
        check_warmup("WarmupCosineSchedule", warmup_steps)
        if total_steps <= warmup_steps:
            raise ValueError("WarmupCosineSchedule: total_steps must exceed warmup_steps, got "
                             f"total_steps={total_steps}, warmup_steps={warmup_steps}")
        self.warmup_steps, self.total_steps, self.min_factor = warmup_steps, total_steps, min_factor
        super().__init__(optimizer, peak_lr)

    def factor(self, step):
        if step <= self.warmup_steps:
            return step / max(self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 1.0)
        return self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * progress))


class ConstantSchedule(LRSchedule):
    """lr = base_lr, optionally after a linear warmup."""

    def __init__(self, optimizer, warmup_steps=0, peak_lr=None):
        check_warmup("ConstantSchedule", warmup_steps)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, peak_lr)

    def factor(self, step):
        return min(1.0, step / self.warmup_steps) if self.warmup_steps else 1.0
