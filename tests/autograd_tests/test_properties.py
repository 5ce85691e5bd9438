"""Property-based tests: random broadcastable shapes for the binary ops and
random axes for the reductions, against NumPy and finite differences."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

BINARY = {"add": (np.add, lambda a, b: a + b), "sub": (np.subtract, lambda a, b: a - b),
          "mul": (np.multiply, lambda a, b: a * b), "maximum": (np.maximum, ag.maximum),
          "div": (np.divide, lambda a, b: a / b)}


def _values(shape, seed, away_from_zero=False):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape) if away_from_zero \
        else rng.uniform(-1, 1, shape)
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_ops_broadcast_like_numpy(name, shapes, seed):
    np_fn, ag_fn = BINARY[name]
    a_np = _values(shapes.input_shapes[0], seed)
    b_np = _values(shapes.input_shapes[1], seed + 1, away_from_zero=True)
    a = ag.tensor(a_np, requires_grad=True)
    b = ag.tensor(b_np, requires_grad=True)
    out = ag_fn(a, b)
    np.testing.assert_allclose(out.numpy(), np_fn(a_np, b_np), rtol=1e-12)
    assert out.shape == shapes.result_shape
    assert ag.gradcheck(ag_fn, [a, b])


@st.composite
def _shape_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(), st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
    return shape, axis


REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "var": np.var}


@pytest.mark.parametrize("name", sorted(REDUCTIONS) + ["logsumexp"])
@given(case=_shape_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_reductions_over_random_axes(name, case, keepdims, seed):
    shape, axis = case
    x_np = _values(shape, seed)
    x = ag.tensor(x_np, requires_grad=True)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    if name == "logsumexp":
        m = x_np.max(axis=axis, keepdims=True)
        expected = np.log(np.exp(x_np - m).sum(axis=axis, keepdims=True)) + m
        if not keepdims:
            expected = expected.reshape(np.sum(x_np, axis=axis).shape)
    else:
        expected = REDUCTIONS[name](x_np, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert ag.gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])
