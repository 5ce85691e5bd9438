"""The reverse pass: accumulation, broadcasting, higher order, freeing,
deep graphs, and the functional grad()."""
import math

import numpy as np
import pytest

import autograd as ag


def test_chain_of_100000_ops_has_no_recursion_error():
    x = ag.tensor([0.5], dtype=ag.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_diamond_accumulates_every_path():
    x = ag.tensor(3.0, dtype=ag.float64, requires_grad=True)
    a = x * 2            # used three times below
    y = a * a + a + a.exp()
    y.backward()
    expected = 2 * (2 * 6.0) + 2 + 2 * math.exp(6.0)
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def test_leaf_gradients_accumulate_over_backward_calls():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_broadcast_input_gradient_is_summed_back_to_its_shape():
    x = ag.ones(2, 3, 4, dtype=ag.float64, requires_grad=True)
    b = ag.tensor([[1.0], [2.0], [3.0]], dtype=ag.float64, requires_grad=True)  # (3, 1)
    (x * b).sum().backward()
    assert b.grad.shape == (3, 1)
    np.testing.assert_array_equal(b.grad.numpy(), [[8.0], [8.0], [8.0]])
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to([[1.0], [2.0], [3.0]], (2, 3, 4)))


def test_second_derivative_of_tanh():
    x = ag.tensor([-1.5, 0.0, 0.3, 2.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    t = np.tanh(x.numpy())
    np.testing.assert_allclose(g.numpy(), 1 - t ** 2, rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), -2 * t * (1 - t ** 2), rtol=1e-12)


def test_hessian_vector_product_matches_the_analytic_value():
    # f(x) = sum(x^3) + x0 * x1  ->  H = diag(6 x) + [[0,1],[1,0]] on the first two
    x = ag.tensor([1.0, 2.0, -1.0], dtype=ag.float64, requires_grad=True)
    v = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64)
    f = (x ** 3).sum() + x[0] * x[1]
    (g,) = ag.grad(f, x, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), x)
    xs, vs = x.numpy(), v.numpy()
    H = np.diag(6 * xs)
    H[0, 1] = H[1, 0] = 1.0
    np.testing.assert_allclose(hv.numpy(), H @ vs, rtol=1e-12)


def test_third_derivative_through_fused_softmax():
    # d^3/dx^3 of softmax([x, 0])[0] = sigmoid'''(x)
    x = ag.tensor(0.7, dtype=ag.float64, requires_grad=True)
    s = ag.softmax(ag.stack([x, x * 0]), axis=0)[0]
    (g1,) = ag.grad(s, x, create_graph=True)
    (g2,) = ag.grad(g1, x, create_graph=True)
    (g3,) = ag.grad(g2, x)
    p = 1 / (1 + math.exp(-0.7))
    assert g1.item() == pytest.approx(p * (1 - p), rel=1e-10)
    assert g2.item() == pytest.approx(p * (1 - p) * (1 - 2 * p), rel=1e-10)
    assert g3.item() == pytest.approx(p * (1 - p) * (1 - 6 * p + 6 * p * p), rel=1e-10)


def test_without_create_graph_gradients_have_no_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ag.grad((x * x).sum(), x)
    assert g.grad_fn is None and not g.requires_grad
    (x * x).sum().backward()
    assert x.grad.grad_fn is None


def test_grad_does_not_touch_dot_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ag.grad((x * 5).sum(), x)
    assert x.grad is None
    np.testing.assert_array_equal(g.numpy(), [5.0, 5.0])


def test_grad_of_unused_input_is_an_error_unless_allowed():
    x = ag.tensor([1.0], requires_grad=True)
    z = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        ag.grad((x * 2).sum(), [x, z])
    gx, gz = ag.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0


def test_grad_with_respect_to_an_intermediate_tensor():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_no_grad_records_nothing_and_enable_grad_reenables():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2
        with ag.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None

    @ag.no_grad()
    def f(t):
        return t * 2
    assert f(x).grad_fn is None


