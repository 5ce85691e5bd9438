"""Test-only: run the training command and make it signal itself at a named
point, deterministically (no timing).

    PYTHONPATH=. python tests/transformer_tests/kill_at.py POINT SIGNAL TRAIN_ARGS...

POINT is one of
    step:N              after the metrics record of step N
    epoch:E             after the record of epoch E, before the end-of-epoch saves
    best:E              after best.npz of epoch E is saved, before last.npz
    half-save:last:E    half-way through writing last.npz at the end of epoch E
SIGNAL is KILL or TERM. Plots are not drawn (slow, and not what is compared).
"""
import os
import signal
import sys

from autograd import backend
from transformer import checkpoint, plots, train
from transformer.trainer import Trainer


def _signal(sig):
    os.kill(os.getpid(), sig)            # SIGKILL ends here; SIGTERM's handler runs at once


def _after_records(kind, number, sig):
    real = Trainer._append

    def append(self, record):
        real(self, record)
        if record["kind"] == kind and record[kind] == number:
            _signal(sig)
    Trainer._append = append


def _around_saves(name, epoch, sig, half):
    real_save, real_npz = checkpoint.save_run, backend.save_npz

    def half_written(f, arrays):
        f.write(b"PK\x03\x04 half a checkpoint")
        f.flush()
        _signal(sig)

    def save_run(path, state):
        hit = os.path.basename(path) == name and state["progress"]["epoch"] == epoch
        backend.save_npz = half_written if hit and half else real_npz
        real_save(path, state)
        if hit:
            _signal(sig)
    checkpoint.save_run = save_run


def main(point, sig_name, args):
    sig = getattr(signal, "SIG" + sig_name)
    kind, *rest = point.split(":")
    if kind in ("step", "epoch"):
        _after_records(kind, int(rest[0]), sig)
    elif kind == "best":
        _around_saves(checkpoint.BEST, int(rest[0]), sig, half=False)
    elif kind == "half-save":
        _around_saves(rest[0] + ".npz", int(rest[1]), sig, half=True)
    else:
        raise SystemExit(f"kill_at: unknown point {point!r}")
    plots.loss_curve = plots.gradient_norms_plot = lambda *a, **k: None
    return train.main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
