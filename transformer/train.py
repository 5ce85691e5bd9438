"""Train a Transformer on a built-in toy task or on a parallel corpus.

    python -m transformer.train                         # the toy language pair, CPU, minutes
    python -m transformer.train --task reverse --epochs 5
    python -m transformer.train --train SRC TGT --valid SRC TGT --test SRC TGT --lowercase
    python -m transformer.train --resume runs/toy-pair  # continue exactly where it stopped

The run folder holds checkpoints (last.npz, best.npz), metrics.jsonl,
loss.png and settings.json. Bad input gets a one-line error and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import autograd as ag
import nn

from . import checkpoint
from .batching import encode_pairs, make_batches
from .config import PRESETS, TransformerConfig
from .corpus import read_parallel, read_tsv
from .model import Transformer
from .tasks import TASKS, make_task
from .tokenizer import Vocab, WordTokenizer
from .training import Progress, Trainer
from .translator import Translator

# Settings a resumed run may change; everything else comes from its checkpoint.
RESUMABLE = ("epochs", "max_steps", "device", "quiet", "save_every")


class UsageError(ValueError):
    pass


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.train",
                                description=__doc__.split("\n\n")[0])
    data = p.add_argument_group("data (a built-in task, or corpus files)")
    data.add_argument("--task", default="toy-pair", help=f"one of {', '.join(TASKS)} "
                      "(default: toy-pair); ignored when --train is given")
    data.add_argument("--task-size", type=int, default=10_000,
                      help="training pairs generated for a built-in task (default: 10000)")
    data.add_argument("--eval-size", type=int, default=500,
                      help="validation and test pairs of a built-in task (default: 500)")
    data.add_argument("--train", nargs=2, metavar=("SRC", "TGT"), help="aligned training files")
    data.add_argument("--valid", nargs=2, metavar=("SRC", "TGT"))
    data.add_argument("--test", nargs=2, metavar=("SRC", "TGT"))
    data.add_argument("--train-tsv", help="or: tab-separated source<TAB>target files")
    data.add_argument("--valid-tsv")
    data.add_argument("--test-tsv")
    data.add_argument("--lowercase", action="store_true", help="lower-case the text")
    data.add_argument("--min-freq", type=int, default=1, help="rarer words become <unk>")
    data.add_argument("--max-len", type=int, default=64,
                      help="longest sentence in tokens (+2 for <bos>/<eos>); longer pairs "
                           "are filtered with a count")
    model = p.add_argument_group("model")
    model.add_argument("--model", default="tiny", choices=sorted(PRESETS),
                       help="size preset (default: tiny)")
    model.add_argument("--dropout", type=float, default=None, help="default: the preset's 0.1")
    model.add_argument("--norm-first", action="store_true", help="pre-norm instead of post-norm")
    train = p.add_argument_group("training")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--max-steps", type=int, default=None, help="stop after this many updates")
    train.add_argument("--max-tokens", type=int, default=None,
                       help="token budget of a batch (padded, per side; default 4096)")
    train.add_argument("--schedule", default=None, choices=["noam", "cosine", "constant"],
                       help="noam: the paper's warmup then 1/sqrt(step); cosine: warmup then "
                            "a cosine decay to 0 at the last step; constant: warmup then fixed")
    train.add_argument("--lr", type=float, default=None,
                       help="peak learning rate (noam default: the paper's d_model^-0.5 * "
                            "warmup^-0.5; cosine and constant default: 5e-4)")
    train.add_argument("--warmup", type=int, default=400, help="warmup steps")
    train.add_argument("--label-smoothing", type=float, default=0.1)
    train.add_argument("--clip-norm", type=float, default=1.0, help="0 disables clipping")
    train.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    train.add_argument("--seed", type=int, default=0)
    run = p.add_argument_group("run folder")
    run.add_argument("--out", help="run folder (default: runs/<task or corpus>-<time>)")
    run.add_argument("--resume", metavar="RUN", help="continue the run in this folder")
    run.add_argument("--save-every", type=int, default=500, help="checkpoint every N steps")
    run.add_argument("--log-every", type=int, default=10, help="metrics line every N steps")
    run.add_argument("--eval-limit", type=int, default=None,
                     help="score at most this many validation sentences per epoch")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


# Defaults where the user gave no value: the symbol tasks are deterministic
# (no dropout) and reach 100% with a lower peak and a decay to zero.
DEFAULTS = {"epochs": 10, "max_tokens": 4096, "schedule": "noam", "lr": None, "dropout": None}
TASK_DEFAULTS = {
    "toy-pair": {"epochs": 12},
    **{task: {"epochs": 30, "max_tokens": 1024, "schedule": "cosine", "lr": 1e-3,
              "dropout": 0.0} for task in ("copy", "reverse", "sort")},
}


def _fill_defaults(s):
    corpus = s["train"] or s["train_tsv"]
    chosen = {**DEFAULTS, **({} if corpus else TASK_DEFAULTS.get(s["task"], {}))}
    for key, value in chosen.items():
        if s.get(key) is None:
            s[key] = value


def load_data(s):
    """The text pairs of each split, from the task or the corpus files."""
    if s["train"] or s["train_tsv"]:
        def read(files, tsv, name):
            if tsv:
                return read_tsv(tsv)
            if files:
                return read_parallel(*files)
            if name == "valid":
                raise UsageError("a corpus needs a validation split: pass --valid SRC TGT or "
                                 "--valid-tsv FILE")
            return None
        splits = {name: read(s[name], s[f"{name}_tsv"], name) for name in ("train", "valid", "test")}
        for name, corpus in splits.items():
            if corpus is not None and corpus.skipped_empty:
                print(f"{name}: skipped {corpus.skipped_empty} line pairs with an empty side")
        pairs = {k: (v.pairs if v is not None else None) for k, v in splits.items()}
        if pairs["test"] is None:
            pairs["test"] = pairs["valid"]
        return pairs, "bleu"
    if s["task"] not in TASKS:
        raise UsageError(f"unknown task '{s['task']}'; choose one of {', '.join(TASKS)}")
    splits = make_task(s["task"], seed=s["seed"], n_train=s["task_size"],
                       n_valid=s["eval_size"], n_test=s["eval_size"])
    return {"train": splits.train, "valid": splits.valid, "test": splits.test}, "exact_match"


def build(s, pairs):
    """Tokenizers, vocabularies, encoded splits, model config."""
    text = s["metric"] == "bleu"
    src_tok = WordTokenizer(lowercase=s["lowercase"], split_punctuation=text)
    tgt_tok = WordTokenizer(lowercase=s["lowercase"], split_punctuation=text)
    src_vocab = Vocab.build([src_tok.tokenize(a) for a, _ in pairs["train"]], s["min_freq"])
    tgt_vocab = Vocab.build([tgt_tok.tokenize(b) for _, b in pairs["train"]], s["min_freq"])
    encoded = {name: encode_pairs(pairs[name], src_tok, tgt_tok, src_vocab, tgt_vocab,
                                  s["max_len"]) for name in ("train", "valid")}
    for name, e in encoded.items():
        if e.too_long:
            print(f"{name}: filtered {e.too_long} pairs longer than {s['max_len']} tokens")
    if not encoded["train"].src:
        raise UsageError("no training pairs left (all empty or too long)")
    overrides = dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                     max_len=s["max_len"], pad_id=Vocab.pad_id, norm_first=s["norm_first"])
    if s["dropout"] is not None:
        overrides.update(dropout=s["dropout"], attention_dropout=s["dropout"])
    config = TransformerConfig.preset(s["model"], **overrides)
    return (src_tok, tgt_tok, src_vocab, tgt_vocab), encoded, config


def make_optimizer(s, model, steps_per_epoch):
    """Adam (betas 0.9/0.98, eps 1e-9, as the paper) and the chosen schedule."""
    opt = nn.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    d = model.config.d_model
    if s["schedule"] == "noam":
        paper_peak = d ** -0.5 * s["warmup"] ** -0.5
        scale = s["lr"] / paper_peak if s["lr"] else 1.0
        return opt, nn.optim.NoamSchedule(opt, d, s["warmup"], scale=scale)
    for g in opt.param_groups:
        g["initial_lr"] = s["lr"] or 5e-4
    if s["schedule"] == "cosine":
        # Its length is fixed when the run starts (a resumed run decays alike).
        total = s.setdefault("schedule_steps", s["max_steps"] or s["epochs"] * steps_per_epoch)
        return opt, nn.optim.WarmupCosineSchedule(opt, s["warmup"], max(total, s["warmup"] + 1))
    return opt, nn.optim.ConstantSchedule(opt, warmup_steps=s["warmup"])


def schedule_peak(schedule, s):
    """The largest learning rate the schedule reaches (at the end of warmup)."""
    return max(schedule.factor(step) for step in (s["warmup"], s["warmup"] + 1)) * \
        schedule.optimizer.param_groups[0]["initial_lr"]


def _new_run_folder(s):
    if s["out"]:
        out = s["out"]
        if os.path.exists(os.path.join(out, checkpoint.LAST)):
            raise UsageError(f"{out} already holds a run; continue it with --resume {out}, "
                             "or choose another --out")
    else:
        name = s["task"] if not (s["train"] or s["train_tsv"]) else "corpus"
        out = os.path.join("runs", f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    return out


def _trim_metrics(path, step):
    """On resume, drop metric lines written after the checkpoint's step."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        kept = [line for line in f if line.strip() and json.loads(line)["step"] <= step]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(kept)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except (UsageError, ValueError, FileNotFoundError, nn.CheckpointError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def run(args):
    if args.resume:
        state = checkpoint.load_run(args.resume, prefer=checkpoint.LAST)
        s = dict(state["settings"])
        for key in RESUMABLE:
            value = getattr(args, key)
            if value is not None and value is not False:
                s[key] = value
        s["max_steps"] = args.max_steps        # a new limit, or none: run to the end
        run_dir = os.path.dirname(state["path"])
    else:
        state = None
        s = vars(args).copy()
        _fill_defaults(s)
    if s["device"] != "cpu":
        try:
            ag.backend.parse_device(s["device"])          # fail early on a missing GPU
        except RuntimeError as e:
            raise UsageError(f"--device {s['device']}: {e}") from None

    pairs, s["metric"] = load_data(s)
    (src_tok, tgt_tok, src_vocab, tgt_vocab), encoded, config = build(s, pairs)
    if state is not None:
        saved = TransformerConfig.from_dict(dict(state["config"]))
        if saved != config:
            raise UsageError(f"{state['path']}: the checkpoint's model ({saved}) does not match "
                             f"the data it was trained on ({config})")
    else:
        run_dir = _new_run_folder(s)

    ag.manual_seed(s["seed"])
    model = Transformer(config)
    if state is not None:
        model.load_state_dict(state["model"])
    model.to(s["device"])
    if "steps_per_epoch" not in s:      # fixed at the start, so a resumed run decays alike
        s["steps_per_epoch"] = len(make_batches(encoded["train"], s["max_tokens"], s["seed"], 0))
    optimizer, schedule = make_optimizer(s, model, s["steps_per_epoch"])
    translator = Translator(model, src_tok, tgt_tok, src_vocab, tgt_vocab)
    data = {"train": encoded["train"], "valid": encoded["valid"],
            "valid_pairs": pairs["valid"], "test_pairs": pairs["test"]}
    os.makedirs(run_dir, exist_ok=True)
    trainer = Trainer(run_dir, model, optimizer, schedule, data, translator, s)
    if state is not None:
        trainer.restore(state)
        _trim_metrics(trainer.metrics_path, trainer.progress.step)
        print(f"resuming {run_dir} at epoch {trainer.progress.epoch + 1}, "
              f"step {trainer.progress.step}")
    _write_settings(run_dir, s, config)
    print(f"run folder: {run_dir}")
    print(f"settings: {s['epochs']} epochs{', at most %d steps' % s['max_steps'] if s['max_steps'] else ''}, "
          f"{s['schedule']} schedule (peak lr {schedule_peak(schedule, s):.2e}, warmup "
          f"{s['warmup']}), dropout {config.dropout}, label smoothing {s['label_smoothing']}, "
          f"batches of {s['max_tokens']} tokens, seed {s['seed']}")
    print(f"model: {model.num_parameters():,} parameters ({s['model']}), source vocabulary "
          f"{len(src_vocab)}, target vocabulary {len(tgt_vocab)}, "
          f"{len(encoded['train'].src):,} training pairs, device {s['device']}")

    progress = trainer.fit()
    finished = progress.epoch >= s["epochs"]
    if not finished:
        print(f"stopped at step {progress.step} (epoch {progress.epoch + 1}); continue with: "
              f"python -m transformer.train --resume {run_dir}")
        return 0
    report(trainer, pairs["test"])
    return 0


