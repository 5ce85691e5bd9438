"""The checks of every number a command takes, with the one message format
of the commands: ``--lr must be a positive number, got -1``. TrainSettings
runs them on the training settings, translate and evaluate on theirs."""
from __future__ import annotations

import math


def flag(name: str) -> str:
    """The command-line spelling of a setting: eval_limit -> --eval-limit."""
    return "--" + name.replace("_", "-")


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def at_least(name, value, low):
    """An integer >= ``low``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{flag(name)} must be an integer, got {_shown(value)}")
    if value < low:
        raise ValueError(f"{flag(name)} must be at least {low}, got {value}")


def finite(name, value):
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"{flag(name)} must be a finite number, got {_shown(value)}")


def positive(name, value, or_zero=None):
    """A finite number > 0; ``or_zero``: what 0 means, when 0 is allowed."""
    zero_ok = or_zero is not None and _is_number(value) and value == 0
    if zero_ok:
        return
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        what = f"a positive number or 0 ({or_zero})" if or_zero else "a positive number"
        raise ValueError(f"{flag(name)} must be {what}, got {_shown(value)}")


def fraction(name, value):
    """A probability-like number in [0, 1)."""
    if not _is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{flag(name)} must be in [0, 1), got {_shown(value)}")


def non_empty(name, value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"{flag(name)} must name a folder, got {value!r}")


def check_args(args, rules):
    """Run ``rules`` ({name: check}) on the attributes of ``args`` (an
    argparse namespace, or the settings; values left at None are not checked)."""
    for name, check in rules.items():
        value = getattr(args, name)
        if value is not None:
            check(name, value)
