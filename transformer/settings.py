"""The settings of a training run: what ``python -m transformer.train``
takes, with commented defaults, per-task presets, and the values derived
from them once when a run starts. Every checkpoint holds them
(``dataclasses.asdict``), so a resumed run continues with the same ones."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from nn.optim import NoamSchedule

from . import checks
from .config import PRESETS as MODEL_PRESETS
from .tasks import TASKS

SCHEDULES = ("noam", "cosine", "constant")
SUBWORDS = ("bpe", "unigram", "none")
DEFAULT_PEAK_LR = 5e-4           # cosine and constant schedules without an lr


@dataclass(frozen=True)
class TrainSettings:
    # -- data: a built-in task, or corpus files --------------------------------------------
    task: str = "toy-pair"           # one of transformer.tasks.TASKS; unused with a corpus
    task_size: int = 10_000          # training pairs generated for a built-in task
    eval_size: int = 500             # validation and test pairs of a built-in task
    train: list | None = None        # [SRC, TGT]: aligned training files (plain or .gz)
    valid: list | None = None        # [SRC, TGT]: validation files (a corpus needs them)
    test: list | None = None         # [SRC, TGT]: test files (None: the validation split)
    train_tsv: str | None = None     # or: tab-separated source<TAB>target files
    valid_tsv: str | None = None
    test_tsv: str | None = None
    lowercase: bool = False          # lower-case the text
    subword: str = "none"            # "bpe" or "unigram": SentencePiece pieces (subword.py; the
                                     # default of a corpus); "none": words (tokenizer.py)
    vocab_size: int | None = None    # pieces of a subword vocabulary, exactly (None: at most
                                     # 8000, fewer for a small text); with words, a cap on each
                                     # vocabulary (None: every word kept)
    separate_vocabularies: bool = False  # subwords: one model per side, not one joint model
    min_freq: int = 1                # words: rarer ones become <unk>
    max_len: int = 64                # longest sentence in tokens (+2 for <bos>/<eos>)
    # -- model -----------------------------------------------------------------------------
    model: str = "tiny"              # size preset of TransformerConfig
    dropout: float | None = None     # None: the preset's (0.1)
    norm_first: bool = False         # pre-norm instead of the paper's post-norm
    share_embeddings: bool = False   # one matrix for the source, target and output embeddings
                                     # (needs one joint vocabulary)
    # -- training --------------------------------------------------------------------------
    epochs: int = 10
    max_steps: int | None = None     # stop after this many updates (None: run all epochs)
    max_tokens: int = 4096           # token budget of a batch (padded, per side)
    schedule: str = "noam"           # noam (the paper's), cosine (decays to 0 at the last
                                     # step) or constant, each after a linear warmup
    lr: float | None = None          # the peak lr asked for; None: noam's paper value
                                     # d_model^-0.5 * warmup^-0.5, else DEFAULT_PEAK_LR
    warmup: int = 400                # warmup steps asked for (shortened to a tenth of the run
                                     # when longer than the run: warmup_steps)
    label_smoothing: float = 0.1     # paper: 0.1
    clip_norm: float = 1.0           # gradient norm clip; 0 disables clipping
    device: str = "cpu"              # cpu, cuda or cuda:N
    seed: int = 0                    # model init, dropout, generated tasks, batch order
    # -- run folder ------------------------------------------------------------------------
    out: str | None = None           # None: runs/<task or corpus>-<time>
    save_every: int = 500            # checkpoint every N steps (0: at epoch ends only)
    log_every: int = 10              # a metrics line every N steps (and at the last step of
                                     # every epoch and of the run)
    keep_epochs: int = 0             # keep the model of each of the last N epochs
                                     # (epochN.npz) for python -m transformer.average
    tensorboard: bool = False        # also write TensorBoard events to RUN/tensorboard
    eval_limit: int | None = None    # score at most this many validation sentences per epoch
                                     # (None or 0: all of them)
    quiet: bool = False              # no progress bar (nor is there one when the output is not
                                     # a terminal)
    # -- derived by resolve() when a run starts; a resumed run keeps them -----------------
    metric: str | None = None        # "exact_match" (built-in tasks) or "bleu" (corpora)
    steps_per_epoch: int | None = None   # batches of one epoch
    schedule_steps: int | None = None    # cosine: the step where the decay reaches 0
    peak_lr: float | None = None     # the lr at the end of warmup (lr, or its default)
    warmup_steps: int | None = None  # the warmup the run uses: warmup, or a tenth of the run
                                     # when warmup is longer than the run

    def __post_init__(self):
        """The one validation step of the training settings: every number a
        run takes, checked before anything is built or written."""
        for name, choices in (("schedule", SCHEDULES), ("model", sorted(MODEL_PRESETS)),
                              ("subword", SUBWORDS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"--{name} must be one of {', '.join(choices)}, "
                                 f"got {getattr(self, name)!r}")
        checks.check_args(self, _CHECKS)
        if self.schedule == "noam" and self.warmup == 0:
            raise ValueError("--warmup must be at least 1 with the noam schedule, got 0")
        self._check_vocabularies()

    def _check_vocabularies(self):
        words = self.subword == "none"
        if words and self.separate_vocabularies:
            raise ValueError("--separate-vocabularies applies to subword vocabularies "
                             "(--subword bpe or unigram); word vocabularies are always separate")
        if not words and self.min_freq != 1:
            raise ValueError(f"--min-freq applies to word vocabularies (--subword none); "
                             f"--subword {self.subword} has no rare words: set --vocab-size")
        if self.share_embeddings and (words or self.separate_vocabularies):
            raise ValueError("--share-embeddings needs one vocabulary for both sides: a joint "
                             "subword vocabulary (--subword bpe or unigram, without "
                             "--separate-vocabularies)")

    @property
    def corpus(self) -> bool:
        """True when the run trains on corpus files rather than a built-in task."""
        return bool(self.train or self.train_tsv)

    @property
    def resolved(self) -> bool:
        return None not in (self.metric, self.steps_per_epoch, self.peak_lr, self.warmup_steps)

    @property
    def planned_steps(self) -> int:
        """The updates the run plans: --max-steps, or all its epochs (resolved settings)."""
        return self.max_steps or self.epochs * self.steps_per_epoch

    @classmethod
    def preset(cls, name: str | None, **overrides) -> "TrainSettings":
        """The defaults of the built-in task ``name`` (PRESETS), or the plain
        ones for a corpus (``name=None``), with ``overrides``."""
        if name is None:
            return cls(**{**CORPUS_PRESET, **overrides})
        if name not in TASKS:
            raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
        return cls(**{"task": name, **PRESETS.get(name, {}), **overrides})

    def resolve(self, steps_per_epoch: int, d_model: int) -> "TrainSettings":
        """These settings with their derived values, set here and only here,
        once when a run starts (fixing the schedule's length, so that a
        resumed run decays alike). A warmup longer than the run is shortened
        to a tenth of it (``warmup_steps``); the peak stays the one asked for
        (noam's default is the paper's for the ``warmup`` asked)."""
        if self.lr is not None:
            peak = self.lr
        elif self.schedule == "noam":
            peak = NoamSchedule.paper_peak_lr(d_model, self.warmup)
        else:
            peak = DEFAULT_PEAK_LR
        steps = self.max_steps or self.epochs * steps_per_epoch
        warmup = self.warmup if self.warmup <= steps else max(1, steps // 10)
        length = max(steps, warmup + 1) if self.schedule == "cosine" else None
        return replace(self, metric="bleu" if self.corpus else "exact_match",
                       steps_per_epoch=steps_per_epoch, schedule_steps=length, peak_lr=peak,
                       warmup_steps=warmup)

    def warmup_note(self) -> str | None:
        """What a shortened warmup says when the run starts (resolved settings)."""
        if self.warmup_steps == self.warmup:
            return None
        return (f"note: --warmup {self.warmup} is longer than this run's {self.planned_steps} "
                f"steps, which would never reach the peak lr; warming up over "
                f"{steps(self.warmup_steps)} instead (a tenth of the run)")

    @classmethod
    def from_checkpoint(cls, saved: dict, path) -> "TrainSettings":
        """The settings a checkpoint (``path``) holds, checked: every field
        present, none unknown, the derived values set."""
        names = [f.name for f in fields(cls)]
        saved = {**_added_since_version_1(saved), **saved}
        unknown = sorted(set(saved) - set(names))
        missing = [n for n in names if n not in saved]
        if unknown or missing:
            what = "; ".join(f"{kind} {items}" for kind, items in
                             (("unknown fields", unknown), ("missing fields", missing)) if items)
            raise ValueError(f"{path}: the checkpoint's training settings do not fit this "
                             f"gradformer's TrainSettings: {what}")
        try:
            settings = cls(**saved)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        if not settings.resolved:
            raise ValueError(f"{path}: the checkpoint's training settings lack their derived "
                             "values (metric, steps_per_epoch, peak_lr, warmup_steps)")
        return settings


def steps(n: int) -> str:
    return f"{n} step{'' if n == 1 else 's'}"


def _added_since_version_1(saved) -> dict:
    """The settings added after the first checkpoints were written, with what
    those runs did (word vocabularies, the warmup as given)."""
    return dict(subword="none", vocab_size=None, separate_vocabularies=False,
                share_embeddings=False, keep_epochs=0, tensorboard=False,
                warmup_steps=saved.get("warmup"))


def _at_least(low):
    return lambda name, value: checks.at_least(name, value, low)


# Each setting's check (None, where allowed, means "not set" and is not checked).
_CHECKS = {
    "task_size": _at_least(1), "eval_size": _at_least(1), "min_freq": _at_least(1),
    "max_len": _at_least(1), "dropout": checks.fraction, "epochs": _at_least(1),
    "max_steps": _at_least(1), "max_tokens": _at_least(1), "lr": checks.positive,
    "warmup": _at_least(0), "label_smoothing": checks.fraction,
    "clip_norm": lambda name, value: checks.positive(name, value, or_zero="no clipping"),
    "seed": _at_least(0), "out": checks.non_empty, "save_every": _at_least(0),
    "log_every": _at_least(1), "eval_limit": _at_least(0), "vocab_size": _at_least(5),
    "keep_epochs": _at_least(0), "warmup_steps": _at_least(0),
    "steps_per_epoch": _at_least(1), "schedule_steps": _at_least(1), "peak_lr": checks.positive,
}

# Where the built-in tasks depart from the defaults: the symbol tasks are
# deterministic (no dropout) and reach 100% with a lower peak and a decay to zero;
# the toy pair's 12 epochs are 288 steps, so its warmup ends at step 100.
_SYMBOL_TASK = dict(epochs=30, max_tokens=1024, schedule="cosine", lr=1e-3, dropout=0.0)
# A corpus (--train) trains on a joint BPE vocabulary of subword.DEFAULT_VOCAB_SIZE pieces.
CORPUS_PRESET = dict(subword="bpe")
PRESETS = {"toy-pair": dict(epochs=12, warmup=100, lr=5e-3), "copy": _SYMBOL_TASK,
           "reverse": _SYMBOL_TASK, "sort": _SYMBOL_TASK}
