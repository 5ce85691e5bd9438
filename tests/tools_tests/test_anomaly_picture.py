"""Anomaly mode with tools imported: the error comes with a picture."""
import shutil
import xml.etree.ElementTree as ET

import pytest

import autograd as ag
import nn
from tools import anomaly_picture   # importing it installs the reporter


def test_anomaly_error_names_a_picture_of_the_neighbourhood(tmp_path, monkeypatch):
    monkeypatch.setattr(anomaly_picture, "folder", str(tmp_path))
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    with ag.no_grad():
        model[0].bias.data[0] = -1e3
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError) as info:
        (model(ag.randn(2, 3)) + 0.0).log()
    msg = str(info.value)
    assert "picture of the failing op's neighbourhood" in msg
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and "Log" in files[0].name
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: only the .dot file was written")
    root = ET.parse(files[0]).getroot()
    text = "".join(root.itertext())
    assert "Log" in text and "NaN/Inf in its output" in text and "Relu" in text


def test_the_picture_is_drawn_when_tensors_already_hold_nan_gradients(tmp_path, monkeypatch):
    """Debugging a NaN, the leaves often hold NaN gradients from an earlier
    backward; drawing them (their gradient norms) must not trip anomaly mode."""
    monkeypatch.setattr(anomaly_picture, "folder", str(tmp_path))
    scores = ag.tensor([[2.0, 120.0, -5.0]], requires_grad=True)
    scores.softmax(dim=-1).log().sum().backward()
    assert ag.isnan(scores.grad).any().item()
    with ag.detect_anomaly(), pytest.raises(ag.AnomalyError) as info:
        scores.softmax(dim=-1).log()
    assert "reporter" not in str(info.value) and "picture of the failing op's neighbourhood" in \
        str(info.value)
    (picture,) = tmp_path.iterdir()
    assert picture.stem.endswith("-Log")
