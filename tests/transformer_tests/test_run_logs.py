"""Training logs that tell the truth: a warmup longer than the run is
shortened and said, the settings line shows the peak reached, metrics.jsonl
holds gradient norms, tokens/s, timestamps and validation times, a smoke
run shorter than --log-every still writes its metrics and pictures, the
whole run's progress, no bar without a terminal, --config re-runs recorded
settings, and TensorBoard events on request."""
import importlib.util
import json
import math
import struct
import sys

import pytest

from transformer.settings import TrainSettings

from .helpers import TINY_RUN, metric_lines, run_train


def _records(run, kind):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
            if json.loads(line)["kind"] == kind]


def test_a_warmup_longer_than_the_run_is_shortened_and_said(tmp_path, capsys, no_plots):
    run = tmp_path / "run"                                   # 3 steps an epoch, 2 epochs
    rc, out, _ = run_train(TINY_RUN + ["--schedule", "cosine", "--lr", "1e-3", "--warmup", "400",
                                       "--epochs", "2", "--log-every", "1", "--out", str(run)],
                           capsys)
    assert rc == 0
    assert ("note: --warmup 400 is longer than this run's 6 steps, which would never reach the "
            "peak lr; warming up over 1 step instead (a tenth of the run)") in out
    assert ("cosine schedule (warmup 1 step to the peak lr 1.00e-03, then a cosine decay to 0 "
            "at step 6)") in out
    # Each record holds the lr of the next update: after the peak at update 1 (warmup 400
    # would have crept to 6/400 of it), the decay at update 2 of 6, then 0 after the last.
    lrs = [r["lr"] for r in _records(run, "step")]
    assert lrs[0] == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi / 5))) and lrs[-1] == 0


def test_resolve_shortens_only_a_warmup_longer_than_the_run():
    plain = TrainSettings(warmup=30, epochs=2).resolve(steps_per_epoch=15, d_model=64)
    assert (plain.warmup_steps, plain.warmup_note()) == (30, None)    # as long as the run: kept
    long = TrainSettings(warmup=400, max_steps=250).resolve(steps_per_epoch=1000, d_model=64)
    assert (long.warmup, long.warmup_steps, long.planned_steps) == (400, 25, 250)
    assert long.peak_lr == 64 ** -0.5 * 400 ** -0.5      # noam: the paper's for the warmup asked
    assert "over 25 steps instead" in long.warmup_note()


def test_a_smoke_run_shorter_than_log_every_writes_its_metrics_and_pictures(tmp_path, capsys):
    run = tmp_path / "run"
    rc, out, _ = run_train(TINY_RUN + ["--max-steps", "2", "--log-every", "10", "--out",
                                       str(run)], capsys)
    assert rc == 0 and "stopped at step 2" in out
    (record,) = _records(run, "step")                        # the run's last step, logged
    assert record["step"] == 2 and math.isfinite(record["loss"])
    for picture in ("loss.png", "grad_norms.png"):
        assert (run / picture).read_bytes()[:4] == b"\x89PNG"


def test_metrics_hold_gradient_norms_throughput_timestamps_and_validation_time(
        tmp_path, capsys, no_plots):
    run = tmp_path / "run"
    rc, out, _ = run_train(TINY_RUN + ["--epochs", "2", "--log-every", "2", "--clip-norm", "0",
                                       "--out", str(run)], capsys)
    assert rc == 0
    steps, epochs = _records(run, "step"), _records(run, "epoch")
    assert [r["step"] for r in steps] == [2, 3, 4, 6]    # every 2nd, and each epoch's last
    for r in steps:                                      # --clip-norm 0: the norm all the same
        assert r["grad_norm"] > 0 and r["tokens_per_s"] > 0
    times = [json.loads(line)["time"] for line in (run / "metrics.jsonl").read_text().split("\n")
             if line]
    assert times == sorted(times) and 0 < times[-1] - times[0] < 600    # wall-clock, in order
    assert all(r["valid_seconds"] > 0 and r["train_seconds"] > 0 for r in epochs)
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert "| run 50% (step 3 of 6), " in lines[0] and lines[0].endswith(" left")
    assert "run " not in lines[1]                        # the last epoch: nothing left