def test_set_grad_enabled_works_as_a_plain_call_a_block_and_a_decorator():
    x = ag.tensor([1.0], requires_grad=True)
    try:
        ag.set_grad_enabled(False)                  # as in PyTorch: takes effect at once
        assert not ag.is_grad_enabled() and (x * 2).grad_fn is None
        ag.set_grad_enabled(True)
        assert ag.is_grad_enabled() and (x * 2).grad_fn is not None
        with ag.set_grad_enabled(False):
            assert (x * 2).grad_fn is None
        assert ag.is_grad_enabled()                 # the block's end restores the mode

        @ag.set_grad_enabled(False)
        def f(t):
            return t * 2
        assert ag.is_grad_enabled()                 # decorating changes nothing yet
        assert f(x).grad_fn is None and ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)


def test_softmax_of_an_empty_axis_is_empty():
    for fn in (ag.softmax, ag.log_softmax):
        x = ag.zeros(2, 0, requires_grad=True)
        y = fn(x, axis=-1)
        assert y.shape == (2, 0)
        y.sum().backward()
        assert x.grad.shape == (2, 0)


def test_detach_cuts_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.grad_fn is None and not y.requires_grad
    z = (x * y).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_second_backward_without_retain_graph_says_to_pass_it():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_backward_frees_what_ops_saved():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.dropout(x, 0.5)
    fn = y.grad_fn
    y.sum().backward()
    assert fn.inputs is None and fn.saved is None


def test_non_scalar_backward_needs_a_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="single-element"):
        (x * 2).backward()
    (x * 2).backward(ag.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0])


def test_backward_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


def test_gradient_of_wrong_shape_is_an_error():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (x * 2).backward(ag.tensor([1.0, 2.0, 3.0]))


def test_retain_grad_keeps_an_intermediate_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])


def test_split_with_an_unused_piece():
    x = ag.arange(6, dtype=ag.float64).reshape(3, 2).detach().requires_grad_()
    a, b, c = ag.chunk(x, 3)
    (b * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [2, 2], [0, 0]])


def test_getitem_with_repeated_indices_accumulates():
    w = ag.zeros(4, requires_grad=True)
    w[[0, 2, 2, 2]].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1, 0, 3, 0])


def test_boolean_mask_indexing():
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.numpy(), [1.0, 3.0])
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])


def test_mixed_precision_gradient_is_cast_back_to_the_input_dtype():
    x = ag.tensor([1.0, 2.0], dtype=ag.float32, requires_grad=True)
    w = ag.tensor([3.0, 4.0], dtype=ag.float64, requires_grad=True)
    y = (x * w).sum()          # NumPy promotes to float64
    assert y.dtype == ag.float64
    y.backward()
    assert x.grad.dtype == ag.float32 and w.grad.dtype == ag.float64


def test_flatten_is_a_differentiable_reshape():
    x = ag.arange(6, dtype=ag.float64).reshape(2, 3).detach().requires_grad_()
    y = x.flatten()
    assert y.shape == (6,)
    (y * ag.arange(6, dtype=ag.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 2], [3, 4, 5]])


def test_argmax_and_argmin_give_tensors_of_arrays_even_for_a_full_reduction():
    x = ag.tensor([[1.0, 5.0], [7.0, -2.0]])
    i, j = x.argmax(), x.argmin()
    assert i.shape == () and i.item() == 2 and j.item() == 3
    assert i.zero_().item() == 0                     # a 0-d array, not a NumPy scalar
    assert x.argmax(axis=1).tolist() == [1, 0]
    assert x.argmin(axis=0, keepdims=True).tolist() == [[0, 1]]


def test_expand_keeps_the_dimensions_given_as_minus_one_and_is_differentiable():
    x = ag.tensor([[1.0], [2.0]], dtype=ag.float64, requires_grad=True)
    y = x.expand(3, -1, 4)
    assert y.shape == (3, 2, 4)
    assert np.array_equal(y.numpy(), np.broadcast_to(x.numpy(), (3, 2, 4)))
    assert ag.gradcheck(lambda t: t.expand((3, -1, 4)), [x])
