"""The backward graph drawn from the recorded ops: one backward node per op,
gradient edges to every parameter, the visiting order, gradient norms with
NaN/Inf flagged, and the graph of a gradient (create_graph=True)."""
import math

import autograd as ag
from autograd import engine
from tools import backward_order, scenes
from tools.backprop_graph import build_graph, draw
from tools.graph_backward import add_backward
from tools.graph_walk import retain_all_grads, walk


def test_square_sum_backward_nodes_and_edges():
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x).sum()
    g = add_backward(walk(y))
    assert [n.label for n in g.of_kind("backward")] == ["MulBackward", "SumBackward"]
    links = [e for e in g.edges if e.kind == "link"]
    assert len(links) == 2 and all(g.node(e.src).op == e.dst for e in links)
    grads = [(g.node(e.src).label, g.node(e.dst).label) for e in g.edges if e.kind == "grad"]
    # seed from the output, then Sum -> Mul -> x (two uses of x, one edge)
    assert sorted(grads) == [("", "SumBackward"), ("MulBackward", "x"),
                             ("SumBackward", "MulBackward")]


def test_attention_scene_has_matmul_softmax_and_their_backward():
    scene = scenes.build("attention")
    g = build_graph(scene.loss, model=scene.model, backward=True)
    ops = {n.label for n in g.of_kind("op")}
    backward = {n.label for n in g.of_kind("backward")}
    assert {"Matmul", "Softmax"} <= ops
    assert {"MatmulBackward", "SoftmaxBackward"} <= backward
    assert len(g.of_kind("backward")) == len(g.of_kind("op"))
    # gradient edges from the loss reach each of W_q, W_k, W_v
    reached = {g.node(e.dst).parameter for e in g.edges
               if e.kind == "grad" and g.node(e.dst).kind == "tensor"}
    assert reached == {"W_q", "W_k", "W_v"}
    source = draw(scene.loss, model=scene.model, backward=True).source
    assert "MatmulBackward" in source and "SoftmaxBackward" in source
    assert "style=dashed" in source


def test_recorded_order_is_the_engine_schedule_and_numbers_the_nodes():
    scene = scenes.build("attention")
    planned = backward_order.planned(scene.loss)
    with backward_order.record() as order:
        scene.loss.backward(retain_graph=True)
    assert not engine._observers             # the observer is gone after the block
    assert order == planned
    g = build_graph(scene.loss, backward=True, order=order)
    steps = {n.order: n for n in g.of_kind("backward")}
    assert sorted(steps) == list(range(1, len(order) + 1))
    assert steps[1].label == "MeanBackward"                  # the op that made the loss
    assert "step 1" in draw(scene.loss, order=order).source


def test_gradient_norms_of_parameters_and_retained_intermediates():
    x = ag.tensor([3.0, 4.0], requires_grad=True, name="x")
    h = x * 1.0
    y = (h * h).sum() / 2
    retain_all_grads(y)
    y.backward(retain_graph=True)
    g = walk(y)
    by_label = {n.label: n for n in g.of_kind("tensor")}
    assert math.isclose(by_label["x"].grad_norm, 5.0, rel_tol=1e-6)      # grad = x
    assert math.isclose(next(n for n in g.nodes if n.is_output).grad_norm, 1.0)
    assert all(not n.grad_nonfinite for n in g.of_kind("tensor"))
    assert "grad norm 5" in draw(y).source


def test_nan_and_inf_gradients_are_flagged_red():
    scene = scenes.build("feed-forward")
    scene.loss.backward(retain_graph=True)
    w = scene.model.w_1.weight
    w.grad.data[0, 0] = float("nan")
    scene.model.w_2.bias.grad.data[0] = float("inf")
    g = walk(scene.loss, model=scene.model)
    flagged = {n.parameter for n in g.of_kind("tensor") if n.grad_nonfinite}
    assert flagged == {"w_1.weight", "w_2.bias"}
    lines = [line for line in draw(scene.loss, model=scene.model).source.splitlines()
             if "NaN/Inf" in line]
    assert len(lines) == 2 and all('color="#c0392b"' in line for line in lines)


def test_gradient_graph_is_an_ordinary_graph_of_recorded_ops():
    scene = scenes.build("attention")
    wrt = [t for _, t in scene.wrt]
    grads = ag.grad(scene.loss, wrt, create_graph=True)
    g = walk(list(grads), model=scene.model, base=[scene.loss])
    made_by_backward = {n.label for n in g.of_kind("op") if n.from_backward}
    forward = {n.label for n in g.of_kind("op") if not n.from_backward}
    assert {"SoftmaxBackward", "Matmul"} <= made_by_backward
    assert "Softmax" in forward
    # ...and it backpropagates like any other: its backward has a backward too
    assert "SoftmaxBackwardBackward" in {n.label for n in add_backward(g).of_kind("backward")}
    penalty = sum((gr * gr).sum() for gr in grads)
    penalty.backward()
    assert all(math.isfinite(float((t.grad * t.grad).sum())) for t in wrt)
