"""Pictures: attention heatmaps (weights, gradients w.r.t. the scores, masked
cells grey, a figure per layer), the gradient norms grouped by module, the
loss curve; Figures returned, no backend forced."""
import math
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import transformer as T
from transformer import plots

from .helpers import ROOT, micro_config

SRC = ["a", "b", "c", "<eos>"]
TGT_IN = ["<bos>", "x", "y"]


def _setup(**config):
    ag.manual_seed(0)
    model = T.Transformer(micro_config(**config))
    src = ag.tensor([[3, 4, 5, 2]])
    tgt_in = ag.tensor([[1, 6, 7]])
    tgt_out = ag.tensor([[6, 7, 2]])
    return model, src, tgt_in, tgt_out


def _figures(model, src, tgt_in, tgt_out=None, **choice):
    return plots.attention_figures(model, SRC, TGT_IN, src, tgt_in, tgt_out, **choice)


def test_a_figure_per_kind_and_layer_with_colour_bars_and_no_state_left(tmp_path):
    model, src, tgt_in, tgt_out = _setup(n_encoder_layers=2, n_decoder_layers=2)
    figures = _figures(model, src, tgt_in, tgt_out)
    assert sorted(figures) == [f"{kind}_layer{i}" for kind in ("cross", "decoder_self",
                                                               "encoder_self") for i in (0, 1)]
    bars = [ax.get_ylabel() for ax in figures["cross_layer1"].axes if ax.get_label() ==
            "<colorbar>"]
    assert bars == ["attention weight", "d loss / d score"]
    assert all(m.last_weights is None for m in model.modules()
               if isinstance(m, T.MultiHeadAttention))
    assert all(p.grad is None for p in model.parameters())     # the picture leaves no grads
    paths = plots.attention_maps(model, SRC, TGT_IN, src, tgt_in, str(tmp_path), layers=[1])
    assert [os.path.basename(p) for p in paths] == ["attention_encoder_self_layer1.png",
                                                    "attention_decoder_self_layer1.png",
                                                    "attention_cross_layer1.png"]
    assert all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in paths)


def _panels(figure):
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def test_rows_are_the_predicted_tokens_and_heads_can_be_chosen():
    model, src, tgt_in, tgt_out = _setup()
    figures = _figures(model, src, tgt_in, tgt_out, heads=[1])
    for kind, columns in (("decoder_self", TGT_IN), ("cross", SRC)):
        (weights, grads) = _panels(figures[f"{kind}_layer0"])
        assert [t.get_text() for t in weights.get_yticklabels()] == ["x", "y", "<eos>"]
        assert [t.get_text() for t in weights.get_xticklabels()] == columns
        assert (weights.get_title(), grads.get_title()) == ("head 1",
                                                            "head 1: d loss / d score")
    assert len(_panels(_figures(model, src, tgt_in)["encoder_self_layer0"])) == 2  # no grads
    with pytest.raises(ValueError, match=r"^--head 2: the model has 2 heads \(0 to 1\)$"):
        _figures(model, src, tgt_in, heads=[2])


def test_the_causal_mask_is_grey_and_passes_no_gradient_to_the_scores():
    model, src, tgt_in, tgt_out = _setup()
    figure = _figures(model, src, tgt_in, tgt_out)["decoder_self_layer0"]
    block = model.decoder.layers[0].self_attn
    model.keep_attention_weights("grad")
    ag.cross_entropy(model(src, tgt_in), tgt_out).backward()
    score_grads = plots._score_gradients(block.last_weights)           # (heads, T, T)
    model.keep_attention_weights(False)
    above = np.triu(np.ones((3, 3), bool), k=1)                          # key after query
    assert (score_grads[:, above] == 0).all()                            # exactly, not nearly
    assert (np.abs(score_grads[:, ~above]) > 0).any()
    for ax in _panels(figure):                                           # weights and gradients
        hidden = np.ma.getmaskarray(ax.get_images()[0].get_array())     # NaN cells: bad
        assert hidden[above].all() and not hidden[~above].any()
        assert ax.get_images()[0].get_cmap().get_bad()[:3] == pytest.approx(
            (0xd0 / 255,) * 3)                                           # drawn grey
    assert "grey: masked by the causal mask" in figure.get_suptitle()
    other = _figures(model, src, tgt_in, tgt_out)["cross_layer0"]
    assert not np.ma.getmaskarray(_panels(other)[0].get_images()[0].get_array()).any()


