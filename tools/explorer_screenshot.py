"""A PNG of the backprop explorer as the browser shows it (the README's picture):

    python -m tools.explorer_screenshot --scene attention --step 6 -o docs/backprop_explorer.png

Writes the scene's explorer page to a temporary folder, opens it in headless
Chromium (``tools.browser``), clicks the node labelled ``--select`` (the
panel shows it; without it the panel follows the step), presses "next"
``--step`` times and saves the window.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

from nn import atomic

from . import scenes
from .backprop_graph import save, scene_digraph
from .browser import chromium, missing

# The line of text equal to arguments[0] in one of the graph's nodes.
FIND_LABEL = """
const label = arguments[0];
return Array.from(document.querySelectorAll('#graph g.node text')).find(function (t) {
  return t.textContent === label;
}) || null;"""


def node_label(driver, text):
    """The <text> of the explorer's SVG node that reads ``text`` (what a user
    clicks to inspect the node)."""
    label = driver.execute_script(FIND_LABEL, text)
    if label is None:
        raise LookupError(f"explorer page: no node labelled {text!r}")
    return label


def open_page(driver, path):
    """Load an explorer page and wait until its scripts have run."""
    driver.get(pathlib.Path(path).resolve().as_uri())
    if driver.execute_script("return document.body.dataset.ready") != "true":
        raise RuntimeError(f"explorer page {path} did not start: {driver.get_log('browser')}")


def screenshot(page, png, step=0, select=None, width=1500, height=1000) -> str:
    """Open ``page``, click ``select``, step ``step`` times, write ``png``."""
    with chromium(width, height) as driver:
        open_page(driver, page)
        if select:                     # first, while the whole graph is in view
            node_label(driver, select).click()
        next_button = driver.find_element("id", "next")
        for _ in range(step):
            next_button.click()
        atomic.write_bytes(png, driver.get_screenshot_as_png())
    return f"wrote {png}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.explorer_screenshot",
                                     description="A PNG of a scene's backprop explorer page.")
    parser.add_argument("--scene", default="attention", help="one of: " + ", ".join(scenes.SCENES))
    parser.add_argument("--step", type=int, default=0, help="backward steps to take first")
    parser.add_argument("--select", help="click the node with this label (e.g. W_q)")
    parser.add_argument("--depth", type=int, help="open with modules collapsed at this depth")
    parser.add_argument("--size", default="1500x1000", help="window WIDTHxHEIGHT in pixels")
    parser.add_argument("-o", "--output", default="explorer.png", help="the PNG to write")
    args = parser.parse_args(argv)
    if args.scene not in scenes.SCENES:
        parser.error(f"unknown scene {args.scene!r}; choose one of: {', '.join(scenes.SCENES)}")
    try:
        width, height = (int(v) for v in args.size.split("x"))
    except ValueError:
        parser.error(f"--size must be WIDTHxHEIGHT, e.g. 1500x860, got {args.size!r}")
    if missing():
        parser.exit(1, f"error: {missing()}\n")
    digraph = scene_digraph(args.scene, backward=True, depth=args.depth, show_order=True)
    with tempfile.TemporaryDirectory() as folder:
        page = pathlib.Path(folder) / f"{args.scene}.html"
        save(digraph, page)
        print(screenshot(page, args.output, args.step, args.select, width, height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
