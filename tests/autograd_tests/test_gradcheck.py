"""gradcheck must catch wrong gradients, and say where they are wrong."""
import pytest

import autograd as ag
from autograd.function import Function


class _ScaledSquare(Function, abstract=True):
    """x**2 with a backward off by ``error`` (relative): a deliberate bug."""

    def __init__(self, error):
        self.error = error

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * (2 * (1 + self.error))


def _x():
    ag.manual_seed(0)
    return ag.rand(3, 2, dtype=ag.float64, requires_grad=True) + 0.5


def test_a_correct_backward_passes():
    x = _x().detach().requires_grad_()
    assert ag.gradcheck(lambda t: _ScaledSquare(0.0)(t), [x])


def test_a_backward_off_by_one_percent_fails():
    x = _x().detach().requires_grad_()
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(lambda t: _ScaledSquare(0.01)(t), [x])
    assert not ag.gradcheck(lambda t: _ScaledSquare(0.01)(t), [x], raise_exception=False)


def test_failure_message_names_input_index_and_values():
    x = _x().detach().requires_grad_()
    x.name = "weights"
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda t: _ScaledSquare(0.01)(t), [x])
    msg = str(info.value)
    assert "input 0 'weights'" in msg and "index (0, 0)" in msg
    assert "analytic" in msg and "numeric" in msg


def test_random_direction_check_catches_errors_on_large_inputs():
    ag.manual_seed(1)
    x = (ag.rand(100, 100, dtype=ag.float64) + 0.5).requires_grad_()
    with pytest.raises(ag.GradcheckError, match="random direction"):
        ag.gradcheck(lambda t: _ScaledSquare(0.01)(t), [x], elementwise_limit=0)


def test_a_wrong_second_derivative_fails_gradgradcheck():
    class _BadSecondOrder(Function, abstract=True):
        # d/dx x^3 = 3x^2, but written with a constant 3*x0^2 the second order is 0.
        def forward(self, x):
            return x * x * x

        def backward(self, gy):
            x = self.inputs[0]
            return gy * ag.tensor(3 * x.data * x.data)

    x = _x().detach().requires_grad_()
    assert ag.gradcheck(lambda t: _BadSecondOrder()(t), [x])
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(lambda t: _BadSecondOrder()(t), [x])


def test_float32_inputs_are_refused():
    x = ag.rand(3, requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        ag.gradcheck(lambda t: t * 2, [x])


def test_dropout_masks_are_replayed_between_evaluations():
    x = _x().detach().requires_grad_()
    assert ag.gradcheck(lambda t: ag.dropout(t, 0.5) * t, [x])
    assert ag.gradgradcheck(lambda t: ag.dropout(t, 0.5) * t, [x])
