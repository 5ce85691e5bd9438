"""`python -m tools.backprop_graph`: every scene renders, the format follows
the extension, and without `dot` the .dot file is still written."""
import pathlib
import xml.etree.ElementTree as ET

import pytest

from tools import backprop_graph, scenes
from tools.backprop_graph import main, scene_digraph

from .helpers import needs_dot, render_svg, svg_text

ROOT = pathlib.Path(__file__).resolve().parents[2]


@needs_dot
@pytest.mark.parametrize("name", [n for n in scenes.SCENES if n != "transformer"])
def test_each_scene_renders_to_svg(name, tmp_path):
    out = tmp_path / f"{name}.svg"
    assert main(["--scene", name, "--backward", "--order", "-o", str(out)]) == 0
    text = svg_text(ET.parse(out).getroot())
    assert "Backward" in text and "step 1" in text


@needs_dot
def test_the_whole_tiny_transformer_renders_in_bounded_time():
    # A generous bound on `dot` itself (a hang would fail here), not a timing assertion.
    for kwargs in ({}, {"backward": True, "show_order": True}, {"depth": 2, "backward": True}):
        root = render_svg(scene_digraph("transformer", **kwargs), timeout=300)
        assert "CrossEntropy" in svg_text(root)


@needs_dot
def test_higher_order_scene_renders(tmp_path):
    out = tmp_path / "grad.svg"
    assert main(["--scene", "attention", "--higher-order", "-o", str(out)]) == 0
    text = svg_text(ET.parse(out).getroot())
    assert "recorded by backward" in text and "SoftmaxBackward" in text


def test_dot_extension_writes_dot_text(tmp_path, capsys):
    out = tmp_path / "ffn.dot"
    main(["--scene", "feed-forward", "--depth", "1", "-o", str(out)])
    assert out.read_text().startswith("digraph")
    assert capsys.readouterr().out.strip() == f"wrote {out}"


def test_without_dot_the_dot_file_is_written_with_one_line_of_advice(tmp_path, capsys,
                                                                     monkeypatch):
    monkeypatch.setattr(backprop_graph.shutil, "which", lambda name: None)
    out = tmp_path / "attention.svg"
    main(["--scene", "attention", "--backward", "-o", str(out)])
    assert not out.exists()
    assert (tmp_path / "attention.dot").read_text().startswith("digraph")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "apt-get install graphviz" in lines[0] and "pip install graphviz" in lines[0]


def test_unknown_extension_scene_and_depth_are_refused(tmp_path, capsys):
    assert main(["--scene", "attention", "-o", str(tmp_path / "a.jpeg")]) == 2
    assert capsys.readouterr().err == (f"error: cannot write {tmp_path / 'a.jpeg'}: the "
                                       "extension must be one of .dot, .gv, .svg, .png, .pdf, "
                                       ".html\n")
    with pytest.raises(SystemExit):
        main(["--scene", "nonesuch"])
    with pytest.raises(SystemExit):
        main(["--depth", "0"])
    assert "unknown scene" in capsys.readouterr().err


def test_an_unwritable_output_is_one_line(tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    for path, reason in ((a_file / "graph.dot", "Not a directory"),
                         (tmp_path, "Is a directory")):
        target = path if path.suffix else path / "graph.dot"
        if path == tmp_path:
            target = tmp_path / "dir.dot"
            target.mkdir()
        assert main(["--scene", "attention", "-o", str(target)]) == 2
        assert capsys.readouterr().err == f"error: cannot write {target}: {reason}\n"


def test_list_names_every_scene(capsys):
    main(["--list"])
    assert capsys.readouterr().out.split() == list(scenes.SCENES)


def test_readme_picture_is_committed_and_is_an_attention_backward_graph():
    picture = ROOT / "docs" / "attention_backward.svg"
    text = svg_text(ET.parse(picture).getroot())
    assert "MatmulBackward" in text and "SoftmaxBackward" in text and "W_q" in text
    assert "docs/attention_backward.svg" in (ROOT / "README.md").read_text()
