"""Training checkpoints: everything needed to continue a run exactly.

A checkpoint holds the model, the optimizer, the schedule, every random
generator's state, the tokenizers and vocabularies, the model config, the
training settings (``TrainSettings`` as a dict) and the position in training
(epoch, batch, step). It
is written with ``nn.save``: atomically, so a crash during a save leaves the
previous checkpoint loadable.
"""
from __future__ import annotations

import os

import nn

RUN_FORMAT = "gradformer-run"
RUN_VERSION = 1
LAST, BEST = "last.npz", "best.npz"


def save_run(path, state: dict):
    nn.save({"run_format": RUN_FORMAT, "run_version": RUN_VERSION, **state}, path)


def resolve(path, prefer=BEST):
    """A run folder -> its best (or last) checkpoint file; a file -> itself."""
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in (prefer, LAST, BEST):
            candidate = os.path.join(path, name)
            if os.path.exists(candidate):
                return candidate
        raise FileNotFoundError(f"{path}: no checkpoint ({LAST} or {BEST}) in this run folder")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint or run folder")
    return path


def load_run(path, prefer=BEST) -> dict:
    """Load and check a run checkpoint (arrays stay on the CPU until the
    model copies them onto its device)."""
    path = resolve(path, prefer)
    state = nn.load(path)
    run_format = state.get("run_format") if isinstance(state, dict) else None
    if run_format != RUN_FORMAT:
        raise nn.CheckpointError(f"{path}: not a training checkpoint of gradformer "
                                 f"(run_format {run_format!r})")
    if state.get("run_version") != RUN_VERSION:
        raise nn.CheckpointError(f"{path}: checkpoint version {state.get('run_version')}, this "
                                 f"gradformer reads version {RUN_VERSION}")
    state["path"] = path
    return state