def test_score_gradients_are_the_softmax_backward_of_the_weight_gradients():
    ag.manual_seed(3)
    scores = ag.randn(1, 2, 3, 4, dtype=ag.float64, requires_grad=True)
    upstream = ag.randn(1, 2, 3, 4, dtype=ag.float64)
    weights = ag.softmax(scores, axis=-1).retain_grad()
    (weights * upstream).sum().backward()
    np.testing.assert_allclose(plots._score_gradients(weights), scores.grad.numpy()[0],
                               rtol=1e-12, atol=1e-15)


def _overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_no_title_label_or_colour_bar_overlaps_another_for_the_small_model():
    ag.manual_seed(0)
    model = T.Transformer(T.TransformerConfig.preset("small", src_vocab_size=30,
                                                     tgt_vocab_size=30, max_len=32))
    src_tokens = [f"w{i}" for i in range(14)] + ["<eos>"]
    tgt_in_tokens = ["<bos>"] + [f"v{i}" for i in range(15)]
    src = ag.tensor([list(range(3, 17)) + [2]])
    tgt_in = ag.tensor([[1] + list(range(3, 18))])
    tgt_out = ag.tensor([list(range(3, 18)) + [2]])
    figure = plots.attention_figures(model, src_tokens, tgt_in_tokens, src, tgt_in, tgt_out,
                                     layers=[2])["decoder_self_layer2"]
    assert len(_panels(figure)) == 16                                    # 8 heads, 2 panels each
    figure.draw_without_rendering()                                      # lays it out
    # Each panel and colour bar with its title, tick labels and label, and the figure title.
    boxes = [ax.get_tightbbox() for ax in figure.axes if ax.get_visible()]
    boxes.append(figure._suptitle.get_window_extent())
    assert len(boxes) == 16 + 2 + 1
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1:])


def test_gradient_norms_grouped_by_module_in_model_order_with_the_key_bias_note():
    model, src, tgt_in, tgt_out = _setup()
    norms = plots.GradientNorms(model)
    ag.cross_entropy(model(src, tgt_in), tgt_out).backward()
    norms.remove()
    names = [n for n, _ in model.named_parameters()]
    assert list(norms.norms) == names                                    # model order
    for name, p in model.named_parameters():
        assert norms.norms[name] == pytest.approx(float(np.linalg.norm(p.grad.numpy())), rel=1e-5)
    assert all(not p._hooks for p in model.parameters())                # removed again
    # softmax ignores the same q . b_k added to every score of a row: no gradient for b_k
    key_bias = norms.norms["encoder.layers.0.self_attn.w_k.bias"]
    assert key_bias < 1e-6 * norms.norms["encoder.layers.0.self_attn.w_q.bias"]
    figure = plots.gradient_norms_plot(norms.norms)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    headings = [t.get_text() for t in figure.axes[0].get_yticklabels()
                if t.get_fontweight() == "bold"]
    assert headings[:4] == ["encoder.embed", "encoder.layers.0.self_attn",
                            "encoder.layers.0.feed_forward", "encoder.layers.0.sublayers"]
    assert headings[-1] == "generator" and len(labels) == len(names) + len(headings)
    assert labels[labels.index("encoder.layers.0.self_attn") + 3].strip() == "w_k.weight"
    assert "softmax ignores a constant added to a whole row" in figure._supxlabel.get_text()
    assert [t.get_text() for t in figure.axes[0].texts].count(" ~0") == 3   # every w_k.bias


def test_loss_curve_returns_a_figure_saved_atomically_with_normal_permissions(tmp_path):
    records = [{"kind": "step", "step": s, "loss": 3.0 / s} for s in range(1, 20)]
    records += [{"kind": "epoch", "step": 10, "valid_loss": 0.5},
                {"kind": "epoch", "step": 19, "valid_loss": 0.3}]
    figure = plots.loss_curve(records)
    assert [line.get_label() for line in figure.axes[0].get_lines()] == [
        "train loss (label-smoothed)", "validation loss (NLL)"]
    path = tmp_path / "loss.png"
    old = os.umask(0o022)
    try:
        plots.save(figure, str(path))
    finally:
        os.umask(old)
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]      # no temporary left
    assert math.isfinite(plots.loss_curve([]).get_size_inches()[0])  # nothing logged yet


def test_importing_the_plots_chooses_no_backend_and_opens_no_pyplot():
    code = ("import sys, matplotlib; matplotlib.use('svg'); import transformer.plots, "
            "transformer.train, transformer.translate; "
            "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["svg", "False"], out.stderr
