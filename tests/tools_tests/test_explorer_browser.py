"""The explorer page in a real browser: headless Chromium driven by Selenium,
offline. Stepping follows the order backward() really ran, the panel shows
what autograd computed, modules collapse and expand, the console stays
clean, and the whole tiny Transformer's page loads and steps quickly."""
import re
import time

import numpy as np
import pytest

from autograd import engine
from tools import explorer_screenshot
from tools.backprop_graph import main
from tools.browser import chromium
from tools.explorer_screenshot import node_label, open_page

from .helpers import backpropagated_scene, needs_browser

pytestmark = needs_browser

# The highlighted elements: node ids (SVG titles), or "box:<path>" for a
# collapsed module's box.
CURRENT = """return Array.from(document.querySelectorAll('#graph .bw-current')).map(
  function (el) { return el.dataset.id || 'box:' + el.dataset.path; });"""
GRAD_EDGES = """return ['pending', 'done', 'current'].map(function (s) {
  return document.querySelectorAll('#graph g.edge.grad-' + s).length; });"""


@pytest.fixture(scope="module")
def driver():
    with chromium(1400, 900) as d:
        yield d


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer")
    paths = {}
    for name in ("attention", "transformer"):
        paths[name] = folder / f"{name}.html"
        main(["--scene", name, "--backward", "-o", str(paths[name])])
    return paths


@pytest.fixture(autouse=True)
def console_stays_clean(driver):
    driver.get_log("browser")                       # (what earlier tests left)
    yield
    problems = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not problems, f"browser console: {problems}"


def step_shown(driver):
    return int(re.match(r"step (\d+) /", driver.find_element("id", "step-label").text).group(1))


def test_next_highlights_at_each_step_the_op_whose_backward_ran(driver, pages):
    scene, order, op_ids = backpropagated_scene("attention")
    expected = [op_ids[fn] for fn in order]
    assert expected == [op_ids[fn] for fn in engine.schedule([scene.loss])]
    open_page(driver, pages["attention"])
    assert driver.execute_script(CURRENT) == []
    assert driver.execute_script(GRAD_EDGES)[1:] == [0, 1]          # only the seed
    next_button, done = driver.find_element("id", "next"), 0
    for k, op in enumerate(expected, 1):
        next_button.click()
        assert driver.execute_script(CURRENT) == ["b" + op], f"step {k}"
        assert step_shown(driver) == k
        pending, now_done, current = driver.execute_script(GRAD_EDGES)
        assert now_done > done and current >= 1     # its gradients are handed on now
        done = now_done
    assert pending == 0 and not next_button.is_enabled()
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_previous_arrow_keys_slider_and_play(driver, pages):
    open_page(driver, pages["attention"])
    body = driver.find_element("tag name", "body")
    for _ in range(3):
        body.send_keys("\ue014")                          # right arrow
    assert step_shown(driver) == 3
    driver.find_element("id", "prev").click()
    body.send_keys("\ue012")                              # left arrow
    assert step_shown(driver) == 1
    body.send_keys("\ue010")                              # End
    assert step_shown(driver) == 11
    slider = driver.find_element("id", "slider")
    slider.send_keys("\ue011", "\ue014", "\ue014")        # Home, right, right: the range input
    assert step_shown(driver) == 2
    play = driver.find_element("id", "play")
    play.click()
    deadline = time.monotonic() + 10
    while step_shown(driver) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    play.click()                                          # pause
    paused_at = step_shown(driver)
    time.sleep(0.9)                                       # longer than a step of play
    assert 3 <= paused_at == step_shown(driver)


def test_clicking_W_q_shows_its_shape_and_the_gradient_norm_autograd_computed(driver, pages):
    scene, _, _ = backpropagated_scene("attention")
    norm = float(np.linalg.norm(scene.model.W_q.grad.numpy().astype(np.float64)))
    open_page(driver, pages["attention"])
    node_label(driver, "W_q").click()
    panel = driver.find_element("id", "panel")
    assert panel.find_element("tag name", "h2").text == "W_q"
    assert "(4, 3)" in panel.text and "float32" in panel.text
    shown = panel.find_element("css selector", ".grad-section tr[data-stat=norm] td:last-child")
    assert float(shown.text) == pytest.approx(norm, rel=1e-5)
    assert "not computed yet at step 0" in panel.text      # x @ W_q is the last backward
    driver.find_element("id", "last").click()
    assert "not computed yet" not in panel.text


