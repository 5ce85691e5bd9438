"""Each layer: its output against NumPy, and its first and second derivatives
(with respect to inputs and parameters, through Module calls) against
finite differences in float64."""
import math

import numpy as np
import pytest

import autograd as ag
import nn

from .helpers import f64, functional, params_of


def check_module(module, inputs, n_inputs=None):
    """gradcheck and gradgradcheck of ``module(*inputs)`` with respect to the
    inputs that require grad and every parameter of the module."""
    names, params = params_of(module)
    n = len(inputs) if n_inputs is None else n_inputs
    fn = functional(module, names, n_inputs=n)
    args = list(inputs) + params
    assert ag.gradcheck(fn, args)
    assert ag.gradgradcheck(fn, args)


# -- the helper itself can fail --------------------------------------------

class _DetachedWeight(nn.Module):
    """A broken layer: its weight is read through detach(), so it gets no gradient."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(ag.ones(3, dtype=ag.float64))

    def forward(self, x):
        return x * self.weight.detach()


def test_parameter_gradcheck_catches_a_missing_parameter_gradient():
    m = _DetachedWeight()
    fn = functional(m, ["weight"])
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(fn, [f64(3), m.weight])
    assert ag.gradcheck(lambda x: m(x), [f64(3)])   # the input gradient is right


# -- Linear ------------------------------------------------------------------

def test_linear_output_is_x_at_w_transposed_plus_b():
    ag.manual_seed(0)
    lin = nn.Linear(4, 3)
    assert lin.weight.shape == (3, 4) and lin.bias.shape == (3,)
    assert lin.weight.dtype == ag.float32
    x = np.random.default_rng(1).standard_normal((2, 5, 4)).astype(np.float32)
    y = lin(ag.tensor(x))
    assert y.shape == (2, 5, 3) and y.dtype == ag.float32
    expected = x @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_linear_initialisation_is_uniform_within_one_over_sqrt_fan_in():
    ag.manual_seed(0)
    lin = nn.Linear(16, 200)
    bound = 1 / math.sqrt(16)
    w = lin.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(lin.bias.numpy()).max() <= bound
    # Spread over the interval, not a constant: the std of U(-a, a) is a/sqrt(3).
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01
    assert abs(w.mean()) < 0.01


def test_linear_without_bias():
    lin = nn.Linear(3, 2, bias=False).to(dtype=ag.float64)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert lin.bias is None
    x = f64(4, 3)
    np.testing.assert_allclose(lin(x).numpy(), x.numpy() @ lin.weight.numpy().T, rtol=1e-12)
    check_module(lin, [x])


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3)])
def test_linear_gradients_through_the_module(shape):
    ag.manual_seed(1)
    lin = nn.Linear(3, 2).to(dtype=ag.float64)
    assert lin.weight.dtype == ag.float64 and lin.bias.dtype == ag.float64
    x = f64(*shape)
    assert ag.gradcheck(lambda x: lin(x), [x])
    check_module(lin, [x])


def test_linear_parameter_gradients_match_the_formula():
    lin = nn.Linear(3, 2).to(dtype=ag.float64)
    x = f64(5, 3)
    gy = np.random.default_rng(3).standard_normal((5, 2))
    lin(x).backward(ag.tensor(gy, dtype=ag.float64))
    np.testing.assert_allclose(lin.weight.grad.numpy(), gy.T @ x.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), gy.sum(0), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), gy @ lin.weight.numpy(), rtol=1e-12)


def test_linear_rejects_a_wrong_input_size():
    with pytest.raises(ag.OpError, match=r"\(2, 5\).*\(3, 4\)"):
        nn.Linear(4, 3)(ag.zeros(2, 5))


def test_linear_on_every_device(device):
    ag.manual_seed(0)
    lin = nn.Linear(4, 3)
    x = ag.randn(2, 4)
    expected = lin(x).numpy()
    lin.to(device)
    y = lin(x.to(device))
    assert y.device.split(":")[0] == device
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    y.sum().backward()
    assert lin.weight.grad.device == y.device


# -- Embedding ---------------------------------------------------------------

def test_embedding_reads_rows_of_its_weight():
    ag.manual_seed(0)
    emb = nn.Embedding(10, 4)
    ids = np.array([[1, 5, 5], [9, 0, 2]])
    out = emb(ag.tensor(ids))
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[ids])


def test_embedding_gradient_adds_up_over_repeated_ids():
    emb = nn.Embedding(4, 2)
    emb(ag.tensor([1, 3, 1, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_embedding_padding_row_reads_zeros_and_gets_no_gradient():
    ag.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=2)
    np.testing.assert_array_equal(emb.weight.numpy()[2], 0)        # zero at init
    with ag.no_grad():
        emb.weight.data[2] = 7.0          # even if the row is changed, it reads zeros
    ids = ag.tensor([[2, 1, 2], [0, 2, 4]])
    out = emb(ids)
    np.testing.assert_array_equal(out.numpy()[0, 0], 0)
    np.testing.assert_array_equal(out.numpy()[1, 1], 0)
    np.testing.assert_array_equal(out.numpy()[0, 1], emb.weight.numpy()[1])
    (out * 3.0).sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[2], 0)
    np.testing.assert_array_equal(g[[0, 1, 4]], 3.0)
    np.testing.assert_array_equal(g[3], 0)


def test_embedding_negative_padding_idx_counts_from_the_end():
    assert nn.Embedding(5, 3, padding_idx=-1).padding_idx == 4
    with pytest.raises(ValueError, match="padding_idx 5"):
        nn.Embedding(5, 3, padding_idx=5)


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_gradients_through_the_module(padding_idx):
    ag.manual_seed(0)
    emb = nn.Embedding(4, 3, padding_idx=padding_idx).to(dtype=ag.float64)
    ids = ag.tensor([[0, 1, 1], [3, 1, 2]])
    check_module(emb, [ids])


def test_embedding_rejects_ids_out_of_range():
    with pytest.raises(ag.OpError, match="7"):
        nn.Embedding(5, 2)(ag.tensor([1, 7]))


def test_embedding_on_every_device(device):
    ag.manual_seed(0)
    emb = nn.Embedding(6, 2, padding_idx=0)
    w = emb.weight.numpy().copy()
    emb.to(device)
    out = emb(ag.tensor([0, 3, 3], device=device))
    np.testing.assert_array_equal(out.numpy(), w[[0, 3, 3]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[[0, 3]], [[0, 0], [2, 2]])


# -- LayerNorm ---------------------------------------------------------------

def numpy_layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def test_layer_norm_matches_numpy():
    ln = nn.LayerNorm(6, eps=1e-5).to(dtype=ag.float64)
    np.testing.assert_array_equal(ln.weight.numpy(), 1)
    np.testing.assert_array_equal(ln.bias.numpy(), 0)
    rng = np.random.default_rng(0)
    ln.weight.data[...] = rng.standard_normal(6)
    ln.bias.data[...] = rng.standard_normal(6)
    x = rng.standard_normal((2, 3, 6)) * 4 + 2
    y = ln(ag.tensor(x))
    np.testing.assert_allclose(y.numpy(), numpy_layer_norm(x, ln.weight.numpy(),
                                                           ln.bias.numpy(), 1e-5), rtol=1e-10)


def test_layer_norm_without_affine_has_no_parameters():
    ln = nn.LayerNorm(4, elementwise_affine=False)
    assert list(ln.parameters()) == []
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(ln(ag.tensor(x, dtype=ag.float64)).numpy(),
                               numpy_layer_norm(x, 1.0, 0.0, 1e-5), rtol=1e-10)


def test_layer_norm_gradients_through_the_module():
    ln = nn.LayerNorm(5).to(dtype=ag.float64)
    rng = np.random.default_rng(1)
    ln.weight.data[...] = rng.uniform(0.5, 1.5, 5)
    ln.bias.data[...] = rng.uniform(-1, 1, 5)
    x = f64(2, 3, 5, low=-2, high=2)
    assert ag.gradcheck(lambda x: ln(x), [x])
    check_module(ln, [x])


def test_layer_norm_names_its_path_on_a_wrong_size():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(5))
    with pytest.raises(ValueError, match=r"LayerNorm 1: expected the last axis of size 5"):
        model(ag.zeros(2, 3))


# -- Dropout -----------------------------------------------------------------

def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    ag.manual_seed(0)
    drop = nn.Dropout(0.3)
    assert drop.training
    x = ag.tensor(np.random.default_rng(0).uniform(1, 2, 20000))
    y = drop(x).numpy()
    kept = y != 0
    assert 0.28 < 1 - kept.mean() < 0.32
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / 0.7, rtol=1e-6)


def test_dropout_in_eval_is_the_identity():
    drop = nn.Dropout(0.5)
    drop.eval()
    x = ag.randn(100, requires_grad=True)
    y = drop(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1.0)


def test_dropout_gradient_uses_the_forward_mask():
    ag.manual_seed(3)
    drop = nn.Dropout(0.5)
    x = ag.ones(1000, dtype=ag.float64, requires_grad=True)
    y = drop(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())   # x = 1: y is mask / (1 - p)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_gradients_through_the_module(p):
    ag.manual_seed(0)
    drop = nn.Dropout(p)
    x = f64(4, 5)
    assert ag.gradcheck(lambda x: drop(x), [x])
    assert ag.gradgradcheck(lambda x: drop(x) * x, [x])


def test_dropout_extremes_and_bad_p():
    x = ag.randn(50)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), 0)
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


def test_dropout_inside_a_model_follows_train_and_eval():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x = ag.randn(4, 8)
    a, b = model(x).numpy(), model(x).numpy()
    assert not np.array_equal(a, b)          # fresh masks each call
    model.eval()
    a, b = model(x).numpy(), model(x).numpy()
    np.testing.assert_array_equal(a, b)
    model.train()
    assert not np.array_equal(model(x).numpy(), a)


# -- activations -------------------------------------------------------------

def away_from_zero(*shape, seed=0):
    """float64 values with |x| in [0.1, 2], so ReLU's kink is not sampled."""
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return ag.tensor(data, dtype=ag.float64, requires_grad=True)


