"""Train a Transformer on a built-in toy task or on a parallel corpus.

    python -m transformer.train                         # the toy language pair, CPU, minutes
    python -m transformer.train --task reverse --epochs 5
    python -m transformer.train --train SRC TGT --valid SRC TGT --test SRC TGT   # joint BPE
    python -m transformer.train --resume runs/toy-pair  # continue exactly where it stopped
    python -m transformer.train --config runs/toy-pair/settings.json --seed 1   # run it again
    mpiexec -n 4 python -m transformer.train --data-parallel   # 4 ranks: data_parallel.py

The run folder holds checkpoints (last.npz, best.npz, and epochN.npz with
--keep-epochs), metrics.jsonl, loss.png, grad_norms.png, settings.json and a
corpus's SentencePiece model. Bad input gets a one-line error and exit code 2;
a run stopped by Ctrl-C or SIGTERM saves a checkpoint and exits with 130 or
143. A resumed run takes everything from its checkpoint (see resume.py).
"""
from __future__ import annotations

import os
import signal
import sys
from argparse import SUPPRESS, ArgumentParser
from dataclasses import asdict, dataclass, field

import autograd as ag
import nn

from . import checkpoint, data_parallel, run_folder, tensorboard_log
from .batching import encode_pairs, make_batches
from .cli import EXIT_USAGE, CommandError, run_command
from .config import PRESETS, TransformerConfig
from .corpus import read_parallel, read_tsv
from .model import Transformer
from .resume import (check_world_size, data_changes, fingerprint, resume_command,
                     resumed_settings)
from .settings import DEFAULT_PEAK_LR, SCHEDULES, SUBWORDS, TrainSettings, steps
from .subword import DEFAULT_VOCAB_SIZE, SubwordTokenizer
from .tasks import TASKS, make_task
from .tokenizer import Vocab, WordTokenizer
from .trainer import Trainer
from .translator import Translator

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
    data.add_argument("--subword", choices=SUBWORDS,
                      help="bpe or unigram: SentencePiece pieces trained on the training text "
                           "(a corpus's default: bpe, one joint model for both sides); none: "
                           "words (the built-in tasks' default)")
    data.add_argument("--vocab-size", type=int,
                      help="pieces of a subword vocabulary, exactly (default: at most "
                           f"{DEFAULT_VOCAB_SIZE}, fewer if the training text is too small); "
                           "with --subword none, a cap on each word vocabulary")
    data.add_argument("--separate-vocabularies", action="store_true",
                      help="subwords: one SentencePiece model per side instead of a joint one")
    data.add_argument("--min-freq", type=int,
                      help="with --subword none: rarer words become <unk>")
    data.add_argument("--max-len", type=int,
                      help="longest sentence in tokens (+2 for <bos>/<eos>; default "
                           f"{DEFAULTS.max_len}); longer pairs are filtered with a count")
    model = p.add_argument_group("model")
    model.add_argument("--model", choices=sorted(PRESETS),
                       help=f"size preset (default: {DEFAULTS.model})")
    model.add_argument("--dropout", type=float, help="default: the preset's 0.1")
    model.add_argument("--norm-first", action="store_true", help="pre-norm instead of post-norm")
    model.add_argument("--share-embeddings", action="store_true",
                       help="one matrix for the source, target and output embeddings (needs "
                            "the joint subword vocabulary)")
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
    train.add_argument("--clip-norm", type=float,
                       help=f"gradient norm clip (default {DEFAULTS.clip_norm:g}; 0 disables it)")
    train.add_argument("--device", help="cpu, cuda or cuda:N")
    train.add_argument("--seed", type=int)
    train.add_argument("--data-parallel", action="store_true",
                       help="run as one rank of a data-parallel job started by mpiexec "
                            "(pip install -e \".[mpi]\"): mpiexec -n 4 python -m "
                            "transformer.train ... --data-parallel")
    run = p.add_argument_group("run folder")
    run.add_argument("--out", help="run folder (default: runs/<task or corpus>-<time>)")
    run.add_argument("--config", metavar="SETTINGS_JSON",
                     help="start a new run with a recorded run's settings (its settings.json); "
                          "flags given beside it override them")
    run.add_argument("--resume", metavar="RUN", help="continue the run in this folder (its "
                     "settings come from its checkpoint; --device, --save-every, --log-every, "
                     "--keep-epochs, --tensorboard, --quiet, --epochs and --max-steps may be "
                     "given again, and --data-parallel on the run's number of ranks)")
    run.add_argument("--extend-schedule", action="store_true",
                     help="with --resume and more --epochs: stretch a cosine schedule's decay "
                          "to the new last step")
    run.add_argument("--save-every", type=int,
                     help=f"checkpoint every N steps (default: {DEFAULTS.save_every})")
    run.add_argument("--log-every", type=int,
                     help=f"metrics line every N steps (default: {DEFAULTS.log_every})")
    run.add_argument("--eval-limit", type=int,
                     help="score at most this many validation sentences per epoch (0: all)")
    run.add_argument("--keep-epochs", type=int,
                     help="keep the models of the last N epochs (epochN.npz) for python -m "
                          "transformer.average (default 0: none)")
    run.add_argument("--tensorboard", action="store_true",
                     help="also write TensorBoard events to RUN/tensorboard (pip install "
                          "tensorboardX)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar (there is none either when the output is not a "
                          "terminal)")
    return vars(p.parse_args(argv))


