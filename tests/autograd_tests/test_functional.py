"""autograd.functional against closed forms and finite differences."""
import numpy as np
import pytest

import autograd as ag
from autograd import functional as F

F64 = ag.float64


def _t(values):
    return ag.tensor(values, dtype=F64)


def f_xy(x, y):
    """f(x, y) = x^2 y + sin(x) y^3 on two scalars-as-tensors."""
    return x * x * y + x.sin() * y ** 3


def test_hessian_of_a_two_parameter_function_matches_the_closed_form():
    x, y = _t(0.7), _t(-1.3)
    (hxx, hxy), (hyx, hyy) = F.hessian(f_xy, (x, y))
    xv, yv = 0.7, -1.3
    assert hxx.item() == pytest.approx(2 * yv - np.sin(xv) * yv ** 3, rel=1e-12)
    assert hxy.item() == pytest.approx(2 * xv + 3 * np.cos(xv) * yv ** 2, rel=1e-12)
    assert hyx.item() == pytest.approx(hxy.item(), rel=1e-12)
    assert hyy.item() == pytest.approx(6 * np.sin(xv) * yv, rel=1e-12)


def _numeric_jacobian(fn, x, eps=1e-6):
    x0 = x.numpy()
    out0 = fn(ag.tensor(x0)).numpy()
    jac = np.zeros(out0.shape + x0.shape)
    for idx in np.ndindex(x0.shape):
        xp, xm = x0.copy(), x0.copy()
        xp[idx] += eps
        xm[idx] -= eps
        jac[(...,) + idx] = (fn(ag.tensor(xp)).numpy() - fn(ag.tensor(xm)).numpy()) / (2 * eps)
    return jac


def g(x):
    """A vector function R^(2x3) -> R^(3,) mixing ops."""
    return (ag.softmax(x, axis=0) * x.tanh()).sum(axis=0) + x[0] * x[1]


def test_jacobian_matches_finite_differences():
    ag.manual_seed(0)
    x = ag.randn(2, 3, dtype=F64)
    jac = F.jacobian(g, x)
    assert jac.shape == (3, 2, 3)
    np.testing.assert_allclose(jac.numpy(), _numeric_jacobian(g, x), rtol=1e-6, atol=1e-8)


def test_vjp_and_jvp_are_the_two_products_with_the_jacobian():
    ag.manual_seed(1)
    x = ag.randn(2, 3, dtype=F64)
    v_out = ag.randn(3, dtype=F64)
    v_in = ag.randn(2, 3, dtype=F64)
    J = F.jacobian(g, x).numpy().reshape(3, 6)
    out, vj = F.vjp(g, x, v_out)
    np.testing.assert_allclose(out.numpy(), g(x).numpy())
    np.testing.assert_allclose(vj.numpy().reshape(6), v_out.numpy() @ J, rtol=1e-12)
    out, jv = F.jvp(g, x, v_in)
    np.testing.assert_allclose(jv.numpy(), J @ v_in.numpy().reshape(6), rtol=1e-10)


def test_hvp_matches_hessian_times_v():
    def f(x):
        return (x ** 3).sum() + (x[0] * x[1] * x[2]) + x.exp().sum()
    x = _t([0.3, -0.5, 1.1])
    v = _t([1.0, 2.0, -1.0])
    H = F.hessian(f, x).numpy()
    xs = x.numpy()
    closed = np.diag(6 * xs + np.exp(xs))
    closed[0, 1] = closed[1, 0] = xs[2]
    closed[0, 2] = closed[2, 0] = xs[1]
    closed[1, 2] = closed[2, 1] = xs[0]
    np.testing.assert_allclose(H, closed, rtol=1e-12)
    _, hv = F.hvp(f, x, v)
    np.testing.assert_allclose(hv.numpy(), closed @ v.numpy(), rtol=1e-12)


def test_create_graph_gives_differentiable_results():
    x = _t([0.4, 0.9]).requires_grad_()
    _, (gx,) = F.vjp(lambda t: (t.tanh() ** 2).sum(), (x,), create_graph=True)
    (h,) = ag.grad(gx.sum(), x)
    t = np.tanh(x.numpy())
    d2 = 2 * (1 - t ** 2) ** 2 - 4 * t ** 2 * (1 - t ** 2)     # d^2/dx^2 tanh^2
    np.testing.assert_allclose(h.numpy(), d2, rtol=1e-10)


def test_inputs_need_not_require_grad_and_are_left_alone():
    x = _t([1.0, 2.0])
    F.jacobian(lambda t: t * t, x)
    assert not x.requires_grad and x.grad is None


def test_bad_arguments():
    x = _t([1.0, 2.0])
    with pytest.raises(ValueError, match="single element"):
        F.hessian(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"v of shape \(3,\)"):
        F.jvp(lambda t: t * 2, x, _t([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="floating-point"):
        F.jacobian(lambda t: t, ag.tensor([1, 2]))
