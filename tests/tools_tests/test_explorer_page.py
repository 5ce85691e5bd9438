"""The explorer page without a browser: what it embeds (values cut to 64x64
with the true shape, statistics of the whole array, the backward order, the
formulas), that it is one self-contained file, its layouts, the CLI and
draw()'s notebook view."""
import inspect
import json
import pathlib
import re

import numpy as np
import pytest

import autograd as ag
from autograd import engine
from autograd.function import Function
from tools import browser, explorer_layouts
from tools.array_preview import LIMIT, MAX_SLICES, preview
from tools.backprop_graph import draw, main, save
from tools.explorer_data import page_model
from tools.explorer_page import explorer_html, script_json
from tools.graph_backward import add_backward
from tools.graph_walk import walk

from .helpers import backpropagated_scene, needs_dot

_DATA = re.compile(r'<script id="explorer-data" type="application/json">(.*?)</script>', re.S)


def page_data(page):
    return json.loads(_DATA.search(page).group(1))


def test_preview_keeps_the_first_64x64_and_states_the_true_shape():
    a = np.arange(100 * 70, dtype=np.float32).reshape(100, 70) / 7
    p = preview(a)
    assert p["shape"] == [100, 70] and p["truncated"]
    rows = p["slices"][0]
    assert len(rows) == LIMIT and len(rows[0]) == LIMIT
    assert rows[3][5] == pytest.approx(a[3, 5], rel=1e-3)          # 4 significant digits
    assert p["stats"]["max"] == pytest.approx(a.max()) and p["stats"]["size"] == 7000
    assert p["stats"]["norm"] == pytest.approx(np.linalg.norm(a.astype(np.float64)), rel=1e-12)


def test_preview_counts_and_encodes_nan_and_inf():
    p = preview(np.array([1.0, np.nan, np.inf, -np.inf, -2.0], dtype=np.float32))
    assert p["slices"] == [[[1.0, "NaN", "Inf", "-Inf", -2.0]]]
    assert p["stats"]["nan"] == 1 and p["stats"]["inf"] == 2
    assert p["stats"]["min"] == -2.0 and p["stats"]["max"] == 1.0
    json.dumps(p, allow_nan=False)                                # valid JSON


def test_preview_of_an_empty_array_has_its_shape_and_no_statistics():
    p = preview(np.zeros((0, 3, 2), dtype=np.float32))
    assert p["shape"] == [0, 3, 2] and p["stats"] is None and p["slices"] == []


def test_preview_of_attention_weights_has_one_slice_per_head():
    weights = np.random.default_rng(0).random((1, 2, 3, 3))
    p = preview(weights, head_axis=1)
    assert p["labels"] == ["head 0", "head 1"] and not p["truncated"]
    assert preview(np.zeros((2, 2, 2, 2)), head_axis=1)["labels"][3] == "batch 1, head 1"
    many = preview(np.zeros((40, 2, 2)))
    assert len(many["slices"]) == MAX_SLICES and many["truncated"]


def test_page_model_has_the_recorded_order_gradients_and_formulas():
    scene, order, op_ids = backpropagated_scene("attention")
    graph = add_backward(walk(scene.loss, model=scene.model, order=order))
    model = page_model(graph)
    assert model["steps"] == [op_ids[fn] for fn in order]
    assert model["steps"] == [op_ids[fn] for fn in engine.schedule([scene.loss])]
    w_q = next(n for n in model["nodes"].values() if n.get("parameter") == "W_q")
    assert w_q["shape"] == [4, 3] and w_q["grad"]["stats"]["norm"] == pytest.approx(
        float(np.linalg.norm(scene.model.W_q.grad.numpy().astype(np.float64))), rel=1e-12)
    assert w_q["grad_steps"] == [len(order)]        # the last op backward ran (x @ W_q)
    softmax = next(n for n in model["nodes"].values() if n.get("label") == "Softmax")
    assert softmax["formulas"] == inspect.cleandoc(Function.registry["Softmax"].formulas())
    assert softmax["settings"] == {"axis": "-1"}