def new_settings(given) -> TrainSettings:
    """A new run's settings: its task's preset (the corpus preset for a
    corpus) under a recorded run's settings (``--config``) under what the
    command line gave."""
    config = given.pop("config", None)
    given = {**(run_folder.recorded_settings(config) if config else {}), **given}
    corpus = given.get("train") or given.get("train_tsv")
    return TrainSettings.preset(None if corpus else given.get("task", DEFAULTS.task), **given)


def check_device(device):
    if device != "cpu":
        try:
            ag.backend.parse_device(device)          # fail early on a missing GPU
        except RuntimeError as e:
            raise CommandError(f"--device {device}: {e}") from None


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
            raise CommandError("a corpus needs a validation split: pass --valid SRC TGT or "
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


def build_tokenizers(s, pairs):
    """A new run's tokenizers and vocabularies, from its training pairs only:
    words, or SentencePiece pieces (one joint model, or one per side)."""
    sources, targets = [a for a, _ in pairs["train"]], [b for _, b in pairs["train"]]
    if s.subword == "none":
        src_tok = WordTokenizer(lowercase=s.lowercase, split_punctuation=s.corpus)
        tgt_tok = WordTokenizer(lowercase=s.lowercase, split_punctuation=s.corpus)
        return (src_tok, tgt_tok,
                Vocab.build(map(src_tok.tokenize, sources), s.min_freq, s.vocab_size),
                Vocab.build(map(tgt_tok.tokenize, targets), s.min_freq, s.vocab_size))

    def trained(sentences):
        return SubwordTokenizer.train(sentences, s.subword, s.vocab_size or DEFAULT_VOCAB_SIZE,
                                      seed=s.seed, lowercase=s.lowercase,
                                      exact=s.vocab_size is not None)
    if s.separate_vocabularies:
        src_tok, tgt_tok = trained(sources), trained(targets)
    else:
        src_tok = tgt_tok = trained(sources + targets)
    return src_tok, tgt_tok, src_tok.vocab(), tgt_tok.vocab()


def encode(s, pairs, tokenizers):
    """The training and validation splits as token ids (too long ones counted)."""
    encoded = {name: encode_pairs(pairs[name], *tokenizers, s.max_len)
               for name in ("train", "valid")}
    for name, e in encoded.items():
        if e.too_long:
            print(f"{name}: filtered {e.too_long} pairs longer than {s.max_len} tokens")
    if not encoded["train"].src:
        raise CommandError("no training pairs left (all empty or too long)")
    return encoded


def model_config(s, tokenizers):
    """A new run's model: the size preset, fitted to the vocabularies."""
    src_vocab, tgt_vocab = tokenizers[2:]
    overrides = dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                     max_len=s.max_len, pad_id=Vocab.pad_id, norm_first=s.norm_first,
                     share_embeddings=s.share_embeddings)
    if s.dropout is not None:
        overrides.update(dropout=s.dropout, attention_dropout=s.dropout)
    return TransformerConfig.preset(s.model, **overrides)


def make_optimizer(s, model):
    """Adam (betas 0.9/0.98, eps 1e-9, as the paper) at the settings' peak lr,
    and the chosen schedule, whose factor rises to 1 at the end of warmup."""
    opt = nn.optim.Adam(model.parameters(), lr=s.peak_lr, betas=(0.9, 0.98), eps=1e-9)
    if s.schedule == "noam":
        return opt, nn.optim.NoamSchedule(opt, model.config.d_model, s.warmup_steps,
                                          peak_lr=s.peak_lr)
    if s.schedule == "cosine":
        return opt, nn.optim.WarmupCosineSchedule(opt, s.warmup_steps, s.schedule_steps)
    return opt, nn.optim.ConstantSchedule(opt, warmup_steps=s.warmup_steps)


@dataclass
class Setup:
    """Everything a run needs before its Trainer is made."""
    settings: TrainSettings
    config: TransformerConfig
    tokenizers: tuple               # (src_tokenizer, tgt_tokenizer, src_vocab, tgt_vocab)
    pairs: dict                     # split -> text pairs
    encoded: dict                   # "train"/"valid" -> Encoded
    run_dir: str
    state: dict = None              # the checkpoint of a resumed run
    parallel: data_parallel.SingleProcess = field(default_factory=data_parallel.SingleProcess)


