"""Checkpoint averaging: the last K epoch models kept in the run folder, and
python -m transformer.average writing their mean as a model checkpoint."""
import os

import numpy as np
import pytest

import nn
from transformer import average, checkpoint, plots, train, translate

from .helpers import TINY_RUN, run_train


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("avg") / "run"
    with pytest.MonkeyPatch.context() as patch:              # no pictures: not the point here
        patch.setattr(plots, "loss_curve", lambda *a, **k: None)
        patch.setattr(plots, "gradient_norms_plot", lambda *a, **k: None)
        assert train.main(TINY_RUN + ["--epochs", "3", "--keep-epochs", "2", "--lr", "1e-2",
                                      "--out", str(run)]) == 0
    return run


def test_only_the_last_k_epoch_models_are_kept(kept_run):
    assert [os.path.basename(p) for p in checkpoint.epoch_files(kept_run)] == ["epoch2.npz",
                                                                                "epoch3.npz"]
    state = checkpoint.load_run(kept_run / "epoch3.npz")
    assert state["progress"]["epoch"] == 3 and "optimizer" not in state     # the model only


def test_the_average_is_the_mean_of_the_last_epochs(kept_run, capsys):
    assert average.main(["--checkpoint", str(kept_run), "--last", "2"]) == 0
    out = kept_run / "average.npz"
    assert capsys.readouterr().out == f"wrote {out}: the mean of epoch2.npz, epoch3.npz\n"
    mean = checkpoint.load_run(out)
    two, three = (checkpoint.load_run(kept_run / f"epoch{e}.npz") for e in (2, 3))
    assert mean["averaged"] == ["epoch2.npz", "epoch3.npz"]
    moved = 0
    for name, value in mean["model"].items():
        a, b = two["model"][name].numpy(), three["model"][name].numpy()
        np.testing.assert_allclose(value.numpy(), (a.astype("float64") + b) / 2, rtol=1e-6,
                                   atol=1e-7)
        assert value.dtype == a.dtype
        moved += not np.array_equal(a, b)
    assert moved > 0                                          # the epochs differ: a real mean
    assert translate.main(["--checkpoint", str(out), "1 2 3"]) == 0   # a model checkpoint


def test_averaging_more_epochs_than_kept_or_other_runs_is_refused(kept_run, tmp_path, capsys,
                                                                  no_plots):
    assert average.main(["--checkpoint", str(kept_run), "--last", "3"]) == 2
    assert capsys.readouterr().err == (
        f"error: {kept_run} keeps 2 epoch models (epoch2.npz, epoch3.npz), fewer than --last 3: "
        "train with --keep-epochs 3, or average fewer\n")
    other = tmp_path / "other"
    assert run_train(TINY_RUN + ["--epochs", "1", "--keep-epochs", "1", "--norm-first",
                                 "--out", str(other)], capsys)[0] == 0
    with pytest.raises(nn.CheckpointError, match="entry config differs"):
        average.average([kept_run / "epoch3.npz", other / "epoch1.npz"])
    assert average.main(["--checkpoint", str(tmp_path / "nowhere"), "--last", "1"]) == 2
    assert "not a run folder" in capsys.readouterr().err
