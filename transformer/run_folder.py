"""The run folder belongs to one run: a new run claims a new or empty folder
(atomically, so two runs started in the same second get two folders), and a
resumed run clears what a killed save left in its own. Besides the
checkpoints and pictures it holds settings.json (which ``--config`` reads
back) and, for subword vocabularies, the SentencePiece model(s)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, fields

from nn.atomic import remove_stray_temporaries, write_bytes, write_text

from . import checkpoint
from .cli import CommandError, writing
from .metrics_log import NAME as METRICS
from .settings import TrainSettings
from .subword import SubwordTokenizer
from .tensorboard_log import FOLDER as TENSORBOARD

SETTINGS = "settings.json"
JOINT_MODEL = "sentencepiece.model"                    # one model for both sides
SIDE_MODELS = ("sentencepiece.src.model", "sentencepiece.tgt.model")
RUN_FILES = (checkpoint.LAST, checkpoint.BEST, METRICS, SETTINGS, "loss.png", "grad_norms.png",
             JOINT_MODEL, *SIDE_MODELS, TENSORBOARD)
# Not taken from a recorded run by --config: its folder, and what resolve() derives.
NOT_REPEATED = ("out", "metric", "steps_per_epoch", "schedule_steps", "peak_lr", "warmup_steps")


def claim(out, name) -> str:
    """A folder for a new run, now owned by it: ``out`` (new, or empty), or
    ``runs/<name>-<time>`` (``-2``, ``-3``, ... when taken)."""
    if out is None:
        return _claim_default(name)
    with writing(out):
        if os.path.exists(out) and not os.path.isdir(out):
            raise CommandError(f"cannot write {out}: it is a file, not a folder")
        os.makedirs(out, exist_ok=True)
        _refuse_used(out)
        _mark_owned(out)
    return out


def _claim_default(name):
    base = os.path.join("runs", f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    with writing("runs"):
        os.makedirs("runs", exist_ok=True)
        for n in range(1, 1000):
            out = base if n == 1 else f"{base}-{n}"
            try:
                os.mkdir(out)                          # atomic: exactly one run gets it
            except FileExistsError:
                continue
            _mark_owned(out)
            return out
    raise CommandError(f"cannot write {base}: 999 run folders of that name exist already")


def _refuse_used(out):
    names = sorted(os.listdir(out))
    if checkpoint.LAST in names or checkpoint.BEST in names:
        raise CommandError(f"{out} already holds a run; continue it with --resume {out}, or "
                           "choose another --out")
    run_files = [n for n in names if n in RUN_FILES]
    if run_files:
        raise CommandError(f"{out} already holds the files of a run that saved no checkpoint "
                           f"({', '.join(run_files)}); remove them or choose another --out")
    if names:
        raise CommandError(f"{out} is not empty ({len(names)} entries); a new run needs a new "
                           "or empty folder: choose another --out")


def _mark_owned(out):
    """Create the run's metrics file exclusively: of two runs racing for one
    empty folder, the second fails here."""
    try:
        with open(os.path.join(out, METRICS), "x", encoding="utf-8"):
            pass
    except FileExistsError:
        raise CommandError(f"{out} already holds a run (another one started there just "
                           "now); choose another --out") from None


def clean(run_dir) -> list[str]:
    """Remove the temporary files of saves that were killed half-way."""
    with writing(run_dir):
        return remove_stray_temporaries(run_dir)


def write_settings(run_dir, settings, config):
    """settings.json: the run's settings and model config, for people."""
    path = os.path.join(run_dir, SETTINGS)
    text = json.dumps({"settings": asdict(settings), "config": config.to_dict()}, indent=2)
    with writing(path):
        write_text(path, text)


def write_tokenizers(run_dir, src_tokenizer, tgt_tokenizer):
    """The SentencePiece model(s) beside the checkpoints, for other tools
    (``spm_encode --model RUN/sentencepiece.model``); the checkpoint holds
    the same bytes, so the run needs nothing else."""
    if not isinstance(src_tokenizer, SubwordTokenizer):
        return
    if src_tokenizer is tgt_tokenizer:
        models = {JOINT_MODEL: src_tokenizer}
    else:
        models = dict(zip(SIDE_MODELS, (src_tokenizer, tgt_tokenizer)))
    for name, tokenizer in models.items():
        path = os.path.join(run_dir, name)
        with writing(path):
            write_bytes(path, tokenizer.model)


def recorded_settings(path) -> dict:
    """The settings of a recorded run (its settings.json, or a file holding
    just the settings), for ``--config``: without its run folder and the
    derived values, which the new run sets afresh."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise CommandError(f"--config {path}: cannot read it: {e.strerror or e}") from None
    except ValueError as e:
        raise CommandError(f"--config {path}: not valid JSON: {e}") from None
    saved = data.get("settings", data) if isinstance(data, dict) else None
    if not isinstance(saved, dict):
        raise CommandError(f"--config {path}: expected the JSON object of a run's settings")
    known = {f.name for f in fields(TrainSettings)}
    unknown = sorted(set(saved) - known)
    if unknown:
        raise CommandError(f"--config {path}: unknown settings {unknown}")
    return {k: v for k, v in saved.items() if k not in NOT_REPEATED}
