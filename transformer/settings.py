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
    min_freq: int = 1                # rarer words become <unk>
    max_len: int = 64                # longest sentence in tokens (+2 for <bos>/<eos>)
    # -- model -----------------------------------------------------------------------------
    model: str = "tiny"              # size preset of TransformerConfig
    dropout: float | None = None     # None: the preset's (0.1)
    norm_first: bool = False         # pre-norm instead of the paper's post-norm
    # -- training --------------------------------------------------------------------------
    epochs: int = 10
    max_steps: int | None = None     # stop after this many updates (None: run all epochs)
    max_tokens: int = 4096           # token budget of a batch (padded, per side)
    schedule: str = "noam"           # noam (the paper's), cosine (decays to 0 at the last
                                     # step) or constant, each after a linear warmup
    lr: float | None = None          # the peak lr asked for; None: noam's paper value
                                     # d_model^-0.5 * warmup^-0.5, else DEFAULT_PEAK_LR
    warmup: int = 400                # warmup steps
    label_smoothing: float = 0.1     # paper: 0.1
    clip_norm: float = 1.0           # gradient norm clip; 0 disables clipping
    device: str = "cpu"              # cpu, cuda or cuda:N
    seed: int = 0                    # model init, dropout, generated tasks, batch order
    # -- run folder ------------------------------------------------------------------------
    out: str | None = None           # None: runs/<task or corpus>-<time>
    save_every: int = 500            # checkpoint every N steps (0: at epoch ends only)
    log_every: int = 10              # a metrics line every N steps
    eval_limit: int | None = None    # score at most this many validation sentences per epoch
                                     # (None or 0: all of them)
    quiet: bool = False              # no progress bar
    # -- derived by resolve() when a run starts; a resumed run keeps them -----------------
    metric: str | None = None        # "exact_match" (built-in tasks) or "bleu" (corpora)
    steps_per_epoch: int | None = None   # batches of one epoch
    schedule_steps: int | None = None    # cosine: the step where the decay reaches 0
    peak_lr: float | None = None     # the lr at the end of warmup (lr, or its default)

    def __post_init__(self):
        """The one validation step of the training settings: every number a
        run takes, checked before anything is built or written."""
        if self.schedule not in SCHEDULES:
            raise ValueError(f"--schedule must be one of {', '.join(SCHEDULES)}, "
                             f"got {self.schedule!r}")
        if self.model not in MODEL_PRESETS:
            raise ValueError(f"--model must be one of {sorted(MODEL_PRESETS)}, "
                             f"got {self.model!r}")
        checks.check_args(self, _CHECKS)
        if self.schedule == "noam" and self.warmup == 0:
            raise ValueError("--warmup must be at least 1 with the noam schedule, got 0")

    @property
    def corpus(self) -> bool:
        """True when the run trains on corpus files rather than a built-in task."""
        return bool(self.train or self.train_tsv)

    @property
    def resolved(self) -> bool:
        return None not in (self.metric, self.steps_per_epoch, self.peak_lr)

    @classmethod
    def preset(cls, name: str | None, **overrides) -> "TrainSettings":
        """The defaults of the built-in task ``name`` (PRESETS), or the plain
        ones for a corpus (``name=None``), with ``overrides``."""
        if name is None:
            return cls(**overrides)
        if name not in TASKS:
            raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
        return cls(**{"task": name, **PRESETS.get(name, {}), **overrides})

    def resolve(self, steps_per_epoch: int, d_model: int) -> "TrainSettings":
        """These settings with their derived values, set here and only here,
        once when a run starts (fixing the schedule's length, so that a
        resumed run decays alike)."""
        if self.lr is not None:
            peak = self.lr
        elif self.schedule == "noam":
            peak = NoamSchedule.paper_peak_lr(d_model, self.warmup)
        else:
            peak = DEFAULT_PEAK_LR
        length = None
        if self.schedule == "cosine":
            length = max(self.max_steps or self.epochs * steps_per_epoch, self.warmup + 1)
        return replace(self, metric="bleu" if self.corpus else "exact_match",
                       steps_per_epoch=steps_per_epoch, schedule_steps=length, peak_lr=peak)

    @classmethod
    def from_checkpoint(cls, saved: dict, path) -> "TrainSettings":
        """The settings a checkpoint (``path``) holds, checked: every field
        present, none unknown, the derived values set."""
        names = [f.name for f in fields(cls)]
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
                             "values (metric, steps_per_epoch, peak_lr)")
        return settings


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
    "log_every": _at_least(1), "eval_limit": _at_least(0),
    "steps_per_epoch": _at_least(1), "schedule_steps": _at_least(1), "peak_lr": checks.positive,
}

# Where the built-in tasks depart from the defaults: the symbol tasks are
# deterministic (no dropout) and reach 100% with a lower peak and a decay to zero.
_SYMBOL_TASK = dict(epochs=30, max_tokens=1024, schedule="cosine", lr=1e-3, dropout=0.0)
PRESETS = {"toy-pair": dict(epochs=12), "copy": _SYMBOL_TASK, "reverse": _SYMBOL_TASK,
           "sort": _SYMBOL_TASK}
