"""A resumed run trusts its checkpoint: vocabularies, settings and the
metrics log come from it (or are made consistent with it), and what the
command line cannot change is refused by name."""
import json
import math

import pytest

from transformer import checkpoint
from transformer.cli import CommandError
from transformer.metrics_log import MetricsLog
from transformer.resume import check_world_size
from transformer.trainer import Trainer

from .helpers import TINY_RUN, run_train





def _settings(run):
    return checkpoint.load_run(run, prefer=checkpoint.LAST)["settings"]


def _corpus(folder, src, tgt):
    folder.mkdir(exist_ok=True)
    (folder / "src.txt").write_text("\n".join(src) + "\n")
    (folder / "tgt.txt").write_text("\n".join(tgt) + "\n")
    return [str(folder / "src.txt"), str(folder / "tgt.txt")]


def test_the_vocabularies_come_from_the_checkpoint_and_a_changed_corpus_is_named(
        tmp_path, capsys, no_plots):
    files = _corpus(tmp_path / "c", ["a a b c", "b c", "c d"], ["x x y z", "y z", "z w"])
    run = tmp_path / "run"
    args = ["--train", *files, "--valid", *files, "--quiet", "--out", str(run)]
    assert run_train(args + ["--max-steps", "1"], capsys)[0] == 0
    before = checkpoint.load_run(run, prefer=checkpoint.LAST)
    # Same vocabulary size, other frequencies: rebuilt, ids would point at other words.
    _corpus(tmp_path / "c", ["d d d c", "d b", "a a"], ["w w w z", "w y", "x x"])
    rc, _, err = run_train(["--resume", str(run), "--max-steps", "2", "--quiet"], capsys)
    assert rc == 0
    assert "warning: the train and valid and test data changed since this run started; it " \
           "goes on with the checkpoint's tokenizers and vocabularies" in err
    after = checkpoint.load_run(run, prefer=checkpoint.LAST)
    assert after["progress"]["step"] == 2
    for side in ("src_vocab", "tgt_vocab"):
        assert after[side]["tokens"] == before[side]["tokens"]


def test_settings_not_given_again_keep_their_saved_values(tmp_path, capsys, no_plots):
    run = tmp_path / "run"
    assert run_train(TINY_RUN + ["--save-every", "7", "--log-every", "2", "--device", "emu",
                        "--max-steps", "1", "--out", str(run)], capsys)[0] == 0
    assert run_train(["--resume", str(run), "--max-steps", "2"], capsys)[0] == 0
    saved = _settings(run)
    assert (saved["save_every"], saved["log_every"], saved["device"], saved["quiet"]) == \
        (7, 2, "emu", True)
    assert saved["max_steps"] == 2                 # this invocation's stopping point only
    assert run_train(["--resume", str(run), "--max-steps", "3", "--save-every", "5"], capsys)[0] == 0
    assert _settings(run)["save_every"] == 5       # given again: changed


@pytest.fixture
def stopped_run(tmp_path, capsys, no_plots):
    run = tmp_path / "run"
    assert run_train(TINY_RUN + ["--max-steps", "1", "--out", str(run)], capsys)[0] == 0
    return run


def test_a_flag_that_cannot_change_on_resume_is_refused_by_name(stopped_run, capsys):
    rc, _, err = run_train(["--resume", str(stopped_run), "--lr", "0.5", "--seed", "3",
                       "--dropout", "0.2", "--task", "copy"], capsys)
    assert rc == 2
    assert err == ("error: a resumed run keeps its settings, so these cannot change: --lr 0.5 "
                   "(the run's: 0.001), --seed 3 (the run's: 0), --dropout 0.2 (the run's: "
                   "0.0); start a new run (another --out) to change them\n")
    rc, _, err = run_train(["--resume", str(stopped_run), "--out", "elsewhere"], capsys)
    assert rc == 2 and err == f"error: --out elsewhere: a resumed run stays in its folder " \
                              f"{stopped_run}\n"
    assert checkpoint.load_run(stopped_run, prefer=checkpoint.LAST)["progress"]["step"] == 1