def test_relu_values_and_gradients():
    x = away_from_zero(3, 4)
    np.testing.assert_array_equal(nn.ReLU()(x).numpy(), np.maximum(x.numpy(), 0))
    relu = nn.ReLU()
    assert ag.gradcheck(lambda x: relu(x), [x])
    assert ag.gradgradcheck(lambda x: relu(x) * x, [x])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_exact_by_default_and_the_tanh_form_on_request(approximate):
    x = away_from_zero(3, 4)
    v = x.numpy()
    if approximate == "tanh":
        expected = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
        gelu = nn.GELU(approximate="tanh")
    else:
        expected = 0.5 * v * (1 + np.vectorize(math.erf)(v / math.sqrt(2)))
        gelu = nn.GELU()
    np.testing.assert_allclose(gelu(x).numpy(), expected, rtol=1e-12)
    assert ag.gradcheck(lambda x: gelu(x), [x])
    assert ag.gradgradcheck(lambda x: gelu(x), [x])


@pytest.mark.parametrize("module, reference", [
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda v: 1 / (1 + np.exp(-v))),
    (nn.Softmax(axis=-1), lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
    (nn.Softmax(dim=0), lambda v: np.exp(v) / np.exp(v).sum(0, keepdims=True)),
    (nn.SiLU(), lambda v: v / (1 + np.exp(-v))),
    (nn.Softplus(), lambda v: np.log1p(np.exp(v))),
    (nn.Softplus(beta=2.0, threshold=1.0), lambda v: np.where(2 * v > 1, v,
                                                             np.log1p(np.exp(2 * v)) / 2)),
    (nn.Identity(), lambda v: v),
])
def test_other_activations(module, reference):
    x = f64(3, 4, low=-2, high=2)
    np.testing.assert_allclose(module(x).numpy(), reference(x.numpy()), rtol=1e-12)
    assert ag.gradcheck(lambda x: module(x), [x])


