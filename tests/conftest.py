"""Shared fixtures: the devices every array test runs on.

"cpu" is NumPy; "emu" is the test-only emulated device of
``emulated_device.py`` (catches ops that leak to NumPy); "cuda" runs where
CuPy and a GPU exist and is skipped, with the reason printed, elsewhere.
"""
import os

import pytest
from hypothesis import settings

import autograd as ag
from emulated_device import register

register()

# Property tests are derandomized so that a run repeats exactly.
settings.register_profile("gradformer", derandomize=True, deadline=None, max_examples=40)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gradformer"))

DEVICES = ["cpu", "emu", "cuda"]


def skip_unless_device(device):
    if device == "cuda" and not ag.cuda_available():
        pytest.skip(f"no CUDA device: {ag.backend.cuda_unavailable_reason}")


@pytest.fixture(params=DEVICES)
def device(request):
    """Each device the test should run on; cuda is skipped without a GPU."""
    skip_unless_device(request.param)
    return request.param


@pytest.fixture(autouse=True, scope="session")
def _anomaly_pictures_in_a_temporary_folder(tmp_path_factory):
    """Importing tools installs a reporter that draws anomaly pictures into
    the working folder; in tests they go to a temporary one."""
    from tools import anomaly_picture
    anomaly_picture.folder = str(tmp_path_factory.mktemp("anomaly-pictures"))
    yield


@pytest.fixture
def no_world(monkeypatch):
    """nn.parallel as in a process that no MPI launcher started and that has
    not called init() (the monkeypatch, for more changes)."""
    from nn.parallel import world
    monkeypatch.setattr(world, "_world", None)
    for name in world.LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch
