"""How far a whole run is, and when it should end: the estimate beside the
per-epoch progress bar and at the end of each epoch line.

The estimate is the mean time of this invocation's training steps times the
steps left, plus the last validation's time for each epoch end still to
come (a resumed run starts measuring afresh)."""
from __future__ import annotations

import math


def duration(seconds: float) -> str:
    """12 s, 7 min, 1 h 05 min."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class RunClock:
    def __init__(self, planned_steps: int, steps_per_epoch: int):
        self.planned_steps, self.steps_per_epoch = planned_steps, steps_per_epoch
        self.step_seconds, self.steps_timed = 0.0, 0
        self.valid_seconds = 0.0          # the last validation's

    def stepped(self, seconds: float):
        self.step_seconds += seconds
        self.steps_timed += 1

    def seconds_left(self, step: int) -> float | None:
        """None until a step has been timed."""
        if not self.steps_timed:
            return None
        left = max(self.planned_steps - step, 0)
        validations = math.ceil(left / self.steps_per_epoch)
        return left * self.step_seconds / self.steps_timed + validations * self.valid_seconds

    def status(self, step: int) -> str:
        """``run 45% (step 1080 of 2400), 23 min left`` (no estimate before
        the first step is timed)."""
        done = f"run {100 * min(step / self.planned_steps, 1):.0f}% (step {step} of " \
               f"{self.planned_steps})"
        left = self.seconds_left(step)
        return done if left is None else f"{done}, {duration(left)} left"
