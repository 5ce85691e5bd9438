"""``python -m transformer.train --data-parallel`` on 2 ranks (shared memory,
this host): only rank 0 prints and writes; a rank killed mid-training stops
the other with an error naming it, the last checkpoint stays intact, and
resuming on 2 ranks continues bit for bit; another number of ranks, and
ranks that disagree on the model or the vocabularies, are refused with one
line; and --data-parallel without mpi4py or an MPI launcher. A stop signal
on one rank stops all after the same step; rank 0 alone claims the run
folder, and its refusal stops every rank."""
import os
import pathlib
import re
import sys

import pytest

from mpi_ranks import run_on, run_ranks
from transformer import checkpoint, train

from .helpers import assert_same_run, metric_lines

TRAIN = ["-m", "transformer.train"]
FAST = ["--task", "copy", "--task-size", "160", "--eval-size", "8", "--max-tokens", "300",
        "--quiet", "--dropout", "0.1", "--log-every", "1", "--save-every", "2", "--epochs", "2",
        "--data-parallel"]          # 6 batches an epoch: 3 steps on each of 2 ranks
SIGNAL_RANK_AT = str(pathlib.Path(__file__).with_name("signal_rank_at.py"))


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    run = tmp_path_factory.mktemp("dp") / "straight"
    proc = run_on(2, TRAIN + FAST + ["--out", str(run)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return run, proc


def test_only_rank_0_prints_and_writes_the_run_folder(straight):
    run, proc = straight
    assert sorted(os.listdir(run)) == ["best.npz", "grad_norms.png", "last.npz", "loss.png",
                                       "metrics.jsonl", "settings.json"]
    assert proc.stdout.count("run folder:") == 1 and proc.stdout.count("epoch   2 |") == 1
    assert "data-parallel: 2 ranks over MPI" in proc.stdout
    assert proc.stdout.count("test exact match:") == 1 and "error" not in proc.stderr
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)
    assert state["world_size"] == 2 and state["progress"]["step"] == 6      # 2 epochs x 3
    rngs = [dict(r) for r in state["rank_rng"]]
    assert len(rngs) == 2 and rngs[0] == dict(state["rng"]) and rngs[0] != rngs[1]
    assert [r["step"] for r in metric_lines(run) if r["kind"] == "step"] == [1, 2, 3, 4, 5, 6]


def test_a_killed_rank_stops_the_other_and_the_run_resumes_bit_for_bit(straight, tmp_path):
    reference, _ = straight
    run = tmp_path / "killed"
    proc = run_on(2, [SIGNAL_RANK_AT, "1", "5", "KILL"] + FAST + ["--out", str(run)])  # dies at 5
    assert proc.returncode == 3, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert re.match(r"error: data-parallel: rank 1 \(pid \d+ on .+\) of 2 is gone \(killed or "
                    r"crashed\) while rank 0 waited for .+; stopping", errors[0]), errors[0]
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)             # intact
    assert state["progress"]["step"] == 4
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]
    proc = run_on(2, TRAIN + ["--resume", str(run), "--quiet", "--data-parallel"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "resuming" in proc.stdout
    a, b = assert_same_run(reference, run)
    assert [dict(r) for r in a["rank_rng"]] == [dict(r) for r in b["rank_rng"]]


def test_sigterm_on_one_rank_stops_both_after_the_same_step_and_the_run_resumes(straight,
                                                                                tmp_path):
    reference, _ = straight
    run = tmp_path / "stopped"
    proc = run_on(2, [SIGNAL_RANK_AT, "1", "2", "TERM"] + FAST + ["--out", str(run)])
    assert proc.returncode == 143, proc.stdout + proc.stderr        # every rank: 128 + SIGTERM
    assert proc.stdout.count("stopped by SIGTERM at step 2 (epoch 1); continue with: mpiexec "
                             f"-n 2 python -m transformer.train --resume {run} "
                             "--data-parallel") == 1, proc.stdout
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)
    assert state["progress"]["step"] == 2 and state["world_size"] == 2
    proc = run_on(2, TRAIN + ["--resume", str(run), "--quiet", "--data-parallel"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    a, b = assert_same_run(reference, run)
    assert [dict(r) for r in a["rank_rng"]] == [dict(r) for r in b["rank_rng"]]


def test_rank_0_alone_claims_the_default_run_folder(tmp_path):
    proc = run_on(2, TRAIN + FAST + ["--max-steps", "1"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folders = os.listdir(tmp_path / "runs")
    assert len(folders) == 1 and folders[0].startswith("copy-"), folders
    assert f"run folder: runs/{folders[0]}\n" in proc.stdout
    assert "last.npz" in os.listdir(tmp_path / "runs" / folders[0])


def test_a_run_folder_rank_0_refuses_stops_every_rank_with_one_error(tmp_path):
    run = tmp_path / "used"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    error = _one_error(run_on(2, TRAIN + FAST + ["--out", str(run)]))
    assert error == (f"error: {run} is not empty (1 entries); a new run needs a new or empty "
                     "folder: choose another --out")
    assert os.listdir(run) == ["notes.txt"]


def test_another_number_of_ranks_is_refused(straight, capsys):
    run, _ = straight
    assert train.main(["--resume", str(run), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trained on 2 rank(s) and this one has 1" in err
    assert "mpiexec -n 2 python -m transformer.train --resume RUN --data-parallel" in err


def _one_error(proc):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_ranks_with_another_model_configuration_are_refused(tmp_path):
    run = tmp_path / "mixed"
    args = TRAIN + FAST + ["--out", str(run)]
    error = _one_error(run_ranks([(1, args), (1, args + ["--norm-first"])]))
    assert "the ranks disagree on the training settings and the model configuration" in error
    assert re.search(r"digest \w{12} on rank 0; digest \w{12} on rank 1", error)
    assert not run.exists()


def test_ranks_with_other_vocabularies_are_refused(tmp_path):
    for name, word in (("a", "c"), ("b", "f")):          # same sizes, one word differs
        (tmp_path / name).mkdir()
        (tmp_path / name / "src.txt").write_text(f"a b {word}\nd e\n")
        (tmp_path / name / "tgt.txt").write_text("x y\nz\n")
    args = TRAIN + ["--train", "src.txt", "tgt.txt", "--valid", "src.txt", "tgt.txt",
                    "--max-tokens", "8", "--max-steps", "1", "--quiet", "--out",
                    str(tmp_path / "run"), "--data-parallel"]
    error = _one_error(run_ranks([(1, args, ["-wdir", str(tmp_path / "a")]),
                                  (1, args, ["-wdir", str(tmp_path / "b")])]))
    assert "the ranks disagree on the vocabularies (" in error
    assert "settings" not in error and "configuration" not in error
    assert not (tmp_path / "run").exists()


def test_data_parallel_outside_mpiexec_is_a_one_line_error(no_world, tmp_path, capsys):
    pytest.importorskip("mpi4py", reason="without mpi4py the error is the one below")
    assert train.main(FAST + ["--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: data-parallel training runs one "
                                                   "process per rank") and "mpiexec -n 2" in err
    assert not (tmp_path / "r").exists()


def test_data_parallel_without_mpi4py_is_a_one_line_error(no_world, tmp_path, capsys):
    no_world.setitem(sys.modules, "mpi4py", None)
    no_world.setenv("PMI_RANK", "0")
    assert train.main(FAST + ["--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs mpi4py" in err and 'pip install -e ".[mpi]"' in err
    assert not (tmp_path / "r").exists()