def test_flatten_merges_all_but_the_batch_axis_by_default():
    x = f64(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).tolist() == x.numpy().reshape(2, 12, 5).tolist()
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(ag.OpError, match="flatten: start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(x)


# -- containers --------------------------------------------------------------

def test_sequential_is_the_composition_of_its_modules():
    ag.manual_seed(0)
    a, b = nn.Linear(3, 4), nn.Linear(4, 2)
    seq = nn.Sequential(a, nn.ReLU(), b)
    x = ag.randn(5, 3)
    np.testing.assert_array_equal(seq(x).numpy(), b(ag.relu(a(x))).numpy())
    assert len(seq) == 3 and seq[0] is a and seq[-1] is b


def test_sequential_gradients_with_respect_to_every_parameter():
    ag.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 2)).to(
        dtype=ag.float64)
    names, _ = params_of(seq)
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    check_module(seq, [f64(2, 3)])


def test_sequential_with_dropout_gradcheck_in_training_mode():
    ag.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 6), nn.Dropout(0.3), nn.Linear(6, 2)).to(dtype=ag.float64)
    check_module(seq, [f64(4, 3)])


class _Stack(nn.Module):
    """Residual blocks held in a ModuleList."""

    def __init__(self, n, dim):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(n)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        for block in self.blocks:
            x = x + ag.tanh(block(x))
        return self.norm(x)


def test_module_list_gradients_with_respect_to_every_parameter():
    ag.manual_seed(0)
    model = _Stack(2, 3).to(dtype=ag.float64)
    names, _ = params_of(model)
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                     "norm.weight", "norm.bias"]
    check_module(model, [f64(2, 3)])


def test_module_list_behaves_like_a_list():
    a, b, c, d = nn.ReLU(), nn.GELU(), nn.Tanh(), nn.Sigmoid()
    ml = nn.ModuleList([a, b])
    ml.append(c)
    assert len(ml) == 3 and list(ml) == [a, b, c]
    assert ml[-1] is c and ml[1] is b
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    ml[-1] = b
    assert list(ml) == [a, d, b, b]
    ml.extend([c])
    assert len(ml) == 5
    with pytest.raises(IndexError, match="index 7 out of range for length 5"):
        ml[7]
    with pytest.raises(TypeError, match="holds Modules"):
        ml.append(lambda x: x)


def test_module_list_assignment_out_of_range_is_an_error():
    ml = nn.ModuleList([nn.ReLU(), nn.GELU()])
    with pytest.raises(IndexError):
        ml[2] = nn.Tanh()
    with pytest.raises(IndexError):
        ml[-3] = nn.Tanh()
    assert [type(m) for m in ml] == [nn.ReLU, nn.GELU]


def test_slicing_containers():
    ag.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = ag.randn(2, 3)
    np.testing.assert_array_equal(head(x).numpy(), seq[1](seq[0](x)).numpy())
    model = _Stack(3, 2)
    tail = model.blocks[1:]
    assert isinstance(tail, nn.ModuleList) and list(tail) == list(model.blocks)[1:]
    # Slicing makes a view for the caller; the modules stay where they are.
    assert [m.path for m in model.blocks] == ["blocks.0", "blocks.1", "blocks.2"]
