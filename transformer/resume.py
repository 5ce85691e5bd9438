"""What a resumed run takes from its checkpoint (everything), and what from
its command line: how this invocation runs (device, checkpoint and log
intervals, the epoch models kept, TensorBoard events, the progress bar,
where to stop) and more epochs. Any other flag
that differs from the run's setting is refused by name, and training past
the end of a cosine schedule (at lr 0) is refused with the way out.

``--data-parallel`` is how this invocation runs, not a setting: it may be
given or left out, but the number of ranks must be the checkpoint's
(``world_size``; its ``rank_rng`` holds each rank's random state), since
another number would change the batches of every step."""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace

from .checks import flag
from .cli import CommandError
from .settings import TrainSettings

# Kept from the checkpoint unless given again.
CHANGEABLE = ("device", "save_every", "log_every", "keep_epochs", "tensorboard", "quiet",
              "epochs")
# This invocation's stopping point only: a resumed run does not inherit it.
PER_INVOCATION = ("max_steps",)


def check_world_size(state, size):
    """Refuse to resume a checkpoint on another number of ranks than it was
    trained on (a checkpoint without ``world_size``: one process)."""
    saved, rngs = state.get("world_size", 1), state.get("rank_rng")
    if isinstance(saved, bool) or not isinstance(saved, int) or saved < 1:
        raise CommandError(f"{state['path']}: entry world_size: expected a number of ranks, "
                           f"got {saved!r}")
    if saved > 1 and (not isinstance(rngs, (list, tuple)) or len(rngs) != saved):
        raise CommandError(f"{state['path']}: entry rank_rng: expected the random states of "
                           f"the {saved} ranks")
    if saved != size:
        raise CommandError(f"{state['path']}: this run was trained on {saved} rank(s) and this "
                           f"one has {size}; resume it as it was trained: "
                           f"{resume_command(saved, 'RUN')}{' (one process)' * (saved == 1)} "
                           "(another number of ranks would change the batches of every step)")


def resume_command(size, run_dir) -> str:
    """The command that continues ``run_dir`` on ``size`` ranks."""
    if size == 1:
        return f"python -m transformer.train --resume {run_dir}"
    return f"mpiexec -n {size} python -m transformer.train --resume {run_dir} --data-parallel"


def resumed_settings(state, given, extend_schedule=False) -> TrainSettings:
    """The checkpoint's settings with what this command line may change."""
    saved = TrainSettings.from_checkpoint(dict(state["settings"]), state["path"])
    _refuse_changes(saved, given, os.path.dirname(state["path"]))
    changes = {key: given[key] for key in CHANGEABLE if key in given}
    changes.update({key: given.get(key) for key in PER_INVOCATION})
    return _check_schedule_end(replace(saved, **changes), extend_schedule)


def _refuse_changes(saved, given, run_dir):
    out = given.get("out")
    if out is not None and os.path.abspath(out) != os.path.abspath(run_dir):
        raise CommandError(f"--out {out}: a resumed run stays in its folder {run_dir}")
    fixed = {key: value for key, value in given.items()
             if key not in CHANGEABLE + PER_INVOCATION + ("out",)}
    changed = [f"{flag(key)} {_shown(value)} (the run's: {_shown(getattr(saved, key))})"
               for key, value in fixed.items() if value != getattr(saved, key)]
    if changed:
        raise CommandError(f"a resumed run keeps its settings, so these cannot change: "
                           f"{', '.join(changed)}; start a new run (another --out) to change "
                           "them")


def _shown(value):
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _check_schedule_end(s, extend):
    """A cosine schedule reaches lr 0 at its planned last step: training
    past it would change nothing, so say so, unless asked to stretch it."""
    if s.schedule != "cosine":
        if extend:
            raise CommandError(f"--extend-schedule stretches a cosine schedule; this run's is "
                               f"{s.schedule}")
        return s
    end = s.epochs * s.steps_per_epoch
    if s.max_steps is not None:
        end = min(end, s.max_steps)
    if end <= s.schedule_steps:
        return s
    if extend:
        return replace(s, schedule_steps=end)
    raise CommandError(f"--epochs {s.epochs} goes on to step {end}, past the end of this "
                       f"run's cosine schedule at step {s.schedule_steps}, where the lr is 0: "
                       f"it would train at lr 0. Pass --extend-schedule to stretch the decay to "
                       f"step {end}, or --max-steps {s.schedule_steps} to stop where it ends")


def fingerprint(pairs) -> dict:
    """A SHA-256 of each split's text pairs: a resumed run can tell whether
    its data changed since it started."""
    return {name: hashlib.sha256("\n".join(f"{a}\t{b}" for a, b in split).encode()).hexdigest()
            for name, split in pairs.items() if split is not None}


def data_changes(state, pairs) -> str | None:
    """A warning when the data differ from what the checkpoint was trained on."""
    saved = state.get("data_sha256")
    if not saved:
        return None
    now = fingerprint(pairs)
    changed = [name for name in saved if now.get(name) != saved[name]]
    if not changed:
        return None
    return (f"warning: the {' and '.join(changed)} data changed since this run started; it "
            "goes on with the checkpoint's tokenizers and vocabularies (words new to them are "
            "<unk>)")
