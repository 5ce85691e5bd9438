"""The run folder belongs to one run: a new run takes only a new or empty
folder, two runs started at once get two folders, and its files follow the
user's umask."""
import os
import time

import pytest

from .helpers import TINY_RUN, run_train

TINY = TINY_RUN + ["--max-steps", "1"]



@pytest.mark.parametrize("present,message", [
    (["metrics.jsonl", "settings.json"],
     "{out} already holds the files of a run that saved no checkpoint (metrics.jsonl, "
     "settings.json); remove them or choose another --out"),
    (["notes.txt"], "{out} is not empty (1 entries); a new run needs a new or empty folder: "
                    "choose another --out"),
])
def test_a_new_run_refuses_a_folder_that_holds_anything(tmp_path, capsys, present, message):
    out = tmp_path / "run"
    out.mkdir()
    for name in present:
        (out / name).write_text("x\n")
    rc, _, err = run_train(TINY + ["--out", str(out)], capsys)
    assert rc == 2 and err == "error: " + message.format(out=out) + "\n"
    assert sorted(os.listdir(out)) == present                     # untouched
    assert all((out / name).read_text() == "x\n" for name in present)


def test_a_new_run_takes_an_empty_folder(tmp_path, capsys, no_plots):
    out = tmp_path / "run"
    out.mkdir()
    assert run_train(TINY + ["--out", str(out)], capsys)[0] == 0
    assert "last.npz" in os.listdir(out)


def test_two_runs_started_in_the_same_second_get_two_folders(tmp_path, capsys, monkeypatch,
                                                             no_plots):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20250101-120000")
    assert run_train(TINY, capsys)[0] == 0
    assert run_train(TINY, capsys)[0] == 0
    assert sorted(os.listdir(tmp_path / "runs")) == ["copy-20250101-120000",
                                                     "copy-20250101-120000-2"]
    for name in os.listdir(tmp_path / "runs"):
        assert "last.npz" in os.listdir(tmp_path / "runs" / name)


def test_an_empty_out_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_train(TINY + ["--out", ""], capsys)
    assert rc == 2 and err == "error: --out must name a folder, got ''\n"
    assert os.listdir(tmp_path) == []


def test_run_files_follow_the_umask(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        assert run_train(TINY[:-2] + ["--epochs", "1", "--keep-epochs", "1", "--out",
                                      str(tmp_path / "run")], capsys)[0] == 0
    finally:
        os.umask(old)
    modes = {n: (tmp_path / "run" / n).stat().st_mode & 0o777
             for n in os.listdir(tmp_path / "run")}
    assert set(modes) == {"last.npz", "best.npz", "epoch1.npz", "metrics.jsonl", "settings.json",
                          "loss.png", "grad_norms.png"}
    assert set(modes.values()) == {0o644}, modes
