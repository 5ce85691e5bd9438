"""Train a Transformer on a built-in toy task or on a parallel corpus.

    python -m transformer.train                         # the toy language pair, CPU, minutes
    python -m transformer.train --task reverse --epochs 5
    python -m transformer.train --train SRC TGT --valid SRC TGT --test SRC TGT --lowercase
    python -m transformer.train --resume runs/toy-pair  # continue exactly where it stopped
    mpiexec -n 4 python -m transformer.train --data-parallel   # 4 ranks: data_parallel.py

The run folder holds checkpoints (last.npz, best.npz), metrics.jsonl,
loss.png and settings.json. Bad input gets a one-line error and exit code 2.
"""
from __future__ import annotations

import json
import os
import sys
import time
from argparse import SUPPRESS, ArgumentParser
from dataclasses import asdict, replace

import autograd as ag
import nn

from . import checkpoint, data_parallel
from .batching import encode_pairs, make_batches
from .config import PRESETS, TransformerConfig
from .corpus import read_parallel, read_tsv
from .model import Transformer
from .settings import DEFAULT_PEAK_LR, SCHEDULES, TrainSettings
from .tasks import TASKS, make_task
from .tokenizer import Vocab, WordTokenizer
from .trainer import Trainer
from .translator import Translator

# What a resumed run takes from its own command line (given, or the default):
# how this invocation runs. It may also ask for more --epochs; everything else
# comes from its checkpoint.
THIS_INVOCATION = ("max_steps", "device", "save_every", "quiet")


class UsageError(ValueError):
    pass


DEFAULTS = TrainSettings()


def parse_args(argv=None) -> dict:
    """The settings given on the command line (only those: the rest come from
    the task's preset, or from the checkpoint of a resumed run)."""
    p = ArgumentParser(prog="python -m transformer.train", argument_default=SUPPRESS,
                                description=__doc__.split("\n\n")[0])
    data = p.add_argument_group("data (a built-in task, or corpus files)")
    data.add_argument("--task", help=f"one of {', '.join(TASKS)} "
                      f"(default: {DEFAULTS.task}); ignored when --train is given")
    data.add_argument("--task-size", type=int, help="training pairs generated for a built-in "
                      f"task (default: {DEFAULTS.task_size})")
    data.add_argument("--eval-size", type=int, help="validation and test pairs of a built-in "
                      f"task (default: {DEFAULTS.eval_size})")
    data.add_argument("--train", nargs=2, metavar=("SRC", "TGT"), help="aligned training files")
    data.add_argument("--valid", nargs=2, metavar=("SRC", "TGT"))
    data.add_argument("--test", nargs=2, metavar=("SRC", "TGT"))
    data.add_argument("--train-tsv", help="or: tab-separated source<TAB>target files")
    data.add_argument("--valid-tsv")
    data.add_argument("--test-tsv")
    data.add_argument("--lowercase", action="store_true", help="lower-case the text")
    data.add_argument("--min-freq", type=int, help="rarer words become <unk>")
    data.add_argument("--max-len", type=int,
                      help="longest sentence in tokens (+2 for <bos>/<eos>; default "
                           f"{DEFAULTS.max_len}); longer pairs are filtered with a count")
    model = p.add_argument_group("model")
    model.add_argument("--model", choices=sorted(PRESETS),
                       help=f"size preset (default: {DEFAULTS.model})")
    model.add_argument("--dropout", type=float, help="default: the preset's 0.1")
    model.add_argument("--norm-first", action="store_true", help="pre-norm instead of post-norm")
    train = p.add_argument_group("training (the defaults of each task: transformer/settings.py)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--max-steps", type=int, help="stop after this many updates")
    train.add_argument("--max-tokens", type=int,
                       help="token budget of a batch (padded, per side; default "
                            f"{DEFAULTS.max_tokens})")
    train.add_argument("--schedule", choices=SCHEDULES,
                       help="noam: the paper's warmup then 1/sqrt(step); cosine: warmup then "
                            "a cosine decay to 0 at the last step; constant: warmup then fixed")
    train.add_argument("--lr", type=float,
                       help="peak learning rate (noam default: the paper's d_model^-0.5 * "
                            f"warmup^-0.5; cosine and constant default: {DEFAULT_PEAK_LR:g})")
    train.add_argument("--warmup", type=int, help=f"warmup steps (default: {DEFAULTS.warmup})")
    train.add_argument("--label-smoothing", type=float)
    train.add_argument("--clip-norm", type=float, help="0 disables clipping")
    train.add_argument("--device", help="cpu, cuda or cuda:N")
    train.add_argument("--seed", type=int)
    train.add_argument("--data-parallel", action="store_true",
                       help="run as one rank of a data-parallel job started by mpiexec "
                            "(pip install -e \".[mpi]\"): mpiexec -n 4 python -m "
                            "transformer.train ... --data-parallel")
    run = p.add_argument_group("run folder")
    run.add_argument("--out", help="run folder (default: runs/<task or corpus>-<time>)")
    run.add_argument("--resume", metavar="RUN", help="continue the run in this folder")
    run.add_argument("--save-every", type=int,
                     help=f"checkpoint every N steps (default: {DEFAULTS.save_every})")
    run.add_argument("--log-every", type=int,
                     help=f"metrics line every N steps (default: {DEFAULTS.log_every})")
    run.add_argument("--eval-limit", type=int,
                     help="score at most this many validation sentences per epoch")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    return vars(p.parse_args(argv))


