"""Pictures: attention heatmaps (with per-head gradients) and loss curves."""
import numpy as np
import pytest

import autograd as ag
import transformer as T
from transformer import plots

from .helpers import micro_config


def _setup():
    ag.manual_seed(0)
    model = T.Transformer(micro_config())
    src = ag.tensor([[3, 4, 5, 2]])
    tgt_in = ag.tensor([[1, 6, 7]])
    tgt_out = ag.tensor([[6, 7, 2]])
    return model, src, tgt_in, tgt_out


def test_attention_maps_write_one_png_per_kind(tmp_path):
    model, src, tgt_in, _ = _setup()
    paths = plots.attention_maps(model, ["a", "b", "c", "<eos>"], ["<bos>", "x", "y"], src,
                                 tgt_in, str(tmp_path))
    assert [p.rsplit("_", 1)[-1] for p in paths] == ["self.png", "self.png", "cross.png"]
    for p in paths:
        assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert all(m.last_weights is None for m in model.modules()
               if isinstance(m, T.MultiHeadAttention))


def test_gradients_with_respect_to_attention_weights_are_kept_per_head(tmp_path):
    model, src, tgt_in, tgt_out = _setup()
    model.keep_attention_weights("grad")
    loss = ag.cross_entropy(model(src, tgt_in), tgt_out)
    loss.backward()
    cross = model.decoder.layers[0].cross_attn.last_weights
    assert cross.grad.shape == (1, 2, 3, 4)                    # (B, heads, T_tgt, T_src)
    assert np.any(cross.grad.numpy() != 0)
    model.keep_attention_weights(False)
    paths = plots.attention_maps(model, ["a", "b", "c", "<eos>"], ["<bos>", "x", "y"], src,
                                 tgt_in, str(tmp_path), prefix="g", tgt_out_ids=tgt_out)
    assert len(paths) == 3
    assert all(p.grad is None for p in model.parameters())     # the picture leaves no grads


def test_loss_curve(tmp_path):
    records = [{"kind": "step", "step": s, "loss": 3.0 / s} for s in range(1, 20)]
    records += [{"kind": "epoch", "step": 10, "valid_loss": 0.5},
                {"kind": "epoch", "step": 19, "valid_loss": 0.3}]
    path = tmp_path / "loss.png"
    plots.loss_curve(records, str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]      # no temporary left


def test_gradient_norms_are_collected_by_hooks_and_drawn(tmp_path):
    model, src, tgt_in, tgt_out = _setup()
    norms = plots.GradientNorms(model)
    ag.cross_entropy(model(src, tgt_in), tgt_out).backward()
    norms.remove()
    names = [n for n, _ in model.named_parameters()]
    assert list(norms.norms) != [] and set(norms.norms) == set(names)
    for name, p in model.named_parameters():
        assert norms.norms[name] == pytest.approx(float(np.linalg.norm(p.grad.numpy())), rel=1e-5)
    assert all(not p._hooks for p in model.parameters())       # removed again
    path = tmp_path / "g.png"
    plots.gradient_norms_plot(norms.norms, str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
