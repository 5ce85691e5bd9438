"""Average the weights of a run's last epochs, as fairseq's
``scripts/average_checkpoints.py --num-epoch-checkpoints K``: nearly free,
and usually better than any one of them (the mean of nearby points on the
training path sits lower in the loss than each one).

    python -m transformer.train ... --keep-epochs 5 --out RUN    # keeps RUN/epochN.npz
    python -m transformer.average --checkpoint RUN --last 5      # writes RUN/average.npz
    python -m transformer.evaluate --checkpoint RUN/average.npz --src test.de --ref test.en

The result is a model checkpoint, what translate and evaluate read: the
mean of every parameter over the last K epochN.npz models, with the config,
tokenizers and vocabularies they share (checked), the settings and progress
of the latest one, and the epochs averaged.
"""
from __future__ import annotations

import argparse
import os
import sys

import nn

from . import checkpoint, checks
from .cli import CommandError, run_command, writing

NAME = "average.npz"
SHARED = ("config", "src_tokenizer", "tgt_tokenizer", "src_vocab", "tgt_vocab")


def last_epochs(run_dir, k) -> list[str]:
    """The epochN.npz files of the last ``k`` epochs kept in ``run_dir``."""
    if not os.path.isdir(run_dir):
        raise CommandError(f"{run_dir}: not a run folder")
    found = checkpoint.epoch_files(run_dir)
    if len(found) < k:
        kept = ", ".join(os.path.basename(p) for p in found) or "none"
        raise CommandError(f"{run_dir} keeps {len(found)} epoch models ({kept}), fewer than "
                           f"--last {k}: train with --keep-epochs {k}, or average fewer")
    return found[-k:]


def average(paths) -> dict:
    """A model checkpoint whose weights are the mean of those in ``paths``."""
    states = [checkpoint.load_run(path) for path in paths]
    first = states[0]
    for state in states[1:]:
        _check_same_model(first, state)
    weights = {name: sum((s["model"][name] for s in states[1:]), first["model"][name])
               / len(states) for name in first["model"]}
    latest = states[-1]
    return {**{key: latest[key] for key in SHARED}, "model": weights,
            "settings": latest.get("settings"), "progress": latest.get("progress"),
            "averaged": [os.path.basename(p) for p in paths]}


def _check_same_model(a, b):
    for key in SHARED:
        if a[key] != b[key]:
            raise nn.CheckpointError(f"{b['path']}: entry {key} differs from {a['path']}'s; "
                                     "only models of one run can be averaged")
    shapes = {name: tuple(t.shape) for name, t in a["model"].items()}
    if shapes != {name: tuple(t.shape) for name, t in b["model"].items()}:
        raise nn.CheckpointError(f"{b['path']}: its parameters differ from {a['path']}'s")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.average",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, metavar="RUN",
                   help="run folder trained with --keep-epochs")
    p.add_argument("--last", type=int, default=5, help="average the last K epochs (default 5)")
    p.add_argument("-o", "--output", help=f"checkpoint to write (default: RUN/{NAME})")
    return p.parse_args(argv)


def average_command(args):
    checks.at_least("last", args.last, 1)
    paths = last_epochs(args.checkpoint, args.last)
    state = average(paths)
    out = args.output or os.path.join(args.checkpoint, NAME)
    with writing(out):
        checkpoint.save_run(out, state)
    print(f"wrote {out}: the mean of {', '.join(state['averaged'])}")
    return 0


def main(argv=None):
    return run_command(average_command, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
