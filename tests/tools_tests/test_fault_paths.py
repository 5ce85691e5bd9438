"""Every error path of tools, reached the way a user would reach it, with a
message that names the culprit (the argument, its position, the file)."""
import re
import sys

import pytest

import autograd as ag
from tools import scenes
from tools.backprop_graph import build_graph, draw, main, save, scene_digraph
from tools.backward_order import planned
from tools.graph_collapse import collapse
from tools.graph_walk import retain_all_grads, walk


def _loss():
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    return (x * x).sum()


@pytest.mark.parametrize("fn", [walk, draw, planned, retain_all_grads])
def test_outputs_that_are_not_tensors_are_named_by_position(fn):
    with pytest.raises(TypeError, match=r"^graph walk: outputs\[1\] is a float, not a Tensor$"):
        fn([_loss(), 1.0])


def test_no_outputs_at_all_is_named():
    with pytest.raises(ValueError, match=r"^graph walk: no outputs tensors given$"):
        walk([])


def test_a_base_that_is_not_tensors_is_named():
    with pytest.raises(TypeError, match=r"^graph walk: base\[0\] is a int, not a Tensor$"):
        walk(_loss(), base=[3])


def test_a_model_that_is_not_a_module_names_its_type():
    with pytest.raises(TypeError, match=r"^graph walk: model must be an nn.Module, got dict$"):
        build_graph(_loss(), model={"w": 1})


@pytest.mark.parametrize("depth", [0, -1, "2", 1.5, True])
def test_a_depth_that_is_not_a_positive_integer_is_named(depth):
    pattern = rf"^depth must be an integer >= 1 \(1 = top-level modules\), got " \
              rf"{re.escape(repr(depth))}$"
    with pytest.raises(ValueError, match=pattern):
        draw(_loss(), depth=depth)
    with pytest.raises(ValueError, match=pattern):
        collapse(walk(_loss()), depth)


def test_an_unknown_scene_names_it_and_the_choices():
    with pytest.raises(ValueError, match=r"^unknown scene 'nope'; choose one of: attention, "
                                         r"multi-head,"):
        scenes.build("nope")
    with pytest.raises(ValueError, match=r"^unknown scene 'nope'"):
        scene_digraph("nope")


def test_an_unknown_node_id_is_named():
    with pytest.raises(KeyError, match=r"no node 'op9' in this graph"):
        walk(_loss()).node("op9")


def test_a_file_of_an_unknown_format_is_named(tmp_path):
    path = tmp_path / "graph.jpeg"
    pattern = rf"^cannot write {re.escape(str(path))}: the extension must be one of .dot, .gv, " \
              r".svg, .png, .pdf, .html$"
    with pytest.raises(ValueError, match=pattern):
        save(draw(_loss()), path)
    assert main(["--scene", "attention", "-o", str(path)]) == 2     # the command: one line
    assert not path.exists()


def test_drawing_without_the_graphviz_package_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)     # `import graphviz` fails
    with pytest.raises(ImportError, match=r"^tools: drawing needs the `graphviz` Python package: "
                                          r"`pip install graphviz`"):
        draw(_loss())


def test_drawing_a_graph_freed_by_backward_names_the_op():
    loss = _loss()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"^op Sum was freed by a backward\(\) pass"):
        draw(loss)