def test_collapse_and_expand_modules(driver, pages):
    scene, order, op_ids = backpropagated_scene("transformer")
    open_page(driver, pages["transformer"])
    graph = driver.find_element("id", "graph")
    encoder = graph.find_element("css selector", 'g.cluster[data-path="encoder"] text')
    encoder.click()                                       # the module in the panel
    driver.find_element("css selector", "#panel .collapse-button").click()
    box = graph.find_element("css selector", '.module-box[data-path="encoder"]')
    assert box.is_displayed() and "688 parameters" in box.text
    hidden = driver.execute_script("return document.querySelectorAll('#graph .folded').length")
    assert hidden > 50 and not encoder.is_displayed()
    first_in_encoder = next(k for k, fn in enumerate(order, 1)
                            if fn.module_path.startswith("encoder"))
    driver.find_element("id", "slider").send_keys(*["\ue014"] * first_in_encoder)
    assert driver.execute_script(CURRENT) == ["box:encoder"]       # the op inside is boxed
    driver.find_element("css selector", "#panel .collapse-button").click()   # expand
    assert not graph.find_elements("css selector", ".module-box")
    assert driver.execute_script(CURRENT) == ["b" + op_ids[order[first_in_encoder - 1]]]


def test_depth_menu_collapses_to_module_nodes_that_expand_on_the_page(driver, pages):
    open_page(driver, pages["transformer"])
    menu = driver.find_element("id", "depth")
    menu.find_element("css selector", 'option[value="1"]').click()
    graph = driver.find_element("id", "graph")
    labels = graph.text
    assert "Encoder" in labels and "688 parameters" in labels and "Embedding" not in labels
    graph.find_element("css selector", '.toggle[data-path="encoder"]').click()      # expand
    assert "encoder.layers.0" in graph.text and "Decoder" in graph.text
    assert menu.get_attribute("value") == "mixed"
    graph.find_element("css selector", '.toggle[data-path="encoder"]').click()      # collapse
    assert menu.get_attribute("value") == "1" and "encoder.layers.0" not in graph.text


def test_the_whole_tiny_transformer_loads_and_steps_through_its_backward_pass(driver, pages,
                                                                              capsys):
    scene, order, op_ids = backpropagated_scene("transformer")
    path = pages["transformer"]
    start = time.perf_counter()
    open_page(driver, path)
    load = time.perf_counter() - start
    run = driver.execute_script("""
        const next = document.getElementById('next'), seen = [], t0 = performance.now();
        for (let k = 1; k <= GF.nSteps; k++) {
          next.click();
          seen.push(Array.from(document.querySelectorAll('#graph .bw-current')).map(
            function (el) { return el.dataset.id; }));
        }
        return {seen: seen, ms: (performance.now() - t0) / GF.nSteps, ready: GF.readyAt};""")
    with capsys.disabled():                               # shown in every test run
        print(f"\nexplorer, whole tiny Transformer: {path.stat().st_size / 1e6:.2f} MB, "
              f"page load {load:.2f} s (scripts ready {run['ready']:.0f} ms after navigation), "
              f"{len(order)} backward steps, {run['ms']:.1f} ms per step")
    assert run["seen"] == [["b" + op_ids[fn]] for fn in order]
    assert load < 60 and run["ms"] < 1000                 # sanity bounds, not a benchmark


def test_screenshot_at_a_step_is_not_blank(driver, pages, tmp_path):
    image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    open_page(driver, pages["attention"])
    for _ in range(6):
        driver.find_element("id", "next").click()
    png = tmp_path / "attention-step-6.png"
    driver.save_screenshot(str(png))
    assert png.stat().st_size > 30_000
    colours = image.open(png).convert("RGB").getcolors(1 << 24)
    assert len(colours) > 200
    assert any(r > 240 and 110 < g < 170 and b < 60 for _, (r, g, b) in colours)  # the highlight


def test_screenshot_command_writes_the_png(tmp_path, capsys):
    out = tmp_path / "explorer.png"
    assert explorer_screenshot.main(["--scene", "feed-forward", "--step", "2", "--select",
                                     "w_1.weight", "--size", "900x600", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