def _write_settings(run_dir, s, config):
    path = os.path.join(run_dir, "settings.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"settings": s, "config": config.to_dict()}, f, indent=2)
    os.replace(path + ".tmp", path)


def report(trainer, test_pairs, samples=5):
    """The held-out score of the best checkpoint, and a few translations."""
    best = checkpoint.load_run(trainer.run, prefer=checkpoint.BEST)
    trainer.model.load_state_dict(best["model"])
    scores = trainer.score(test_pairs)
    if "exact_match" in scores:
        print(f"test exact match: {100 * scores['exact_match']:.2f}% on {len(test_pairs)} "
              f"held-out sentences (best epoch {best['progress']['best_epoch']})")
    else:
        print(f"test BLEU {scores['bleu']:.2f} (tokenized, lower-cased; "
              f"{scores['bleu_signature']})")
        print(f"test sacreBLEU {scores['sacrebleu']:.2f} ({scores['sacrebleu_signature']})")
    t = trainer.translator
    hyps = t.translate([src for src, _ in test_pairs[:samples]])
    for (src, ref), hyp in zip(test_pairs[:samples], hyps):
        print(f"  source     {src}\n  reference  {ref}\n  model      {hyp}\n")
    return scores


if __name__ == "__main__":
    sys.exit(main())