def new_settings(given) -> TrainSettings:
    """A new run's settings: its task's preset (none for a corpus) under what
    the command line gave."""
    corpus = given.get("train") or given.get("train_tsv")
    return TrainSettings.preset(None if corpus else given.get("task", DEFAULTS.task), **given)


def resumed_settings(state, given) -> TrainSettings:
    """A checkpoint's settings, with what a resumed run may change."""
    saved = TrainSettings.from_checkpoint(dict(state["settings"]), state["path"])
    changes = {key: given.get(key, getattr(DEFAULTS, key)) for key in THIS_INVOCATION}
    if "epochs" in given:
        changes["epochs"] = given["epochs"]
    return replace(saved, **changes)


def check_device(device):
    if device != "cpu":
        try:
            ag.backend.parse_device(device)          # fail early on a missing GPU
        except RuntimeError as e:
            raise UsageError(f"--device {device}: {e}") from None


def load_data(s):
    """The text pairs of each split, from the task or the corpus files."""
    if not s.corpus:
        splits = make_task(s.task, seed=s.seed, n_train=s.task_size, n_valid=s.eval_size,
                           n_test=s.eval_size)
        return {"train": splits.train, "valid": splits.valid, "test": splits.test}

    def read(files, tsv, name):
        if tsv:
            return read_tsv(tsv)
        if files:
            return read_parallel(*files)
        if name == "valid":
            raise UsageError("a corpus needs a validation split: pass --valid SRC TGT or "
                             "--valid-tsv FILE")
        return None
    splits = {name: read(getattr(s, name), getattr(s, f"{name}_tsv"), name)
              for name in ("train", "valid", "test")}
    for name, corpus in splits.items():
        if corpus is not None and corpus.skipped_empty:
            print(f"{name}: skipped {corpus.skipped_empty} line pairs with an empty side")
    pairs = {k: (v.pairs if v is not None else None) for k, v in splits.items()}
    if pairs["test"] is None:
        pairs["test"] = pairs["valid"]
    return pairs


def build(s, pairs):
    """Tokenizers, vocabularies, encoded splits, model config."""
    src_tok = WordTokenizer(lowercase=s.lowercase, split_punctuation=s.corpus)
    tgt_tok = WordTokenizer(lowercase=s.lowercase, split_punctuation=s.corpus)
    src_vocab = Vocab.build([src_tok.tokenize(a) for a, _ in pairs["train"]], s.min_freq)
    tgt_vocab = Vocab.build([tgt_tok.tokenize(b) for _, b in pairs["train"]], s.min_freq)
    encoded = {name: encode_pairs(pairs[name], src_tok, tgt_tok, src_vocab, tgt_vocab,
                                  s.max_len) for name in ("train", "valid")}
    for name, e in encoded.items():
        if e.too_long:
            print(f"{name}: filtered {e.too_long} pairs longer than {s.max_len} tokens")
    if not encoded["train"].src:
        raise UsageError("no training pairs left (all empty or too long)")
    overrides = dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                     max_len=s.max_len, pad_id=Vocab.pad_id, norm_first=s.norm_first)
    if s.dropout is not None:
        overrides.update(dropout=s.dropout, attention_dropout=s.dropout)
    config = TransformerConfig.preset(s.model, **overrides)
    return (src_tok, tgt_tok, src_vocab, tgt_vocab), encoded, config


def make_optimizer(s, model):
    """Adam (betas 0.9/0.98, eps 1e-9, as the paper) at the settings' peak lr,
    and the chosen schedule, whose factor rises to 1 at the end of warmup."""
    opt = nn.optim.Adam(model.parameters(), lr=s.peak_lr, betas=(0.9, 0.98), eps=1e-9)
    if s.schedule == "noam":
        return opt, nn.optim.NoamSchedule(opt, model.config.d_model, s.warmup, peak_lr=s.peak_lr)
    if s.schedule == "cosine":
        return opt, nn.optim.WarmupCosineSchedule(opt, s.warmup, s.schedule_steps)
    return opt, nn.optim.ConstantSchedule(opt, warmup_steps=s.warmup)