def new_run(given, parallel) -> Setup:
    """A new run: settings checked, data read, vocabularies built, the ranks
    agreeing on them, and only then its run folder claimed (by rank 0)."""
    if given.pop("extend_schedule", False):
        raise CommandError("--extend-schedule applies to a resumed run (--resume RUN)")
    s = new_settings(given)
    check_device(s.device)
    if s.tensorboard:
        tensorboard_log.check_installed()
    pairs = load_data(s)
    tokenizers = build_tokenizers(s, pairs)
    encoded = encode(s, pairs, tokenizers)
    config = model_config(s, tokenizers)
    s = s.resolve(_steps_per_epoch(s, encoded, parallel), config.d_model)
    if s.warmup_note():
        print(s.warmup_note())
    parallel.agree(asdict(s), config.to_dict(), tokenizers, None)
    run_dir = parallel.on_writer(lambda: run_folder.claim(s.out, "corpus" if s.corpus
                                                          else s.task))
    return Setup(s, config, tokenizers, pairs, encoded, run_dir, parallel=parallel)


def _steps_per_epoch(s, encoded, parallel) -> int:
    """The updates of one epoch: this rank's share of its batches."""
    steps = len(parallel.shard(make_batches(encoded["train"], s.max_tokens, s.seed, 0)))
    if not steps:
        raise CommandError(f"an epoch has fewer batches than the {parallel.size} ranks: lower "
                           "--max-tokens, or run fewer ranks")
    return steps


def resumed_run(resume, given, parallel) -> Setup:
    """A resumed run: the checkpoint's settings, model and vocabularies (on
    its number of ranks); the data read again and encoded with those
    vocabularies. Rank 0 tidies the folder and says what changed."""
    state = checkpoint.load_run(resume, prefer=checkpoint.LAST, resume=True)
    check_world_size(state, parallel.size)
    if "config" in given:
        raise CommandError("--config starts a new run from recorded settings; a resumed run "
                           "takes its settings from its checkpoint")
    s = resumed_settings(state, given, given.pop("extend_schedule", False))
    check_device(s.device)
    if s.tensorboard:
        tensorboard_log.check_installed()
    run_dir = os.path.dirname(state["path"])
    for name in run_folder.clean(run_dir) if parallel.writes else ():
        print(f"removed {os.path.join(run_dir, name)}, left by a save that was killed")
    pairs = load_data(s)
    warning = data_changes(state, pairs)
    if warning and parallel.writes:
        print(warning, file=sys.stderr)
    parts = checkpoint.model_parts(state)
    encoded = encode(s, pairs, parts.tokenizers)
    parallel.agree(asdict(s), parts.config.to_dict(), parts.tokenizers, state)
    return Setup(s, parts.config, parts.tokenizers, pairs, encoded, run_dir, state, parallel)


def main(argv=None):
    return run_command(run_rank, parse_args(argv))


def run_rank(given):
    """``run`` on this rank, with the errors of a data-parallel job: a lost
    rank or a collective that timed out ends every rank (exit 3, as MPI's
    own shutdown could wait for ever); an error that every rank meets alike
    is said once, by rank 0."""
    try:
        return run(given)
    except nn.parallel.CommunicationError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        nn.parallel.abort(3)
    except (nn.parallel.DisagreementError, data_parallel.SaidByRankZero):
        if nn.parallel.rank() == 0:
            raise
        return EXIT_USAGE


def run(given):
    """Prepare the run (new or resumed), train it, report on the test split.
    Returns the exit code."""
    parallel = data_parallel.start(given.pop("data_parallel", False))
    resume = given.pop("resume", None)
    setup = (resumed_run(resume, given, parallel) if resume is not None
             else new_run(given, parallel))
    trainer = make_trainer(setup)
    if parallel.writes:
        run_folder.write_settings(setup.run_dir, setup.settings, setup.config)
        run_folder.write_tokenizers(setup.run_dir, *setup.tokenizers[:2])
    _print_run(setup, trainer)
    progress = trainer.fit()
    if trainer.stopped_by is not None or progress.epoch < setup.settings.epochs:
        return _stopped(trainer, setup.run_dir)
    if parallel.writes:
        s = setup.settings
        held_out = "test" if s.test or s.test_tsv or not s.corpus else "validation"
        report(trainer, setup.pairs["test"], held_out)
    return 0


def _stopped(trainer, run_dir) -> int:
    """Say where the run stopped and how to go on; 128 + the signal's number
    when a signal stopped it (130 Ctrl-C, 143 SIGTERM), as a shell reports."""
    p, signum = trainer.progress, trainer.stopped_by
    why = f" by {signal.Signals(signum).name}" if signum is not None else ""
    print(f"stopped{why} at step {p.step} (epoch {p.epoch + 1}); continue with: "
          f"{resume_command(trainer.parallel.size, run_dir)}", flush=True)
    return 0 if signum is None else 128 + signum


