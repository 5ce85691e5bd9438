"""The Graphviz writer: clusters follow the module tree, collapsing keeps
the graph connected, labels are escaped, and the same model gives the same
DOT text."""
import pytest

import autograd as ag
import nn
from tools import scenes
from tools.backprop_graph import build_graph, draw, scene_digraph
from tools.dot_writer import to_digraph
from tools.graph_data import Edge, Graph, Node
from tools.module_tree import ClusterTree

from .helpers import dot_layout, needs_dot, render_svg, svg_text, weakly_connected


def _expected_clusters(model, op_paths):
    """Modules that made an op (themselves or below), but not ModuleLists,
    each with its nearest such ancestor as parent."""
    modules = dict(model.named_modules())

    def real(path):
        return type(modules[path]).forward is not nn.Module.forward

    wanted = set()
    for path in op_paths:
        parts = path.split(".") if path else []
        wanted |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    wanted = {p for p in wanted if real(p)}
    parents = {}
    for p in wanted:
        parent = p.rpartition(".")[0]
        while parent and parent not in wanted:
            parent = parent.rpartition(".")[0]
        parents[p] = parent
    return parents


def test_clusters_match_the_module_tree():
    scene = scenes.build("transformer")
    graph = build_graph(scene.loss, model=scene.model)
    parents, where = dot_layout(draw(scene.loss, model=scene.model).source)
    expected = _expected_clusters(scene.model, [n.module for n in graph.of_kind("op")])
    assert parents == expected
    assert parents["encoder.layers.0"] == "encoder"                # no box for the ModuleList
    assert parents["encoder.layers.0.self_attn"] == "encoder.layers.0"
    for n in graph.nodes:
        if n.kind == "op":
            assert where[n.id] == n.module, n
        elif n.is_parameter:
            assert where[n.id] == n.parameter.rpartition(".")[0], n


def test_collapse_at_each_depth_keeps_the_graph_connected():
    scene = scenes.build("transformer")
    full = build_graph(scene.loss, model=scene.model, backward=True)
    assert weakly_connected(full)
    deepest = max(ClusterTree(full).level(p) for p in ClusterTree(full).paths)
    sizes = []
    for depth in range(1, deepest + 1):
        g = build_graph(scene.loss, model=scene.model, backward=True, depth=depth)
        ids = [n.id for n in g.nodes]
        assert len(ids) == len(set(ids))
        assert all(e.src in ids and e.dst in ids for e in g.edges)
        assert weakly_connected(g), depth
        tree = ClusterTree(g)
        assert all(tree.level(p) < depth for p in tree.paths), depth
        sizes.append(len(g.nodes))
    assert sizes == sorted(sizes) and sizes[-1] < len(full.nodes)
    top = {n.label: n for n in build_graph(scene.loss, model=scene.model, depth=1).nodes
           if n.kind == "module"}
    assert set(top) == {"encoder", "decoder", "generator"}
    assert top["encoder"].n_params == scene.model.encoder.num_parameters()
    assert top["encoder"].in_shapes == ("(1, 5)", "(1, 1, 1, 5)")
    assert top["encoder"].out_shapes == ("(1, 5, 8)",)


def test_collapsed_depth_must_be_positive():
    scene = scenes.build("feed-forward")
    with pytest.raises(ValueError, match="depth"):
        build_graph(scene.loss, depth=0)


def test_same_seeded_model_gives_the_same_dot_text():
    first = scene_digraph("transformer", backward=True, show_order=True).source
    second = scene_digraph("transformer", backward=True, show_order=True).source
    assert first == second
    assert "0x" not in first                      # no memory address leaked into a label


ODD = '<b>bold</b> & "quoted" {braces} [x] \\N back\\slash\nnew line'


def _odd_graph():
    return Graph(nodes=[Node("t0", "tensor", "<lambda>", module="<odd>.path", shape=(2,),
                             dtype="float32", is_input=True, is_leaf=True),
                        Node("op0", "op", "<lambda>", module="<odd>.path",
                             settings={"fn": "<lambda>", "note": ODD}),
                        Node("t1", "tensor", ODD, shape=(), dtype="float32", is_output=True)],
                 edges=[Edge("t0", "op0"), Edge("op0", "t1")], outputs=["t1"])


def test_labels_are_escaped():
    source = to_digraph(_odd_graph(), title="<lambda> & <b>").source
    assert "<lambda>" not in source.replace("&lt;lambda&gt;", "")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in source


@needs_dot
def test_lambda_and_html_like_names_render():
    root = render_svg(to_digraph(_odd_graph(), title="<lambda> & <b>"))
    text = svg_text(root)
    assert "<lambda>" in text and "<b>bold</b> & \"quoted\"" in text and "<odd>.path" in text
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="<lambda>")
    y = x * 2.0
    y.name = ODD
    assert "<lambda>" in svg_text(render_svg(draw(y, backward=True)))


def test_an_audit_colours_ops_by_pass_and_fail():
    import autograd as ag
    import nn
    from autograd.function import Function
    from tools.backprop_graph import draw

    class _Off(Function, abstract=True):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy * 2.2                      # wrong by 10%

    ag.manual_seed(0)
    lin = nn.Linear(2, 2).to(dtype=ag.float64)
    loss = _Off()(lin(ag.randn(3, 2, dtype=ag.float64))).sum()
    report = ag.check_graph(loss)
    source = draw(loss, model=lin, audit=report).source
    assert "check ok" in source and "check fail" in source
    assert "#f08080" in source and "#b7e1b1" in source