def _new_run_folder(s):
    if s.out:
        out = s.out
        if os.path.exists(os.path.join(out, checkpoint.LAST)):
            raise UsageError(f"{out} already holds a run; continue it with --resume {out}, "
                             "or choose another --out")
    else:
        name = "corpus" if s.corpus else s.task
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
    given = parse_args(argv)
    try:
        return run(given)
    except nn.parallel.CommunicationError as e:        # a lost rank, a collective timed out
        print(f"error: {e}", file=sys.stderr)
        nn.parallel.abort(3)
    except (UsageError, ValueError, FileNotFoundError, nn.CheckpointError, KeyError,
            nn.parallel.ParallelError) as e:
        if not isinstance(e, nn.parallel.DisagreementError) or nn.parallel.rank() == 0:
            print(f"error: {e}", file=sys.stderr)        # (every rank sees a disagreement)
        return 2


def run(given):
    """Prepare the run (new or resumed), train it, report on the test split."""
    parallel = data_parallel.start(given.pop("data_parallel", False))
    resume = given.pop("resume", None)
    state = checkpoint.load_run(resume, prefer=checkpoint.LAST) if resume else None
    if state:
        parallel.check_resume(state)
    s = resumed_settings(state, given) if state else new_settings(given)
    check_device(s.device)
    pairs = load_data(s)
    tokenizers, encoded, config = build(s, pairs)
    if state is None:
        steps_per_epoch = len(parallel.shard(make_batches(encoded["train"], s.max_tokens,
                                                          s.seed, 0)))
        if not steps_per_epoch:
            raise UsageError(f"an epoch has fewer batches than the {parallel.size} ranks: "
                             "lower --max-tokens, or run fewer ranks")
        s = s.resolve(steps_per_epoch, config.d_model)
        run_dir = parallel.from_writer(_new_run_folder(s))
    else:
        _check_config(state, config)
        run_dir = os.path.dirname(state["path"])
    parallel.agree(asdict(s), config.to_dict(), tokenizers, state)
    trainer = make_trainer(s, config, tokenizers, encoded, pairs, run_dir, state, parallel)
    if parallel.writes:
        _write_settings(run_dir, s, config)
    _print_run(run_dir, s, trainer, encoded)
    progress = trainer.fit()
    if progress.epoch < s.epochs:
        print(f"stopped at step {progress.step} (epoch {progress.epoch + 1}); continue with: "
              f"{_command(parallel)} --resume {run_dir}")
        return 0
    if parallel.writes:
        report(trainer, pairs["test"])
    return 0


def _command(parallel):
    if parallel.size == 1:
        return "python -m transformer.train"
    return f"mpiexec -n {parallel.size} python -m transformer.train --data-parallel"


def _check_config(state, config):
    saved = TransformerConfig.from_dict(dict(state["config"]))
    if saved != config:
        raise UsageError(f"{state['path']}: the checkpoint's model ({saved}) does not match "
                         f"the data it was trained on ({config})")


def make_trainer(s, config, tokenizers, encoded, pairs, run_dir, state=None, parallel=None):
    """The model (seeded, or the checkpoint's weights), its optimizer and
    schedule, and a Trainer restored to where the checkpoint stopped
    (data-parallel: rank 0's weights and state on every rank)."""
    parallel = parallel or data_parallel.SingleProcess()
    ag.manual_seed(s.seed)
    model = Transformer(config)
    if state is not None:
        model.load_state_dict(state["model"])
    model.to(parallel.device(s.device))
    translator = Translator(model, *tokenizers)
    optimizer, schedule = make_optimizer(s, model)
    data = {"train": encoded["train"], "valid": encoded["valid"],
            "valid_pairs": pairs["valid"], "test_pairs": pairs["test"]}
    if parallel.writes:
        os.makedirs(run_dir, exist_ok=True)
    trainer = Trainer(run_dir, model, optimizer, schedule, data, translator, s, parallel=parallel)
    if state is not None:
        trainer.restore(state)
        if parallel.writes:
            _trim_metrics(trainer.metrics_path, trainer.progress.step)
        print(f"resuming {run_dir} at epoch {trainer.progress.epoch + 1}, "
              f"step {trainer.progress.step}")
    parallel.start(model, optimizer, s.seed, state)
    return trainer


def _print_run(run_dir, s, trainer, encoded):
    t, config = trainer.translator, trainer.model.config
    limit = f", at most {s.max_steps} steps" if s.max_steps else ""
    print(f"run folder: {run_dir}")
    print(f"settings: {s.epochs} epochs{limit}, {s.schedule} schedule (peak lr {s.peak_lr:.2e}, "
          f"warmup {s.warmup}), dropout {config.dropout}, label smoothing {s.label_smoothing}, "
          f"batches of {s.max_tokens} tokens, seed {s.seed}")
    print(f"model: {trainer.model.num_parameters():,} parameters ({s.model}), source vocabulary "
          f"{len(t.src_vocab)}, target vocabulary {len(t.tgt_vocab)}, "
          f"{len(encoded['train'].src):,} training pairs, device {s.device}")
    if trainer.parallel.describe():
        print(trainer.parallel.describe())


def _write_settings(run_dir, s, config):
    path = os.path.join(run_dir, "settings.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"settings": asdict(s), "config": config.to_dict()}, f, indent=2)
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
