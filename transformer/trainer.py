"""The Trainer: the training loop (steps, validation, metrics, checkpoints)
and resuming exactly where a run stopped.

Everything a run depends on is in its checkpoint, and the batches of an
epoch are a pure function of (seed, epoch), so a run stopped after any step
and resumed continues bit for bit as if it had never stopped (on the CPU).
"""
from __future__ import annotations

import math
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass

from tqdm import tqdm

import autograd as ag
import nn

from . import checkpoint, metrics, plots, tensorboard_log
from .batching import collate, make_batches
from .cli import writing
from .data_parallel import SingleProcess
from .metrics_log import MetricsLog
from .run_clock import RunClock


@dataclass
class Progress:
    """Where training stands (saved in every checkpoint)."""
    epoch: int = 0              # completed epochs
    batch_in_epoch: int = 0     # batches of the current epoch already trained on
    step: int = 0               # optimizer updates so far
    epoch_loss_sum: float = 0.0  # token-weighted train loss of the current epoch so far
    epoch_tokens: int = 0
    epoch_seconds: float = 0.0  # training time of the current epoch so far
    best_metric: float = None   # best validation metric (higher is better)
    best_epoch: int = None


class StopRequested(Exception):
    pass


class _StopSignals:
    """The first SIGINT (Ctrl-C) or SIGTERM (what ``timeout``, ``docker
    stop`` and Slurm send) asks the loop to save and stop after the current
    step; a second one stops at once. A repeat of the same signal within a
    second is the same one: under mpiexec each rank gets Ctrl-C from the
    terminal and again from the launcher (and a signal sent to the job's
    process group, from it and from the launcher)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    SAYS = {signal.SIGINT: "Ctrl-C: saving a checkpoint after this step (press again to abort)",
            signal.SIGTERM: "SIGTERM: saving a checkpoint after this step (send it again to "
                            "stop at once)"}
    same_signal_seconds = 1.0

    def __init__(self):
        self.received = None            # the signal number, once one came
        self._at = None                 # when it came (time.monotonic())

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        if self.received is not None:
            if signum == self.received and time.monotonic() - self._at < self.same_signal_seconds:
                return                           # the same one, delivered twice
            self._restore()
            signal.raise_signal(signum)          # the usual handler: KeyboardInterrupt, or exit
            return
        self.received, self._at = signum, time.monotonic()
        print("\n" + self.SAYS[signum], flush=True)

    def _restore(self):
        for s, handler in self._old.items():
            signal.signal(s, handler)

    def __exit__(self, *exc):
        self._restore()
        return False


class Trainer:
    def __init__(self, run, model, optimizer, schedule, data, translator, settings,
                 progress=None, log=print, parallel=None):
        """``run``: the run folder; ``data``: dict with "train"/"valid"
        Encoded splits and "valid_pairs" / "test_pairs" text pairs;
        ``settings``: the run's resolved ``TrainSettings`` (saved with it);
        ``parallel``: this rank of a data-parallel run (data_parallel.py)."""
        self.run, self.model, self.optimizer, self.schedule = run, model, optimizer, schedule
        self.data, self.translator, self.settings = data, translator, settings
        self.progress = progress or Progress()
        self.log = log
        self.pad_id = model.config.pad_id
        self.metrics = MetricsLog(run)
        self.stopped_by = None          # the signal that stopped fit(), if one did
        self.parallel = parallel or SingleProcess()
        self.clock = RunClock(settings.planned_steps, settings.steps_per_epoch)
        self.events = (tensorboard_log.EventWriter(run) if settings.tensorboard
                       and self.parallel.writes else None)

    # -- one step ---------------------------------------------------------------
    def train_step(self, src, tgt_in, tgt_out):
        """Forward, loss, backward, clip, update. Returns (loss, target
        tokens, the gradient norm before clipping as a 0-d tensor)."""
        s = self.settings
        self.model.train()
        logits = self.model(src, tgt_in)                                 # (B, T, V)
        loss = ag.cross_entropy(logits, tgt_out, ignore_index=self.pad_id,
                                label_smoothing=s.label_smoothing)
        self.optimizer.zero_grad()
        loss.backward()
        self.parallel.average_gradients(self.model)          # data-parallel: mean over ranks
        # --clip-norm 0: the norm alone (scaling by at most 1 changes nothing).
        norm = nn.clip_grad_norm_(self.model.parameters(), s.clip_norm or math.inf)
        self.optimizer.step()
        self.schedule.step()
        tokens = int((tgt_out != self.pad_id).sum().item())
        return (*self.parallel.mean_loss(loss.item(), tokens), norm)

    # -- the loop ---------------------------------------------------------------
    def fit(self):
        """Train until ``epochs`` or ``max_steps``; returns the Progress.
        SIGINT or SIGTERM saves a checkpoint and returns early, with the
        signal in ``stopped_by`` (data-parallel: on every rank, whichever
        rank it came to). A run that stops inside an epoch draws its loss
        curve there."""
        s, p = self.settings, self.progress
        with _StopSignals() as signals:
            try:
                while p.epoch < s.epochs:
                    self._train_epoch(signals)
                    self._end_epoch()
            except StopRequested:
                self.save(checkpoint.LAST)
                self._draw_loss()
            finally:
                if self.events is not None:
                    self.events.close()
            self.stopped_by = self.parallel.first(signals.received)
        return p

    def _stop_now(self, signals):
        max_steps = self.settings.max_steps
        return self.parallel.any(signals.received is not None) or (
            max_steps is not None and self.progress.step >= max_steps)

    def _train_epoch(self, signals):
        """The rest of the current epoch, from where its progress stands."""
        s, p = self.settings, self.progress
        batches = self.parallel.shard(make_batches(self.data["train"], s.max_tokens, seed=s.seed,
                                                   epoch=p.epoch))
        if self._stop_now(signals):
            raise StopRequested
        bar = tqdm(total=len(batches), initial=p.batch_in_epoch,
                   desc=f"epoch {p.epoch + 1}/{s.epochs}", unit="batch", dynamic_ncols=True,
                   disable=not self._shows_bar(), mininterval=0.5)
        seen_tokens, t0 = 0, time.perf_counter()
        try:
            for index in range(p.batch_in_epoch, len(batches)):
                final = self._is_final(index, len(batches))
                loss, tokens, norm = self._train_batch(batches, index, final)
                seen_tokens += tokens
                self._after_step(bar, loss, norm, seen_tokens / (time.perf_counter() - t0), final)
                if self._stop_now(signals):
                    raise StopRequested
        finally:
            bar.close()

    def _shows_bar(self) -> bool:
        """The progress bar: not with --quiet, nor when the output goes to a
        file or a pipe rather than a terminal, nor on ranks other than 0."""
        interactive = sys.stdout.isatty() and sys.stderr.isatty()
        return interactive and not self.settings.quiet and self.parallel.writes

    def _is_final(self, index, n_batches) -> bool:
        """The epoch's last batch, or the run's (--max-steps): its step is
        always logged and its gradient norms drawn."""
        return index == n_batches - 1 or self.progress.step + 1 == self.settings.max_steps

    def _train_batch(self, batches, index, final):
        """One timed step on batch ``index`` of the epoch, counted in the
        progress; a ``final`` one also draws the gradient norms (rank 0)."""
        p = self.progress
        src, tgt_in, tgt_out = collate(self.data["train"], batches[index], pad_id=self.pad_id,
                                       device=self.model.device)
        norms = plots.GradientNorms(self.model) if final and self.parallel.writes else None
        step_start = time.perf_counter()
        loss, tokens, norm = self.train_step(src, tgt_in, tgt_out)
        seconds = time.perf_counter() - step_start
        p.epoch_seconds += seconds
        self.clock.stepped(seconds)
        if norms is not None:
            norms.remove()
            self._draw(plots.gradient_norms_plot(norms.norms, title=(
                f"gradient norm per parameter, step {p.step + 1} (epoch {p.epoch + 1})")),
                "grad_norms.png")
        p.step += 1
        p.batch_in_epoch = index + 1
        p.epoch_loss_sum += loss * tokens
        p.epoch_tokens += tokens
        return loss, tokens, norm

    def _after_step(self, bar, loss, norm, tokens_per_second, final):
        """The progress bar, a metrics line every log_every steps (and at a
        final step), a checkpoint every save_every steps."""
        s, p = self.settings, self.progress
        lr = self.optimizer.param_groups[0]["lr"]
        bar.update(1)
        if not bar.disable:
            bar.set_postfix_str(f"loss {loss:.3f}, lr {lr:.2e}, {tokens_per_second:,.0f} tok/s; "
                                f"{self.clock.status(p.step)}", refresh=False)
        if p.step % s.log_every == 0 or final:
            self._append({"kind": "step", "step": p.step, "epoch": p.epoch + 1, "loss": loss,
                          "lr": lr, "grad_norm": float(norm.item()),
                          "tokens_per_s": tokens_per_second, "time": time.time()})
        if s.save_every and p.step % s.save_every == 0:
            self.save(checkpoint.LAST)

    def _end_epoch(self):
        s, p = self.settings, self.progress
        train_seconds = p.epoch_seconds
        train_loss = p.epoch_loss_sum / max(p.epoch_tokens, 1)
        start = time.perf_counter()
        valid_loss = self.mean_nll(self.data["valid"])
        scores = self.parallel.from_writer(self.score(self.data["valid_pairs"], limit=s.eval_limit))
        self.clock.valid_seconds = time.perf_counter() - start
        p.epoch += 1
        p.batch_in_epoch, p.epoch_loss_sum, p.epoch_tokens, p.epoch_seconds = 0, 0.0, 0, 0.0
        record = {"kind": "epoch", "epoch": p.epoch, "step": p.step, "train_loss": train_loss,
                  "train_seconds": train_seconds, "valid_seconds": self.clock.valid_seconds,
                  "valid_loss": valid_loss, "valid_ppl": metrics.perplexity(valid_loss),
                  "lr": self.optimizer.param_groups[0]["lr"], **scores, "time": time.time()}
        self._append(record)
        left = "" if p.epoch == s.epochs else f" | {self.clock.status(p.step)}"
        self.log(format_epoch(record) + left)
        self._draw_loss()
        metric = scores[s.metric]
        if p.best_metric is None or metric > p.best_metric:
            p.best_metric, p.best_epoch = metric, p.epoch
            self.save(checkpoint.BEST)
        self._save_epoch_model()
        self.save(checkpoint.LAST)

    # -- evaluation -------------------------------------------------------------
    @ag.no_grad()
    def mean_nll(self, encoded):
        """Per-token negative log-likelihood of a split (no dropout, no smoothing)."""
        self.model.eval()
        total, tokens = 0.0, 0
        for batch in make_batches(encoded, self.settings.max_tokens, seed=0, epoch=0,
                                  shuffle=False):
            src, tgt_in, tgt_out = collate(encoded, batch, pad_id=self.pad_id,
                                           device=self.model.device)
            loss = ag.cross_entropy(self.model(src, tgt_in), tgt_out, ignore_index=self.pad_id,
                                    reduction="sum")
            total += loss.item()
            tokens += int((tgt_out != self.pad_id).sum().item())
        return total / max(tokens, 1)

    def score(self, pairs, limit=None, beam=1):
        """Translate the sources of ``pairs``; exact match for synthetic
        tasks, BLEU (tokenized lower-cased, and sacreBLEU) and chrF for text."""
        pairs = pairs[:limit] if limit else pairs
        t = self.translator
        hyps = t.translate_tokens([t.src_tokenizer.tokenize(src) for src, _ in pairs], beam=beam)
        if self.settings.metric == "exact_match":
            refs = [t.tgt_tokenizer.tokenize(tgt) for _, tgt in pairs]
            return {"exact_match": metrics.exact_match(hyps, refs)}
        return metrics.bleu_scores([t.tgt_tokenizer.detokenize(h) for h in hyps],
                                   [tgt for _, tgt in pairs], t.tgt_tokenizer.lowercase)

    # -- files ------------------------------------------------------------------
    def model_state(self) -> dict:
        """What translate, evaluate and average read: the model, its config,
        tokenizers and vocabularies (with the settings and progress, for people)."""
        t = self.translator
        return {"config": self.model.config.to_dict(), "model": self.model.state_dict(),
                "src_tokenizer": t.src_tokenizer.to_dict(), "tgt_tokenizer": t.tgt_tokenizer.to_dict(),
                "src_vocab": t.src_vocab.to_dict(), "tgt_vocab": t.tgt_vocab.to_dict(),
                "settings": asdict(self.settings), "progress": asdict(self.progress)}

    def state(self) -> dict:
        """A whole checkpoint: the model's state and everything to resume."""
        return {**self.model_state(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": ag.get_rng_state(),
                "data_sha256": self.data.get("fingerprint"), **self.parallel.state()}

    def save(self, name):
        """Write checkpoint ``name`` atomically (rank 0; every rank takes part
        in gathering its state): an OS error names it, and says that the
        previous one (if any) is intact."""
        state = self.state()
        if not self.parallel.writes:
            return
        path = os.path.join(self.run, name)
        with writing(path, intact=os.path.exists(path)):
            checkpoint.save_run(path, state)

    def _save_epoch_model(self):
        """epochN.npz, the model after this epoch, for ``python -m
        transformer.average``; only the last ``keep_epochs`` are kept (rank 0)."""
        keep = self.settings.keep_epochs
        if not keep or not self.parallel.writes:
            return
        path = os.path.join(self.run, checkpoint.epoch_name(self.progress.epoch))
        with writing(path):
            checkpoint.save_run(path, self.model_state())
            for old in checkpoint.epoch_files(self.run)[:-keep]:
                os.unlink(old)

    def _draw_loss(self):
        self._draw(plots.loss_curve(self.metrics.records()) if self.parallel.writes else None,
                   "loss.png")

    def _draw(self, figure, name):
        """Write a picture of the run folder (rank 0 makes them)."""
        if figure is None:
            return
        path = os.path.join(self.run, name)
        with writing(path):
            plots.save(figure, path)

    def restore(self, state):
        """Continue from a checkpoint's optimizer, schedule, generators and
        position (the model's weights are loaded by the caller)."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        ag.set_rng_state(dict(state["rng"]))
        try:
            self.progress = Progress(**dict(state["progress"]))
        except TypeError as e:
            raise nn.CheckpointError(f"{state['path']}: entry progress: {e}") from None

    def _append(self, record):
        if not self.parallel.writes:
            return
        with writing(self.metrics.path):
            self.metrics.append(record)
        if self.events is not None:
            self.events.write(record)


def format_epoch(r) -> str:
    """An epoch's line; its BLEU signatures are in metrics.jsonl and the test lines."""
    line = (f"epoch {r['epoch']:>3} | step {r['step']:>6} | train loss {r['train_loss']:.4f} | "
            f"valid loss {r['valid_loss']:.4f} ppl {r['valid_ppl']:.2f} | ")
    if "exact_match" in r:
        line += f"exact match {100 * r['exact_match']:.2f}%"
    else:
        line += (f"BLEU {r['bleu']:.2f} (tokenized, lower-cased) | sacreBLEU "
                 f"{r['sacrebleu']:.2f} | chrF {r['chrf']:.2f}")
    return line + (f" | lr {r['lr']:.2e} | {r['train_seconds']:.0f} s + validation "
                   f"{r['valid_seconds']:.0f} s")
