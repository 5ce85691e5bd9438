"""Safety nets: stale saved tensors, in-place rules, hooks, anomaly mode."""
import re

import numpy as np
import pytest

import autograd as ag
import nn


def test_optimizer_step_between_forward_and_backward_is_caught():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    loss = model(ag.randn(2, 3)).sum()
    for p in model.parameters():
        p.grad = ag.ones_like(p)
    opt.step()                                   # updates the weights in place
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    msg = str(info.value)
    assert "Linear in module '2'" in msg                     # the op and its module
    assert "'weight' of shape (1, 4)" in msg                 # the tensor
    saved, now = map(int, re.search(r"at version (\d+).*now version (\d+)", msg).groups())
    assert now == saved + 1                                  # both versions
    assert "optimizer step" in msg


def test_changes_an_op_does_not_read_are_allowed():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([3.0, 4.0])
    z = (x + y).sum()                            # Add reads neither input's values
    y.add_(1.0)
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_in_place_methods_bump_the_version_and_work():
    t = ag.tensor([1.0, 2.0, 3.0])
    v = t._version
    t.add_(1).mul_(2).sub_(ag.tensor([1.0, 1.0, 1.0])).div_(2)
    t[0] = 10.0
    t.clamp_(0.0, 4.0)
    assert t._version == v + 6
    np.testing.assert_allclose(t.numpy(), [4.0, 2.5, 3.5])
    t.zero_()
    assert t.numpy().tolist() == [0, 0, 0]
    t.fill_(2.5).copy_(ag.tensor([1.0, 2.0, 3.0]))
    assert t.numpy().tolist() == [1, 2, 3]


def test_in_place_on_a_tensor_requiring_grad_needs_no_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: in-place change .* requires grad"):
        w.add_(1.0)
    with ag.no_grad():
        w.add_(1.0)
    assert w.numpy().tolist() == [2.0, 3.0]


def test_a_hook_sees_and_can_replace_a_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.numpy(), [180.0, 360.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_a_hook_returning_a_wrong_shape_is_an_error():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: ag.ones(3))
    with pytest.raises(RuntimeError, match="same shape"):
        (x * 2).sum().backward()


def _nan_model():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    with ag.no_grad():
        model[0].bias.data[0] = -1e3     # the first unit is dead: its relu output is 0
    return model


def test_anomaly_mode_names_the_op_and_the_source_line_of_a_forward_nan():
    model = _nan_model()
    x = ag.randn(2, 3)
    with ag.detect_anomaly():
        h = model(x)
        with pytest.raises(ag.AnomalyError) as info:
            y = h.log()                                   # log(0) = -inf: THIS line
    msg = str(info.value)
    assert "Inf in the forward output 0" in msg and "Log" in msg
    assert "test_safety.py" in msg and "y = h.log()" in msg
    assert info.value.function.name == "Log"


def test_anomaly_mode_names_the_op_whose_backward_made_a_nan():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x.sqrt()                      # finite forward, infinite derivative at 0
        with pytest.raises(ag.AnomalyError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "Inf in the gradient that the backward of Sqrt" in msg
    assert "y = x.sqrt()" in msg


def test_anomaly_mode_reports_the_module_path():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    with ag.no_grad():
        model[0].weight.data[...] = float("nan")
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match="in module '0'"):
            model(ag.ones(1, 2))


def test_without_anomaly_mode_nothing_is_checked_or_captured():
    x = ag.tensor([0.0], requires_grad=True)
    y = x.log()
    assert not hasattr(y.grad_fn, "_stack")
    assert np.isinf(y.numpy()[0])


def test_anomaly_reporters_add_to_the_message():
    from autograd import anomaly
    anomaly.reporters.append(lambda err: f"extra: {err.function.name}")
    try:
        with ag.detect_anomaly(), pytest.raises(ag.AnomalyError, match="extra: Log"):
            ag.tensor([0.0]).log()
    finally:
        anomaly.reporters.pop()