def test_going_past_the_end_of_a_cosine_schedule_says_lr_0_and_offers_the_way_out(
        tmp_path, capsys, no_plots):
    run = tmp_path / "run"                          # 3 steps an epoch: the decay ends at step 3
    assert run_train(TINY_RUN + ["--schedule", "cosine", "--epochs", "1", "--warmup", "1",
                                 "--log-every", "1", "--out", str(run)], capsys)[0] == 0
    assert _settings(run)["schedule_steps"] == 3
    rc, _, err = run_train(["--resume", str(run), "--epochs", "2"], capsys)
    assert rc == 2
    assert err == ("error: --epochs 2 goes on to step 6, past the end of this run's cosine "
                   "schedule at step 3, where the lr is 0: it would train at lr 0. Pass "
                   "--extend-schedule to stretch the decay to step 6, or --max-steps 3 to "
                   "stop where it ends\n")
    rc, out, _ = run_train(["--resume", str(run), "--epochs", "2", "--extend-schedule"], capsys)
    assert rc == 0
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)
    assert state["progress"]["epoch"] == 2 and state["settings"]["schedule_steps"] == 6
    # Each step's record holds the lr of the update after it: 0 from step 2 on, on the
    # old schedule; above 0 again once the decay is stretched to step 6.
    lrs = {r["step"]: r["lr"] for r in map(json.loads, (run / "metrics.jsonl").read_text()
                                             .splitlines()) if r["kind"] == "step"}
    assert sorted(lrs) == list(range(1, 7)) and lrs[2] == lrs[3] == 0 and lrs[4] > 0


def test_a_half_written_last_metrics_line_is_dropped_with_a_note(stopped_run, capsys):
    metrics = stopped_run / "metrics.jsonl"
    with open(metrics, "a") as f:
        f.write('{"kind": "step", "step": 2, "ep')       # the process died mid-write
    rc, out, _ = run_train(["--resume", str(stopped_run), "--max-steps", "2", "--log-every", "1"],
                      capsys)
    assert rc == 0
    assert f"note: {metrics}: dropped a half-written last line" in out
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "step"][-1] == 2


def _strict(line):
    def refuse(name):
        raise ValueError(f"bare {name} is not JSON")
    return json.loads(line, parse_constant=refuse)


def test_non_finite_numbers_are_written_as_valid_json(tmp_path, capsys, no_plots,
                                                      monkeypatch):
    monkeypatch.setattr(Trainer, "mean_nll", lambda self, encoded: float("nan"))
    run = tmp_path / "run"
    assert run_train(TINY_RUN + ["--epochs", "1", "--out", str(run)], capsys)[0] == 0
    lines = (run / "metrics.jsonl").read_text().splitlines()
    epoch = [r for r in map(_strict, lines) if r["kind"] == "epoch"][0]
    assert epoch["valid_loss"] is None and epoch["valid_ppl"] is None
    assert epoch["nonfinite"] == {"valid_loss": "nan", "valid_ppl": "nan"}
    record = [r for r in MetricsLog(run).records() if r["kind"] == "epoch"][0]
    assert math.isnan(record["valid_loss"]) and "nonfinite" not in record


def test_stray_temporary_files_of_a_killed_save_are_removed_at_the_next_start(stopped_run,
                                                                               capsys):
    stray = stopped_run / ".last.npz.0123456789abcdef.tmp"
    stray.write_bytes(b"PK\x03\x04 half a checkpoint")
    mine = stopped_run / "notes.tmp"                  # not a save's: left alone
    mine.write_text("keep me")
    rc, out, _ = run_train(["--resume", str(stopped_run), "--max-steps", "2"], capsys)
    assert rc == 0 and f"removed {stray}, left by a save that was killed" in out
    assert not stray.exists() and mine.exists()


@pytest.mark.parametrize("entries,message", [
    ({"world_size": 0}, "entry world_size: expected a number of ranks, got 0"),
    ({"world_size": "2"}, "entry world_size: expected a number of ranks, got '2'"),
    ({"world_size": 2, "rank_rng": [{}]}, "entry rank_rng: expected the random states of the "
                                          "2 ranks"),
    ({}, "trained on 1 rank(s) and this one has 2; resume it as it was trained: python -m "
         "transformer.train --resume RUN (one process)"),
])
def test_a_resumed_run_needs_the_number_of_ranks_it_was_trained_on(entries, message):
    with pytest.raises(CommandError, match="^run/last.npz: ") as e:
        check_world_size({"path": "run/last.npz", **entries}, 2)
    assert message in str(e.value)
    check_world_size({"path": "run/last.npz", "world_size": 2, "rank_rng": [{}, {}]}, 2)
