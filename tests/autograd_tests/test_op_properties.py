"""Property-based tests (hypothesis), the one place for them: over every
registered op, for random values (and random shapes where an op takes any
shape), the forward matches a plain-NumPy reference, the numerically stable
ops stay finite on large finite inputs, and gradients match finite
differences; then random broadcastable shapes for the binary ops and random
axes for the reductions, against NumPy and finite differences."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd.function import Function

OPS = {name: cls for name, cls in sorted(Function.registry.items())
       if cls.__module__.startswith("autograd.")}


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _norm(x, axis=None, keepdims=False, p=2):
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


def _gather(x, index, axis):
    part = tuple(slice(None) if d == axis % x.ndim else slice(0, n) for d, n in enumerate(index.shape))
    return np.take_along_axis(x[part], index, axis)


def _cumsum(x, axis, reverse=False):
    return np.flip(np.cumsum(np.flip(x, axis), axis), axis) if reverse else np.cumsum(x, axis)


def _pad(x, pad, value=0.0):
    pairs = [pad[i:i + 2] for i in range(0, len(pad), 2)][::-1]
    return np.pad(x, [(0, 0)] * (x.ndim - len(pairs)) + pairs, constant_values=value)


def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def _cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    logp = _log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], -1)[..., 0]
    loss = (1 - label_smoothing) * nll - label_smoothing * logp.mean(-1)
    valid = np.ones(targets.shape, bool) if ignore_index is None else targets != ignore_index
    loss = loss * valid
    if reduction == "none":
        return loss
    return loss.sum() / max(valid.sum(), 1) if reduction == "mean" else loss.sum()


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead)))
    return x.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True).reshape(shape)


def _embedding(ids, w, padding_idx=None):
    out = w[ids]
    return out * (ids != padding_idx)[..., None] if padding_idx is not None else out


def _index(index):
    """A sample's index with lists made arrays, as NumPy's indexing wants."""
    index = index if isinstance(index, tuple) else (index,)
    return tuple(np.asarray(i) if isinstance(i, list) else i for i in index)


REFERENCE = {
    "Abs": np.abs, "Add": np.add, "Cos": np.cos, "Div": np.divide, "Exp": np.exp,
    "Gelu": _gelu, "Log": np.log, "Maximum": np.maximum, "Minimum": np.minimum,
    "Mul": np.multiply, "Neg": np.negative, "Pow": np.power, "Relu": lambda x: np.maximum(x, 0),
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x)), "Sin": np.sin, "Sqrt": np.sqrt, "Sub": np.subtract,
    "Tanh": np.tanh, "PowScalar": lambda x, exponent: x ** exponent,
    "Where": np.where, "Clip": lambda x, min=None, max=None: np.clip(x, min, max),
    "Sum": lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
    "Mean": lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims),
    "Max": lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    "Min": lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
    "Var": lambda x, axis=None, keepdims=False, correction=1: np.var(
        x, axis=axis, keepdims=keepdims, ddof=correction),
    "Norm": _norm, "Gather": _gather, "Cumsum": _cumsum, "Pad": _pad, "Erf": _erf,
    "Softplus": _softplus, "Einsum": lambda *xs, equation: np.einsum(equation, *xs),
    "LogSumExp": _logsumexp, "SumTo": _sum_to,
    "Reshape": lambda x, shape: x.reshape(shape), "Transpose": lambda x, axes=None: x.transpose(axes),
    "BroadcastTo": lambda x, shape: np.broadcast_to(x, shape),
    "GetItem": lambda x, index: x[_index(index)],
    "Concatenate": lambda *xs, axis=0: np.concatenate(xs, axis=axis),
    "Stack": lambda *xs, axis=0: np.stack(xs, axis=axis),
    "Split": lambda x, sizes, axis=0: tuple(np.split(x, np.cumsum(sizes)[:-1], axis)),
    "AsType": lambda x, dtype: x.astype(dtype), "ToDevice": lambda x, device: x,
    "Matmul": np.matmul, "Linear": lambda x, w, b=None: x @ w.T + (0 if b is None else b),
    "Softmax": _softmax, "LogSoftmax": _log_softmax, "LayerNorm": _layer_norm,
    "Embedding": _embedding, "CrossEntropy": _cross_entropy,
}
NO_REFERENCE = {
    "Dropout": "draws a random mask: its rate, scaling and replay are tested in test_fused_ops",
    "Checkpoint": "runs an arbitrary block: tested against the block itself in test_checkpointing",
    "MaskScale": "a gradient: checked against finite differences of Dropout",
    "GetItemBackward": "a gradient: checked against finite differences of GetItem",
    "GatherBackward": "a gradient: checked against finite differences of Gather",
    "EmbeddingBackward": "a gradient: checked against finite differences of Embedding",
    "SoftmaxBackward": "a gradient: checked against finite differences of Softmax",
    "LogSoftmaxBackward": "a gradient: checked against finite differences of LogSoftmax",
    "LayerNormBackward": "a gradient: checked against finite differences of LayerNorm",
    "CrossEntropyBackward": "a gradient: checked against finite differences of CrossEntropy",
}
# Ops that must stay finite however large their finite inputs (x 1e4).
STABLE = {"Softmax", "LogSoftmax", "LogSumExp", "CrossEntropy", "LayerNorm", "Sigmoid", "Tanh",
          "Relu", "Abs", "Clip", "Max", "Min", "Mean", "Where", "Maximum", "Minimum", "Erf",
          "Softplus", "Gather"}

CASES = [(name, i) for name, cls in OPS.items() for i in range(len(cls.samples))]
IDS = [f"{n}-{i}" for n, i in CASES]


def test_every_op_has_a_reference_or_a_reason():
    missing = sorted(set(OPS) - set(REFERENCE) - set(NO_REFERENCE))
    assert not missing, f"ops with neither a NumPy reference nor a stated reason: {missing}"


def _run(name, index, seed, scale=1.0):
    cls = OPS[name]
    sample = cls.samples[index]
    inputs = sample.build(ag.float64, "cpu", seed=seed)
    if scale != 1.0:
        inputs = [ag.tensor(x.numpy() * scale, requires_grad=x.requires_grad)
                  if x.dtype.kind == "f" else x for x in inputs]
    out = cls(**sample.settings)(*inputs)
    return sample, inputs, out


@pytest.mark.parametrize("name,index", [c for c in CASES if c[0] in REFERENCE],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] in REFERENCE])
@settings(max_examples=8)
@given(seed=st.integers(0, 2 ** 20))
def test_forward_matches_numpy(name, index, seed):
    sample, inputs, out = _run(name, index, seed)
    expected = REFERENCE[name](*[x.numpy() for x in inputs], **sample.settings)
    outs = out if isinstance(out, tuple) else (out,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o.numpy(), e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,index", [c for c in CASES if c[0] in STABLE],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] in STABLE])
@settings(max_examples=8)
@given(seed=st.integers(0, 2 ** 20), scale=st.sampled_from([1e2, 1e4]))
def test_stable_ops_stay_finite_on_large_finite_inputs(name, index, seed, scale):
    _, inputs, out = _run(name, index, seed, scale)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.dtype.kind == "f"]
    assert all(np.all(np.isfinite(o.numpy())) for o in outs)
    wrt = [x for x in inputs if x.requires_grad]
    grads = ag.grad([o for o in outs if o.requires_grad], wrt,
                    [ag.ones_like(o) for o in outs if o.requires_grad], allow_unused=True)
    assert all(g is None or np.all(np.isfinite(g.numpy())) for g in grads)


@pytest.mark.parametrize("name,index", CASES, ids=IDS)
@settings(max_examples=3)
@given(seed=st.integers(1, 2 ** 20))
def test_gradients_match_finite_differences_for_random_values(name, index, seed):
    cls = OPS[name]
    sample = cls.samples[index]
    inputs = sample.build(ag.float64, "cpu", seed=seed)
    assert ag.gradcheck(lambda *xs: cls(**sample.settings)(*xs), inputs, seed=seed)


ELEMENTWISE = ["Exp", "Tanh", "Sigmoid", "Sin", "Cos", "Gelu", "Neg", "Erf", "Softplus"]


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=10)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, max_side=4),
                    elements=st.floats(-3, 3)))
def test_elementwise_ops_on_random_shapes(name, x):
    t = ag.tensor(x, requires_grad=True)
    out = OPS[name]()(t)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), REFERENCE[name](x), rtol=1e-10, atol=1e-12)
    if x.size:
        assert ag.gradcheck(lambda v: OPS[name]()(v), [t])


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
@settings(max_examples=15)
@given(data=st.data())
def test_softmaxes_on_random_shapes_and_axes(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-50, 50)))
    t = ag.tensor(x, requires_grad=True)
    out = OPS[name](axis)(t)
    np.testing.assert_allclose(out.numpy(), REFERENCE[name](x, axis), rtol=1e-9, atol=1e-12)
    assert ag.gradcheck(lambda v: OPS[name](axis)(v), [t])


# -- random broadcast shapes and reduction axes -------------------------------

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


# amax / amin are NumPy's max / min (max(dim) returns values and indices, as
# in PyTorch); var with correction=0 is NumPy's default.
REDUCTIONS = {"sum": (np.sum, {}), "mean": (np.mean, {}), "amax": (np.max, {}),
              "amin": (np.min, {}), "var": (np.var, {"correction": 0})}


@pytest.mark.parametrize("name", sorted(REDUCTIONS) + ["logsumexp"])
@given(case=_shape_and_axes(), keepdims=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_reductions_over_random_axes(name, case, keepdims, seed):
    shape, axis = case
    x_np = _values(shape, seed)
    x = ag.tensor(x_np, requires_grad=True)
    extra = REDUCTIONS.get(name, (None, {}))[1]
    out = getattr(x, name)(axis=axis, keepdims=keepdims, **extra)
    if name == "logsumexp":
        m = x_np.max(axis=axis, keepdims=True)
        expected = np.log(np.exp(x_np - m).sum(axis=axis, keepdims=True)) + m
        if not keepdims:
            expected = expected.reshape(np.sum(x_np, axis=axis).shape)
    else:
        expected = REDUCTIONS[name][0](x_np, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert ag.gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims, **extra), [x])
