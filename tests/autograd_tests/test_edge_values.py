"""Edge values where a formula meets 0 * inf or 0 / 0: what PyTorch returns
there, and no bare Python error (bugs found by another project's op suite,
and one found by the PyTorch comparison)."""
import math

import numpy as np

import autograd as ag


def test_pow_with_a_tensor_exponent_has_pytorchs_gradients_at_a_zero_base():
    # PyTorch: d/da = 0 where b == 0; d/db = 0 where a == 0 and b >= 0.
    a = ag.tensor([0.0, 0.0, 2.0, 0.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([0.0, 2.0, 0.0, 0.5], dtype=ag.float64, requires_grad=True)
    (a ** b).sum().backward()
    assert a.grad.tolist()[:3] == [0.0, 0.0, 0.0] and a.grad.tolist()[3] == math.inf
    assert b.grad.tolist() == [0.0, 0.0, math.log(2.0), 0.0]


def test_pow_at_a_zero_base_with_a_negative_exponent_keeps_its_infinities():
    a = ag.tensor([0.0], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([-1.0], dtype=ag.float64, requires_grad=True)
    (a ** b).sum().backward()
    assert a.grad.tolist() == [-math.inf] and b.grad.tolist() == [-math.inf]


def test_pow_away_from_zero_keeps_its_second_derivatives():
    a = ag.tensor([0.7, 1.3], dtype=ag.float64, requires_grad=True)
    b = ag.tensor([2.0, -0.5], dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda x, y: x ** y, [a, b])


def test_var_of_a_single_element_gives_nan_and_nan_gradients_not_an_error():
    x = ag.tensor([[1.0], [2.0]], dtype=ag.float64, requires_grad=True)
    y = x.var(dim=1)                                  # unbiased: n - 1 = 0
    assert np.isnan(y.numpy()).all()
    y.sum().backward()
    assert x.grad.shape == (2, 1) and np.isnan(x.grad.numpy()).all()


def test_var_of_an_empty_axis_gives_nan_and_an_empty_gradient():
    x = ag.zeros(0, 3, dtype=ag.float64, requires_grad=True)
    y = x.var(0)
    assert y.shape == (3,) and np.isnan(y.numpy()).all()
    y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_var_with_a_correction_larger_than_n_is_inf_not_an_error():
    x = ag.tensor([1.0, 3.0], dtype=ag.float64, requires_grad=True)
    y = x.var(correction=2)
    assert y.item() == math.inf
    y.backward()
    assert np.isinf(x.grad.numpy()).all()


def test_a_full_argmax_is_a_0d_tensor_of_the_device_that_takes_in_place_ops(device):
    a = ag.tensor([[1.0, 5.0], [7.0, -2.0]], device=device)
    for i in (a.argmax(), a.argmin()):
        assert i.shape == () and ag.backend.is_array(i.data) and i.device.startswith(device)
        assert i.zero_().item() == 0


def test_cross_entropy_of_transposed_logits_has_the_right_gradient():
    # Its fast backward wrote into a reshape of a non-contiguous array (a copy).
    ag.manual_seed(0)
    logits = ag.randn(2, 3, 4, dtype=ag.float64, requires_grad=True)
    targets = ag.tensor([[0, 2, 1, 1], [2, 2, 0, 1]])
    assert ag.gradcheck(lambda x: ag.cross_entropy(x.swapaxes(1, 2), targets), [logits])
