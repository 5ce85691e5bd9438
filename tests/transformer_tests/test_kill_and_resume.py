"""Fault injection: a training run killed (SIGKILL) or stopped (SIGTERM) at
named points, resumed each time, ends exactly where an uninterrupted run of
the same seed ends: same model, optimizer state, schedule, generators,
progress, and the same metrics.jsonl record for record.

The points are hit deterministically: ``kill_at.py`` makes the process
signal itself there (no sleeping, no timing)."""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from transformer import checkpoint, train

from .helpers import ROOT, metric_lines

KILL_AT = os.path.join(os.path.dirname(__file__), "kill_at.py")
# 3 steps an epoch, 2 epochs; a step checkpoint every 3 steps falls on each
# epoch's last step, so the end-of-epoch record follows a checkpoint of the
# same step (the case that duplicated the epoch record).
ARGS = ["--task", "copy", "--task-size", "40", "--eval-size", "4", "--max-tokens", "200",
        "--quiet", "--epochs", "2", "--log-every", "1", "--save-every", "3"]


def _killed(point, sig, args):
    proc = subprocess.run([sys.executable, KILL_AT, point, sig, *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    expected = -signal.SIGKILL if sig == "KILL" else 128 + signal.SIGTERM
    assert proc.returncode == expected, (point, proc.stdout, proc.stderr)
    return proc


def _assert_same_tree(a, b, where):
    if hasattr(a, "numpy"):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same_tree(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f"{where}/{i}")
    else:
        assert a == b, where


def _assert_same_run(got, expected):
    for name in (checkpoint.LAST, checkpoint.BEST):
        a, b = (checkpoint.load_run(run / name, resume=True) for run in (got, expected))
        for entry in ("model", "optimizer", "schedule", "progress"):
            _assert_same_tree(a[entry], b[entry], f"{name}: {entry}")
        # The run's generator (a test process may hold others, of devices it used before).
        _assert_same_tree(a["rng"]["cpu:0"], b["rng"]["cpu:0"], f"{name}: rng")
        settings = [dict(a["settings"]), dict(b["settings"])]
        assert settings[0].pop("out") != settings[1].pop("out")     # the one difference
        assert settings[0] == settings[1]
    assert metric_lines(got) == metric_lines(expected)
    assert not [n for n in os.listdir(got) if n.endswith(".tmp")]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run."""
    run = tmp_path_factory.mktemp("straight") / "run"
    monkeypatch = pytest.MonkeyPatch()
    from transformer import plots
    monkeypatch.setattr(plots, "loss_curve", lambda *a, **k: None)
    monkeypatch.setattr(plots, "gradient_norms_plot", lambda *a, **k: None)
    try:
        assert train.main(ARGS + ["--out", str(run)]) == 0
    finally:
        monkeypatch.undo()
    return run


@pytest.mark.parametrize("sig,points", [
    ("KILL", ["epoch:1", "best:1", "half-save:last:1", "step:5"]),
    ("TERM", ["step:2", "epoch:1", "epoch:2"]),
], ids=["sigkill", "sigterm"])
def test_a_run_killed_and_resumed_again_and_again_matches_an_uninterrupted_one(
        straight, tmp_path, capsys, no_plots, sig, points):
    run = tmp_path / "run"
    args = ARGS + ["--out", str(run)]
    for point in points:
        _killed(point, sig, args)
        state = checkpoint.load_run(run, prefer=checkpoint.LAST, resume=True)   # loadable
        assert state["progress"]["step"] >= 1
        args = ["--resume", str(run), "--quiet"]
    assert train.main(args) == 0
    assert "test exact match:" in capsys.readouterr().out
    _assert_same_run(run, straight)


def test_sigterm_saves_at_the_step_it_came_and_exits_143(tmp_path):
    run = tmp_path / "run"
    proc = _killed("step:2", "TERM", ARGS + ["--out", str(run)])
    assert "SIGTERM: saving a checkpoint" in proc.stdout
    assert "stopped by SIGTERM at step 2 (epoch 1); continue with: python -m transformer.train " \
           f"--resume {run}" in proc.stdout
    assert checkpoint.load_run(run, prefer=checkpoint.LAST)["progress"]["step"] == 2