@needs_dot
def test_page_is_one_file_that_fetches_nothing(tmp_path, capsys):
    out = tmp_path / "attention.html"
    assert main(["--scene", "attention", "--backward", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    page = out.read_text()
    assert "default-src 'none'" in page                       # the browser refuses any fetch
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert not re.search(r"<script[^>]+src", page)
    data = page_data(page)
    assert len(data["steps"]) == 11 and len(data["layouts"]) == 1   # no module boxes


def test_an_audited_graph_states_each_ops_check():
    x = ag.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=ag.float64, requires_grad=True)
    loss = (x.exp() * x).sum()
    report = ag.check_graph(loss)
    ops = page_model(add_backward(walk(loss, audit=report)))["nodes"]
    assert [n["audit"].split(",")[0] for n in ops.values() if n["kind"] == "op"] == ["ok"] * 3
    assert "worst relative error" in next(n for n in ops.values() if n["kind"] == "op")["audit"]


def test_names_cannot_end_the_script_block():
    text = script_json({"name": "</script><script>alert(1)</script><!--"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script><!--"


@needs_dot
def test_the_whole_tiny_transformer_page_is_under_2_mb_with_a_layout_per_depth(tmp_path):
    out = tmp_path / "transformer.html"
    main(["--scene", "transformer", "--backward", "-o", str(out)])
    assert out.stat().st_size < 2e6          # (the browser test prints the size and load time)
    data = page_data(out.read_text())
    assert [layout["depth"] for layout in data["layouts"]] == [None, 1, 2, 3, 4]
    encoder = data["layouts"][1]
    box = next(k for k, v in encoder["boxes"].items() if v == "encoder")
    merged = [k for k, v in encoder["members"].items() if v == box]
    assert merged and all(data["nodes"][k]["module"].startswith("encoder") for k in merged)


@needs_dot
def test_depth_sets_the_level_collapsed_when_the_page_opens(tmp_path):
    out = tmp_path / "layer.html"
    main(["--scene", "encoder-layer", "--depth", "1", "-o", str(out)])   # .html: backward
    data = page_data(out.read_text())
    assert data["depth"] == 1 and len(data["steps"]) == 30
    assert data["modules"]["self_attn.w_q"] == {"cls": "Linear", "n_params": 72,
                                                "parent": "self_attn", "level": 2}


@needs_dot
def test_each_layouts_step_tables_name_its_drawn_nodes_and_edges():
    scene, order, _ = backpropagated_scene("encoder-layer")
    graph = add_backward(walk(scene.loss, model=scene.model, order=order))
    for layout in explorer_layouts.layouts(graph):
        titles = set(re.findall(r"<title>(.*?)</title>", layout["svg"]))
        titles = {t.replace("&#45;&gt;", "->") for t in titles}
        assert set(layout["node_steps"]) <= titles
        assert set(layout["grad_steps"]) <= titles
        ran = sorted(s for steps in layout["node_steps"].values() for s in steps)
        assert ran == sorted(set(ran)) and set(ran) == set(range(1, len(graph.order_of) + 1))


@needs_dot
def test_draw_gives_the_svg_and_the_explorer_for_notebooks():
    w = ag.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, name="w")
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    digraph = draw(loss, backward=True)
    assert "MulBackward" in digraph.source
    assert "image/svg+xml" in digraph._repr_mimebundle_()       # today's picture
    frame = digraph._repr_html_()
    assert frame.startswith("<iframe") and 'sandbox="allow-scripts"' in frame
    assert "gradformer backprop explorer" in frame and "<script>" not in frame   # escaped
    # Without an order, the page steps through the engine's own schedule.
    assert digraph.explorer_html() == explorer_html(loss, order=engine.schedule([loss]))


def test_notebook_displays_both_the_explorer_and_the_svg():
    formatters = pytest.importorskip("IPython.core.formatters",
                                     reason="IPython is not installed: notebook display not tested")
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = (x * 3.0).sum()
    data, _ = formatters.DisplayFormatter().format(draw(loss, backward=True))
    assert {"text/html", "image/svg+xml"} <= set(data)


def test_html_needs_a_digraph_made_by_draw(tmp_path):
    graphviz = pytest.importorskip("graphviz", reason="the graphviz package is not installed")
    with pytest.raises(TypeError, match="draw"):
        save(graphviz.Digraph(), tmp_path / "plain.html")


def test_without_dot_the_page_is_refused_with_the_install_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(explorer_layouts.shutil, "which", lambda name: None)
    assert main(["--scene", "attention", "-o", str(tmp_path / "a.html")]) == 2   # one line
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert "apt-get install graphviz" in err
    assert not (tmp_path / "a.html").exists()


def test_readme_shows_the_explorer_screenshot_and_the_command_that_made_it():
    root = pathlib.Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    assert (root / "docs" / "backprop_explorer.png").read_bytes()[:4] == b"\x89PNG"
    assert "](docs/backprop_explorer.png)" in readme
    assert "python -m tools.explorer_screenshot" in readme and "-o docs/backprop_explorer.png" in readme


def test_a_missing_browser_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    reason = browser.missing()
    assert "/nonexistent/chromium" in reason
    assert "apt-get install -y chromium chromium-driver" in reason and "selenium" in reason
    with pytest.raises(RuntimeError, match="no headless browser"):
        with browser.chromium():
            pass


def test_a_graph_freed_before_display_leaves_the_svg_and_says_why():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    digraph = draw(loss)
    loss.backward()                                   # frees the graph the page would walk
    with pytest.warns(UserWarning, match="backprop explorer not shown: .*freed"):
        assert digraph._repr_html_() is None
    assert "Mul" in digraph.source
