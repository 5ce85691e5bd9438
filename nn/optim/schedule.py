"""Learning-rate schedules. Each sets, for every parameter group,
lr = initial_lr * factor(step) where ``step`` counts optimizer updates from 1;
call ``schedule.step()`` after each ``optimizer.step()``. ``state_dict`` /
``load_state_dict`` resume exactly."""
from __future__ import annotations

import math


class LRSchedule:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.last_step = 0
        self._apply()

    def factor(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} has no factor(step)")

    def _apply(self):
        f = self.factor(self.last_step + 1)       # the lr of the coming update
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * f

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
    """The paper's schedule (section 5.3): warmup, then inverse square root,
    factor = scale * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5).
    With the optimizer's lr = 1.0 this is exactly the paper's lrate."""

    def __init__(self, optimizer, d_model, warmup_steps=4000, scale=1.0):
        self.d_model, self.warmup_steps, self.scale = d_model, warmup_steps, scale
        super().__init__(optimizer)

    def factor(self, step):
        return self.scale * self.d_model ** -0.5 * min(step ** -0.5, step * self.warmup_steps ** -1.5)


class WarmupCosineSchedule(LRSchedule):
    """Linear warmup from 0 to 1 over ``warmup_steps``, then a cosine decay to
    ``min_factor`` at ``total_steps`` (and ``min_factor`` after)."""

    def __init__(self, optimizer, warmup_steps, total_steps, min_factor=0.0):
        if total_steps <= warmup_steps:
            raise ValueError("WarmupCosineSchedule: total_steps must exceed warmup_steps, got "
                             f"total_steps={total_steps}, warmup_steps={warmup_steps}")
        self.warmup_steps, self.total_steps, self.min_factor = warmup_steps, total_steps, min_factor
        super().__init__(optimizer)

    def factor(self, step):
        if step <= self.warmup_steps:
            return step / max(self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 1.0)
        return self.min_factor + (1 - self.min_factor) * 0.5 * (1 + math.cos(math.pi * progress))


class ConstantSchedule(LRSchedule):
    """lr = initial_lr, optionally after a linear warmup."""

    def __init__(self, optimizer, warmup_steps=0):
        self.warmup_steps = warmup_steps
        super().__init__(optimizer)

    def factor(self, step):
        return min(1.0, step / self.warmup_steps) if self.warmup_steps else 1.0
