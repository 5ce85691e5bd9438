"""The graph walk: nodes and edges of known expressions, flags, parameter
paths, a 100,000-op chain, and that walking changes nothing."""
import pytest

import autograd as ag
import nn
from tools import scenes
from tools.backprop_graph import build_graph, draw
from tools.graph_walk import format_setting, retain_all_grads, walk


def _kinds(graph):
    return [n.kind for n in graph.nodes]


def test_square_sum_has_two_ops_three_tensors_five_edges():
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x).sum()
    g = walk(y)
    assert [n.label for n in g.of_kind("op")] == ["Mul", "Sum"]
    assert len(g.of_kind("tensor")) == 3
    assert len(g.edges) == 5                                  # x enters Mul twice
    mul = g.of_kind("op")[0].id
    x_id = next(n.id for n in g.nodes if n.label == "x")
    assert sorted(e.slot for e in g.edges if e.src == x_id and e.dst == mul) == [0, 1]
    assert g.outputs == [next(n.id for n in g.nodes if n.is_output)]


def test_matmul_plus_bias_counts_and_flags():
    a = ag.randn(2, 3, requires_grad=True)
    b = nn.Parameter(ag.randn(3, 4), name="W")
    c = ag.tensor([1.0, 2.0, 3.0, 4.0], name="c")
    g = walk(a @ b + c)
    assert [n.label for n in g.of_kind("op")] == ["Matmul", "Add"]
    tensors = g.of_kind("tensor")
    assert len(tensors) == 5 and len(g.edges) == 6
    by_label = {n.label: n for n in tensors}
    assert by_label["W"].is_parameter and by_label["W"].parameter == "W"
    assert by_label["W"].shape == (3, 4) and by_label["W"].dtype == "float32"
    assert by_label["c"].is_input and by_label["c"].is_leaf and not by_label["c"].requires_grad
    out = next(n for n in tensors if n.is_output)
    assert not out.is_leaf and out.requires_grad and out.shape == (2, 4)


def test_scalar_constant_is_a_constant_with_its_value():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    g = walk(x * 2.5)
    const = [n for n in g.of_kind("tensor") if n.is_constant]
    assert len(const) == 1 and const[0].value == "2.5" and not const[0].is_input


def test_unused_outputs_of_a_multi_output_op_are_not_drawn():
    x = ag.randn(4, requires_grad=True)
    first, _ = ag.split(x, 2)
    g = walk(first.sum())
    assert [n.label for n in g.of_kind("op")] == ["Split", "Sum"]
    assert len(g.of_kind("tensor")) == 3


def test_op_settings_and_module_paths():
    ag.manual_seed(0)
    norm = nn.LayerNorm(4, eps=1e-3)
    outer = nn.Sequential(nn.Linear(4, 4), norm)
    y = outer(ag.randn(2, 4)).softmax(axis=0)
    g = walk(y, model=outer)
    ops = {n.label: n for n in g.of_kind("op")}
    assert ops["LayerNorm"].settings == {"eps": "0.001"} and ops["LayerNorm"].module == "1"
    assert ops["Linear"].module == "0"
    assert ops["Softmax"].settings == {"axis": "0"} and ops["Softmax"].module == ""
    params = {n.parameter: n.module for n in g.of_kind("tensor") if n.is_parameter}
    assert params == {"0.weight": "0", "0.bias": "0", "1.weight": "1", "1.bias": "1"}


def test_every_parameter_of_the_transformer_appears_once_with_its_dotted_path():
    scene = scenes.build("transformer")
    g = walk(scene.loss, model=scene.model)
    drawn = [n.parameter for n in g.of_kind("tensor") if n.is_parameter]
    assert sorted(drawn) == sorted(name for name, _ in scene.model.named_parameters())
    tied = next(n for n in g.of_kind("tensor") if n.parameter == "decoder.embed.token.weight")
    assert tied.aliases == ("generator.weight",)
    source = draw(scene.loss, model=scene.model).source
    for name, _ in scene.model.named_parameters(remove_duplicate=False):
        assert source.count(f">{name}<") + source.count(f">{name} = ") \
            + source.count(f"= {name}<") == 1, name


def test_a_chain_of_100000_ops_walks_without_recursion():
    x = ag.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.0001 if i % 2 else y + 0.001
    g = walk(y)
    assert len(g.of_kind("op")) == 100_000
    assert len(g.of_kind("tensor")) == 200_001       # x, 100,000 results, 100,000 constants
    assert len(g.edges) == 300_000
    assert g.nodes[0].label == "Add" and g.nodes[99_999].label == "Mul"   # forward order


def test_walking_and_drawing_change_no_gradient_and_no_graph():
    scene = scenes.build("transformer")
    retain_all_grads(scene.loss)
    scene.loss.backward(retain_graph=True)
    params = dict(scene.model.named_parameters())
    before = {k: (id(p.grad), p.grad.numpy().copy()) for k, p in params.items()}
    ops = build_graph(scene.loss).of_kind("op")
    assert ops
    from tools.graph_walk import ops_in_order
    inputs_before = [fn.inputs for fn in ops_in_order([scene.loss])]
    for kwargs in ({}, {"backward": True}, {"show_order": True}, {"depth": 2, "backward": True}):
        draw(scene.loss, model=scene.model, **kwargs)
    assert ag.is_grad_enabled()
    for k, p in params.items():
        assert id(p.grad) == before[k][0], k
        assert (p.grad.numpy() == before[k][1]).all(), k
    assert [fn.inputs for fn in ops_in_order([scene.loss])] == inputs_before
    scene.loss.backward()                      # the graph is intact: a second pass adds up
    for k, p in params.items():
        assert abs(p.grad.numpy() - 2 * before[k][1]).max() <= 1e-6 * (1 + abs(before[k][1]).max())


def test_walking_a_freed_graph_says_what_to_do():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        walk(y)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="not a Tensor"):
        walk([1.0])
    with pytest.raises(TypeError, match="nn.Module"):
        walk(ag.tensor([1.0], requires_grad=True) * 2, model=object())


@pytest.mark.parametrize("value, text", [
    (-1, "-1"), (1e-5, "1e-05"), (None, "None"), ((0, 2, 1, 3), "(0, 2, 1, 3)"), ((4,), "(4,)"),
    (slice(1, 3), "1:3"), (slice(None, None, 2), "::2"), (Ellipsis, "..."),
    ("mean", "'mean'"), (lambda v: v, "<lambda>"), (True, "True")])
def test_settings_are_formatted_without_addresses(value, text):
    assert format_setting(value) == text


def test_setting_holding_an_array_shows_its_shape_only():
    assert format_setting(ag.zeros(2, 3).data) == "ndarray(2, 3) float32"


def test_graph_is_plain_data_and_repeats_exactly():
    import json
    first = json.dumps(build_graph(scenes.build("attention").loss, backward=True).to_dict())
    second = json.dumps(build_graph(scenes.build("attention").loss, backward=True).to_dict())
    assert first == second
    assert '"label": "Q"' in first and '"label": "SoftmaxBackward"' in first
