"""The Trainer: the training loop (steps, validation, metrics, checkpoints)
and resuming exactly where a run stopped.

Everything a run depends on is in its checkpoint, and the batches of an
epoch are a pure function of (seed, epoch), so a run stopped after any step
and resumed continues bit for bit as if it had never stopped (on the CPU).
"""
from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass

from tqdm import tqdm

import autograd as ag
import nn

from . import checkpoint, metrics, plots
from .batching import collate, make_batches
from .data_parallel import SingleProcess


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


class _CtrlC:
    """The first Ctrl-C asks the loop to save and stop after the current
    step; a second one interrupts at once. (A repeat within a second is the
    same Ctrl-C: under mpiexec each rank gets it from the terminal and again
    from the launcher.)"""
    same_press_seconds = 1.0

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested and time.monotonic() - self._first < self.same_press_seconds:
            return
        if self.requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self.requested, self._first = True, time.monotonic()
        print("\nCtrl-C: saving a checkpoint after this step (press again to abort)",
              flush=True)

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._old)
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
        self.metrics_path = os.path.join(run, "metrics.jsonl")
        self.parallel = parallel or SingleProcess()

    # -- one step ---------------------------------------------------------------
    def train_step(self, src, tgt_in, tgt_out):
        """Forward, loss, backward, clip, update. Returns (loss, target tokens)."""
        s = self.settings
        self.model.train()
        logits = self.model(src, tgt_in)                                 # (B, T, V)
        loss = ag.cross_entropy(logits, tgt_out, ignore_index=self.pad_id,
                                label_smoothing=s.label_smoothing)
        self.optimizer.zero_grad()
        loss.backward()
        self.parallel.average_gradients(self.model)          # data-parallel: mean over ranks
        if s.clip_norm:
            nn.clip_grad_norm_(self.model.parameters(), s.clip_norm)
        self.optimizer.step()
        self.schedule.step()
        tokens = int((tgt_out != self.pad_id).sum().item())
        return self.parallel.mean_loss(loss.item(), tokens)

    # -- the loop ---------------------------------------------------------------
    def fit(self):
        """Train until ``epochs`` or ``max_steps``; returns the Progress.
        Ctrl-C saves a checkpoint and returns early."""
        s, p = self.settings, self.progress
        with _CtrlC() as ctrl_c:
            while p.epoch < s.epochs:
                try:
                    self._train_epoch(ctrl_c)
                except StopRequested:
                    self.save(checkpoint.LAST)
                    return p
                self._end_epoch()
        return p

    def _stop_now(self, ctrl_c):
        max_steps = self.settings.max_steps
        return self.parallel.any(ctrl_c.requested) or (max_steps is not None and
                                                       self.progress.step >= max_steps)

    def _train_epoch(self, ctrl_c):
        """The rest of the current epoch, from where its progress stands."""
        s, p = self.settings, self.progress
        batches = self.parallel.shard(make_batches(self.data["train"], s.max_tokens, seed=s.seed,
                                                   epoch=p.epoch))
        if self._stop_now(ctrl_c):
            raise StopRequested
        bar = tqdm(total=len(batches), initial=p.batch_in_epoch, desc=f"epoch {p.epoch + 1}",
                   unit="batch", dynamic_ncols=True, disable=s.quiet or not self.parallel.writes,
                   mininterval=0.5)
        seen_tokens, t0 = 0, time.perf_counter()
        try:
            for index in range(p.batch_in_epoch, len(batches)):
                loss, tokens = self._train_batch(batches, index)
                seen_tokens += tokens
                self._after_step(bar, loss, seen_tokens / (time.perf_counter() - t0))
                if self._stop_now(ctrl_c):
                    raise StopRequested
        finally:
            bar.close()

    def _train_batch(self, batches, index):
        """One timed step on batch ``index`` of the epoch, counted in the
        progress; the epoch's last one also draws the gradient norms."""
        p = self.progress
        src, tgt_in, tgt_out = collate(self.data["train"], batches[index], pad_id=self.pad_id,
                                       device=self.model.device)
        last = index == len(batches) - 1 and self.parallel.writes
        norms = plots.GradientNorms(self.model) if last else None
        step_start = time.perf_counter()
        loss, tokens = self.train_step(src, tgt_in, tgt_out)
        p.epoch_seconds += time.perf_counter() - step_start
        if norms is not None:
            norms.remove()
            plots.gradient_norms_plot(norms.norms, os.path.join(self.run, "grad_norms.png"),
                                      f"gradient norm per parameter, last step of epoch "
                                      f"{p.epoch + 1} (step {p.step + 1})")
        p.step += 1
        p.batch_in_epoch = index + 1
        p.epoch_loss_sum += loss * tokens
        p.epoch_tokens += tokens
        return loss, tokens

    def _after_step(self, bar, loss, tokens_per_second):
        """The progress bar, a metrics line every log_every steps, a
        checkpoint every save_every steps."""
        s, p = self.settings, self.progress
        lr = self.optimizer.param_groups[0]["lr"]
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.2e}", tok_s=f"{tokens_per_second:,.0f}")
        if p.step % s.log_every == 0:
            self._append({"kind": "step", "step": p.step, "epoch": p.epoch + 1, "loss": loss,
                          "lr": lr})
        if s.save_every and p.step % s.save_every == 0:
            self.save(checkpoint.LAST)

    def _end_epoch(self):
        s, p = self.settings, self.progress
        train_seconds = p.epoch_seconds
        train_loss = p.epoch_loss_sum / max(p.epoch_tokens, 1)
        valid_loss = self.mean_nll(self.data["valid"])
        scores = self.parallel.from_writer(self.score(self.data["valid_pairs"], limit=s.eval_limit))
        p.epoch += 1
        p.batch_in_epoch, p.epoch_loss_sum, p.epoch_tokens, p.epoch_seconds = 0, 0.0, 0, 0.0
        record = {"kind": "epoch", "epoch": p.epoch, "step": p.step, "train_loss": train_loss,
                  "train_seconds": train_seconds,
                  "valid_loss": valid_loss, "valid_ppl": metrics.perplexity(valid_loss),
                  "lr": self.optimizer.param_groups[0]["lr"], **scores}
        self._append(record)
        self.log(format_epoch(record))
        if self.parallel.writes:
            plots.loss_curve(self.records(), os.path.join(self.run, "loss.png"))
        metric = scores[s.metric]
        if p.best_metric is None or metric > p.best_metric:
            p.best_metric, p.best_epoch = metric, p.epoch
            self.save(checkpoint.BEST)
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
        tasks, BLEU (tokenized lower-cased, and sacreBLEU) for text."""
        pairs = pairs[:limit] if limit else pairs
        t = self.translator
        hyps = t.translate_tokens([t.src_tokenizer.tokenize(src) for src, _ in pairs], beam=beam)
        if self.settings.metric == "exact_match":
            refs = [t.tgt_tokenizer.tokenize(tgt) for _, tgt in pairs]
            return {"exact_match": metrics.exact_match(hyps, refs)}
        return metrics.bleu_scores(hyps, [tgt for _, tgt in pairs], t.tgt_tokenizer)

    # -- files ------------------------------------------------------------------
    def state(self) -> dict:
        t = self.translator
        return {"config": self.model.config.to_dict(), "settings": asdict(self.settings),
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": ag.get_rng_state(),
                "progress": asdict(self.progress),
                "src_tokenizer": t.src_tokenizer.to_dict(), "tgt_tokenizer": t.tgt_tokenizer.to_dict(),
                "src_vocab": t.src_vocab.to_dict(), "tgt_vocab": t.tgt_vocab.to_dict(),
                **self.parallel.state()}

    def save(self, name):
        state = self.state()                    # (data-parallel: every rank takes part)
        if self.parallel.writes:
            checkpoint.save_run(os.path.join(self.run, name), state)

    def restore(self, state):
        """Continue from a checkpoint's optimizer, schedule, generators and
        position (the model's weights are loaded by the caller)."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        ag.set_rng_state(dict(state["rng"]))
        self.progress = Progress(**dict(state["progress"]))

    def _append(self, record):
        if not self.parallel.writes:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()

    def records(self):
        if not os.path.exists(self.metrics_path):
            return []
        with open(self.metrics_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]


def format_epoch(r) -> str:
    line = (f"epoch {r['epoch']:>3} | step {r['step']:>6} | train loss {r['train_loss']:.4f} | "
            f"valid loss {r['valid_loss']:.4f} ppl {r['valid_ppl']:.2f} | ")
    if "exact_match" in r:
        line += f"exact match {100 * r['exact_match']:.2f}%"
    else:
        line += (f"BLEU {r['bleu']:.2f} (tokenized, lower-cased) | sacreBLEU {r['sacrebleu']:.2f}"
                 f" ({r['sacrebleu_signature']})")
    return line + f" | lr {r['lr']:.2e} | {r['train_seconds']:.0f} s"
