"""Fixtures of the transformer tests."""
import pytest

from transformer import plots


@pytest.fixture
def no_plots(monkeypatch):
    """Training without drawing loss.png and grad_norms.png (slow, and not
    what the test is about)."""
    monkeypatch.setattr(plots, "loss_curve", lambda *a, **k: None)
    monkeypatch.setattr(plots, "gradient_norms_plot", lambda *a, **k: None)
