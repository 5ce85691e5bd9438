"""Training checkpoints: everything needed to continue a run exactly.

A checkpoint holds the model, the optimizer, the schedule, every random
generator's state, the tokenizers and vocabularies, the model config, the
training settings (``TrainSettings`` as a dict), the position in training
(epoch, batch, step) and a fingerprint of the data it was trained on. It is
written with ``nn.save``: atomically, so a crash during a save leaves the
previous checkpoint loadable. Loading checks it as a whole, and each
failure names the file and the entry.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import nn

from .config import TransformerConfig
from .subword import TYPE as SUBWORD, SubwordTokenizer
from .tokenizer import Vocab, WordTokenizer

RUN_FORMAT = "gradformer-run"
RUN_VERSION = 1
LAST, BEST = "last.npz", "best.npz"
_EPOCH = re.compile(r"^epoch(\d+)\.npz$")      # epochN.npz: the model after epoch N
# What translate and evaluate read, and what a resumed run reads besides.
MODEL_ENTRIES = ("config", "model", "src_tokenizer", "tgt_tokenizer", "src_vocab", "tgt_vocab")
RESUME_ENTRIES = ("settings", "optimizer", "schedule", "rng", "progress")


@dataclass
class ModelParts:
    """What a checkpoint says about its model, checked."""
    config: TransformerConfig
    src_tokenizer: WordTokenizer | SubwordTokenizer
    tgt_tokenizer: WordTokenizer | SubwordTokenizer
    src_vocab: Vocab
    tgt_vocab: Vocab

    @property
    def tokenizers(self):
        return self.src_tokenizer, self.tgt_tokenizer, self.src_vocab, self.tgt_vocab


def save_run(path, state: dict):
    nn.save({"run_format": RUN_FORMAT, "run_version": RUN_VERSION, **state}, path)


def epoch_name(epoch: int) -> str:
    return f"epoch{epoch}.npz"


def epoch_files(run_dir) -> list[str]:
    """The paths of a run folder's epochN.npz models, oldest epoch first."""
    found = [(int(m.group(1)), name) for name in os.listdir(run_dir)
             if (m := _EPOCH.match(name))]
    return [os.path.join(run_dir, name) for _, name in sorted(found)]


def resolve(path, prefer=BEST):
    """A run folder -> its best (or last) checkpoint file; a file -> itself."""
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in (prefer, LAST, BEST):
            candidate = os.path.join(path, name)
            if os.path.exists(candidate):
                return candidate
        raise FileNotFoundError(f"{path}: no checkpoint ({LAST} or {BEST}) in this run folder")
    if not os.path.lexists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint or run folder")
    return path


def load_run(path, prefer=BEST, resume=False) -> dict:
    """Load and check a run checkpoint: the entries of the model (and, to
    ``resume``, of training) present and consistent. Arrays stay on the CPU
    until the model copies them onto its device."""
    path = resolve(path, prefer)
    state = nn.load(path)
    run_format = state.get("run_format") if isinstance(state, dict) else None
    if run_format != RUN_FORMAT:
        raise nn.CheckpointError(f"{path}: not a training checkpoint of gradformer "
                                 f"(run_format {run_format!r})")
    if state.get("run_version") != RUN_VERSION:
        raise nn.CheckpointError(f"{path}: checkpoint version {state.get('run_version')}, this "
                                 f"gradformer reads version {RUN_VERSION}")
    required = MODEL_ENTRIES + (RESUME_ENTRIES if resume else ())
    missing = [name for name in required if name not in state]
    if missing:
        raise nn.CheckpointError(f"{path}: missing entries {missing}")
    state["path"] = path
    model_parts(state)
    return state


def model_parts(state) -> ModelParts:
    """The config, tokenizers and vocabularies of a loaded checkpoint, each
    checked, and the vocabulary sizes against the model's."""
    parts = ModelParts(*(_entry(state, name, make) for name, make in (
        ("config", TransformerConfig.from_dict), ("src_tokenizer", tokenizer_from_dict),
        ("tgt_tokenizer", tokenizer_from_dict), ("src_vocab", Vocab.from_dict),
        ("tgt_vocab", Vocab.from_dict))))
    for side in ("src", "tgt"):
        vocab, tokenizer = getattr(parts, f"{side}_vocab"), getattr(parts, f"{side}_tokenizer")
        size, expected = len(vocab), getattr(parts.config, f"{side}_vocab_size")
        if size != expected:
            raise nn.CheckpointError(f"{state['path']}: entry {side}_vocab has {size} tokens, "
                                     f"but the model's {side}_vocab_size is {expected}")
        if isinstance(tokenizer, SubwordTokenizer) and tokenizer.vocab() != vocab:
            raise nn.CheckpointError(f"{state['path']}: entry {side}_vocab is not the vocabulary "
                                     f"of entry {side}_tokenizer's SentencePiece model")
    return parts


def tokenizer_from_dict(d):
    """A checkpoint's tokenizer: word-level or SentencePiece, by its type."""
    kind = d.get("type") if isinstance(d, dict) else None
    return SubwordTokenizer.from_dict(d) if kind == SUBWORD else WordTokenizer.from_dict(d)


def _entry(state, name, make):
    value = state[name]
    try:
        return make(dict(value) if isinstance(value, dict) else value)
    except (ValueError, TypeError) as e:
        raise nn.CheckpointError(f"{state['path']}: entry {name}: {e}") from None