def test_no_progress_bar_unless_the_output_is_a_terminal(tmp_path, capsys, no_plots,
                                                        monkeypatch):
    args = TINY_RUN[:TINY_RUN.index("--quiet")] + TINY_RUN[TINY_RUN.index("--quiet") + 1:]
    rc, _, err = run_train(args + ["--max-steps", "2", "--out", str(tmp_path / "a")], capsys)
    assert rc == 0 and "epoch 1/" not in err             # no --quiet, but not a terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rc, _, err = run_train(args + ["--max-steps", "2", "--out", str(tmp_path / "b")], capsys)
    assert rc == 0 and "epoch 1/30:" in err and "run 100% (step 2 of 2)" in err


def test_config_reruns_a_recorded_run_with_flags_overriding(tmp_path, capsys, no_plots):
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    assert run_train(TINY_RUN + ["--max-steps", "2", "--seed", "3", "--warmup", "2",
                                 "--log-every", "1", "--out", str(first)], capsys)[0] == 0
    recorded = str(first / "settings.json")
    assert run_train(["--config", recorded, "--out", str(again)], capsys)[0] == 0
    assert metric_lines(again) == metric_lines(first)    # the same run, step by step
    assert run_train(["--config", recorded, "--seed", "4", "--out", str(other)], capsys)[0] == 0
    saved = {r: json.loads((r / "settings.json").read_text())["settings"]
             for r in (first, other)}
    assert saved[other]["seed"] == 4 and saved[other]["out"] == str(other)
    assert {k: v for k, v in saved[other].items() if k not in ("seed", "out")} == \
        {k: v for k, v in saved[first].items() if k not in ("seed", "out")}
    bad = tmp_path / "bad.json"
    bad.write_text('{"settings": {"epochs": 1, "colour": "red"}}')
    rc, _, err = run_train(["--config", str(bad)], capsys)
    assert rc == 2 and err == f"error: --config {bad}: unknown settings ['colour']\n"
    rc, _, err = run_train(["--resume", str(first), "--config", recorded], capsys)
    assert rc == 2 and "--config starts a new run" in err


def _tensorboard_scalars(folder):
    """(tag, step) of every scalar in the TFRecord event files of ``folder``."""
    from tensorboardX.proto import event_pb2
    found = []
    for path in sorted(folder.iterdir()):
        data, at = path.read_bytes(), 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at:at + 8])
            event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
            at += 12 + length + 4                       # length, its crc, data, its crc
            found += [(v.tag, event.step) for v in event.summary.value]
    return found


def test_tensorboard_events_hold_the_metrics(tmp_path, capsys, no_plots):
    if importlib.util.find_spec("tensorboardX") is None:
        pytest.skip("tensorboardX is not installed (pip install -e \".[tensorboard]\")")
    run = tmp_path / "run"
    assert run_train(TINY_RUN + ["--epochs", "1", "--log-every", "1", "--tensorboard",
                                 "--out", str(run)], capsys)[0] == 0
    scalars = _tensorboard_scalars(run / "tensorboard")
    assert [s for tag, s in scalars if tag == "step/loss"] == [1, 2, 3]
    assert {"step/grad_norm", "step/lr", "step/tokens_per_s", "epoch/valid_loss",
            "epoch/exact_match", "epoch/valid_seconds"} <= {tag for tag, _ in scalars}


def test_tensorboard_without_tensorboardx_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)      # import fails
    run = tmp_path / "run"
    rc, _, err = run_train(TINY_RUN + ["--tensorboard", "--out", str(run)], capsys)
    assert rc == 2 and err == ('error: --tensorboard needs tensorboardX: pip install tensorboardX '
                               '(or pip install -e ".[tensorboard]")\n')
    assert not run.exists()