def make_trainer(setup: Setup):
    """The model (seeded, or the checkpoint's weights), its optimizer and
    schedule, and a Trainer restored to where the checkpoint stopped
    (data-parallel: rank 0's weights and state on every rank)."""
    s, state, parallel = setup.settings, setup.state, setup.parallel
    ag.manual_seed(s.seed)
    model = Transformer(setup.config)
    if state is not None:
        model.load_state_dict(state["model"])
    model.to(parallel.device(s.device))
    translator = Translator(model, *setup.tokenizers)
    optimizer, schedule = make_optimizer(s, model)
    data = {"train": setup.encoded["train"], "valid": setup.encoded["valid"],
            "valid_pairs": setup.pairs["valid"], "test_pairs": setup.pairs["test"],
            "fingerprint": fingerprint(setup.pairs)}
    trainer = Trainer(setup.run_dir, model, optimizer, schedule, data, translator, s,
                      parallel=parallel)
    if state is not None:
        trainer.restore(state)
        p = trainer.progress
        for note in trainer.metrics.trim_to(p.epoch, p.step) if parallel.writes else ():
            print(f"note: {note}")
        print(f"resuming {setup.run_dir} at epoch {p.epoch + 1}, step {p.step}")
    parallel.start(model, optimizer, s.seed, state)
    return trainer


def _print_run(setup, trainer):
    s, config = setup.settings, trainer.model.config
    limit = f", at most {s.max_steps} steps" if s.max_steps else ""
    print(f"run folder: {setup.run_dir}")
    print(f"settings: {s.epochs} epochs of {s.steps_per_epoch} steps{limit}, "
          f"{_schedule_line(s)}, dropout {config.dropout}, label smoothing {s.label_smoothing}, "
          f"batches of {s.max_tokens} tokens, seed {s.seed}")
    shared = ", shared embeddings" if config.share_embeddings else ""
    print(f"model: {trainer.model.num_parameters():,} parameters ({s.model}{shared}), "
          f"{_vocabularies_line(s, trainer.translator)}, "
          f"{len(setup.encoded['train'].src):,} training pairs, device {s.device}")
    if setup.parallel.describe():
        print(setup.parallel.describe())


def _schedule_line(s) -> str:
    """The schedule as it runs: the peak it reaches, at the step it reaches it."""
    then = {"noam": "then 1/sqrt(step)", "constant": "then constant",
            "cosine": f"then a cosine decay to 0 at step {s.schedule_steps}"}[s.schedule]
    return (f"{s.schedule} schedule (warmup {steps(s.warmup_steps)} to the peak lr "
            f"{s.peak_lr:.2e}, {then})")


def _vocabularies_line(s, t) -> str:
    if s.subword == "none":
        return f"source vocabulary {len(t.src_vocab)} words, target vocabulary " \
               f"{len(t.tgt_vocab)} words"
    if t.src_tokenizer is t.tgt_tokenizer or t.src_tokenizer == t.tgt_tokenizer:
        return f"one joint {s.subword} vocabulary of {len(t.src_vocab)} pieces"
    return (f"{s.subword} vocabularies of {len(t.src_vocab)} source and {len(t.tgt_vocab)} "
            "target pieces")


def report(trainer, test_pairs, held_out="test", samples=5):
    """The held-out score of the best checkpoint (on the test split, or the
    validation split of a corpus given none), and a few translations."""
    best = checkpoint.load_run(trainer.run, prefer=checkpoint.BEST)
    trainer.model.load_state_dict(best["model"])
    scores = trainer.score(test_pairs)
    if "exact_match" in scores:
        print(f"{held_out} exact match: {100 * scores['exact_match']:.2f}% on "
              f"{len(test_pairs)} held-out sentences (best epoch "
              f"{best['progress']['best_epoch']})")
    else:
        print(f"{held_out} BLEU {scores['bleu']:.2f} (tokenized, lower-cased; "
              f"{scores['bleu_signature']})")
        print(f"{held_out} sacreBLEU {scores['sacrebleu']:.2f} "
              f"({scores['sacrebleu_signature']})")
        print(f"{held_out} chrF {scores['chrf']:.2f} ({scores['chrf_signature']})")
    t = trainer.translator
    hyps = t.translate([src for src, _ in test_pairs[:samples]])
    for (src, ref), hyp in zip(test_pairs[:samples], hyps):
        print(f"  source     {src}\n  reference  {ref}\n  model      {hyp}\n")
    return scores


if __name__ == "__main__":
    sys.exit(main())
