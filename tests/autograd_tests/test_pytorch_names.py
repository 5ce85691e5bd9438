"""Where PyTorch and gradformer share a name it means what it means in
PyTorch (test_pytorch_parity.py checks the values against PyTorch itself
where it is installed; these hold everywhere): transpose, split, max(dim),
var, to(dtype), dim= / keepdim=, bitwise operators, integer promotion, full,
formatting, IndexError."""
import math

import numpy as np
import pytest

import autograd as ag
import nn


def _arange(*shape):
    return ag.arange(int(np.prod(shape)), dtype=ag.float64).reshape(*shape)


# -- transpose, permute, mT ------------------------------------------------------

def test_transpose_with_two_axes_swaps_them_even_on_a_matrix():
    x = _arange(3, 4)
    assert x.transpose(0, 1).tolist() == x.numpy().T.tolist()     # was a silent no-op
    k = _arange(2, 3, 4, 5)
    assert k.transpose(-2, -1).shape == (2, 3, 5, 4)
    assert k.transpose(1, 2).shape == (2, 4, 3, 5)
    assert ag.transpose(k, 0, 3).shape == (5, 3, 4, 2)


def test_a_full_permutation_and_no_axes_keep_numpys_meaning():
    k = _arange(2, 3, 4, 5)
    assert k.transpose(0, 2, 1, 3).shape == (2, 4, 3, 5)
    assert k.transpose((3, 2, 1, 0)).shape == k.transpose().shape == k.T.shape == (5, 4, 3, 2)
    assert k.permute(1, 0, 3, 2).shape == k.permute((1, 0, 3, 2)).shape == (3, 2, 5, 4)
    assert k.mT.shape == (2, 3, 5, 4) and _arange(3, 4).t().shape == (4, 3)


def test_a_swap_is_differentiable():
    x = ag.randn(2, 3, 4, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: t.transpose(0, 2) * 2, [x])


# -- split, chunk ------------------------------------------------------------------

def test_split_takes_the_size_of_each_piece_and_chunk_the_number():
    x = _arange(2, 3, 12)
    q, k, v = x.split(4, dim=2)                                # nanoGPT's qkv split
    assert q.tolist() == x[..., :4].tolist() and v.tolist() == x[..., 8:].tolist()
    assert [p.shape[0] for p in _arange(7).split(3)] == [3, 3, 1]
    assert [p.shape[0] for p in _arange(6).split([1, 2, 3])] == [1, 2, 3]
    assert [p.shape[0] for p in _arange(7).chunk(3)] == [3, 3, 1]
    assert [p.shape[0] for p in _arange(6).chunk(4)] == [2, 2, 2]      # fewer, as PyTorch


def test_split_pieces_backpropagate_into_one_gradient():
    x = ag.randn(7, 2, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: t.split([2, 5])[1] * 3, [x])
    assert ag.gradgradcheck(lambda t: t.chunk(3)[0] ** 2, [x])


# -- max / min ---------------------------------------------------------------------

def test_max_and_min_along_a_dim_return_values_and_indices():
    x = ag.tensor([[1.0, 5.0, 5.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(-1)
    assert values.tolist() == [5.0, 2.0] and indices.tolist() == [1, 0]
    assert x.max(dim=1).values.tolist() == [5.0, 2.0]
    low = x.min(0, keepdim=True)
    assert low.values.tolist() == [[1.0, 2.0, 0.0]] and low.indices.tolist() == [[0, 1, 1]]
    values.sum().backward()                        # to the first maximum, as PyTorch
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_max_of_everything_and_of_two_tensors_and_amax():
    x = ag.tensor([[1.0, 5.0, 5.0], [2.0, 2.0, 0.0]], requires_grad=True)
    assert x.max().item() == 5.0 and ag.min(x).item() == 0.0
    assert ag.max(x, ag.tensor([3.0, 0.0, 9.0])).tolist() == [[3.0, 5.0, 9.0], [3.0, 2.0, 9.0]]
    x.amax(dim=1).sum().backward()                 # amax shares ties, as PyTorch
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]


def test_the_values_and_indices_pair_is_refused_by_arithmetic_naming_values():
    x = ag.ones(2, 3)
    with pytest.raises(TypeError, match=r"the \(values, indices\) pair .* take its \.values"):
        x - x.max(-1, keepdim=True)


# -- var / std ---------------------------------------------------------------------

def test_var_and_std_are_unbiased_by_default():
    v = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 3.0]])
    x = ag.tensor(v)
    np.testing.assert_allclose(x.var(1).numpy(), v.var(1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(x.std().numpy(), v.std(ddof=1), rtol=1e-12)
    for population in (x.var(1, unbiased=False), x.var(1, correction=0), x.var(1, ddof=0),
                       x.var(1, False)):
        np.testing.assert_allclose(population.numpy(), v.var(1), rtol=1e-12)
    with pytest.raises(TypeError, match="give one of unbiased=, correction= and ddof="):
        x.var(unbiased=True, correction=1)


def test_layer_norm_still_uses_the_population_variance():
    v = np.array([[1.0, 2.0, 4.0, 7.0]])
    y = nn.LayerNorm(4, eps=0.0).to(ag.float64)(ag.tensor(v))
    np.testing.assert_allclose(y.numpy(), (v - v.mean()) / v.std(), rtol=1e-12)


# -- to ------------------------------------------------------------------------------

def test_to_takes_a_dtype_a_device_both_or_another_tensor():
    x = ag.ones(2, requires_grad=True)
    assert x.to(ag.float64).dtype == ag.float64 and x.to("float64").dtype == ag.float64
    y = x.to("cpu", ag.float16)
    assert y.dtype == ag.float16 and y.device == "cpu"
    assert x.to(ag.zeros(1, dtype=ag.float64)).dtype == ag.float64
    assert x.to(ag.float32) is x and x.to(ag.float32, copy=True) is not x
    x.to(ag.float64).sum().backward()
    assert x.grad.dtype == ag.float32
    assert nn.Linear(2, 2).to(ag.float64).weight.dtype == ag.float64


# -- dim= and keepdim= ----------------------------------------------------------------

DIM_CALLS = [
    ("sum", lambda x, **k: x.sum(**k)), ("mean", lambda x, **k: ag.mean(x, **k)),
    ("amax", lambda x, **k: x.amax(**k)), ("amin", lambda x, **k: ag.amin(x, **k)),
    ("var", lambda x, **k: x.var(**k)), ("std", lambda x, **k: ag.std(x, **k)),
    ("logsumexp", lambda x, **k: x.logsumexp(**k)), ("any", lambda x, **k: (x > 0).any(**k)),
    ("all", lambda x, **k: ag.all(x > 0, **k)), ("argmax", lambda x, **k: x.argmax(**k)),
    ("argmin", lambda x, **k: ag.argmin(x, **k)), ("norm", lambda x, **k: x.norm(**k)),
]


@pytest.mark.parametrize("name,call", DIM_CALLS, ids=[n for n, _ in DIM_CALLS])
def test_reductions_take_dim_and_keepdim_as_axis_and_keepdims(name, call):
    x = ag.randn(2, 3, 4, dtype=ag.float64)
    torch_style = call(x, dim=1, keepdim=True)
    numpy_style = call(x, axis=1, keepdims=True)
    assert torch_style.shape == (2, 1, 4)
    assert torch_style.tolist() == numpy_style.tolist()


def test_the_other_functions_with_an_axis_take_dim_too():
    x = ag.randn(2, 3, dtype=ag.float64)
    assert ag.softmax(x, dim=0).tolist() == ag.softmax(x, axis=0).tolist()
    assert x.log_softmax(dim=0).tolist() == x.log_softmax(axis=0).tolist()
    assert ag.stack([x, x], dim=1).shape == (2, 2, 3) and ag.cat([x, x], dim=1).shape == (2, 6)
    assert [p.shape for p in x.split(1, dim=1)] == [(2, 1)] * 3
    assert [p.shape for p in ag.chunk(x, 2, dim=0)] == [(1, 3)] * 2
    assert x.unsqueeze(dim=0).shape == (1, 2, 3) and x[None].squeeze(dim=0).shape == (2, 3)
    assert x.cumsum(dim=1).shape == (2, 3) and x.sort(dim=0).values.shape == (2, 3)
    assert x.topk(1, dim=0).indices.shape == (1, 3) and x.max(dim=0).indices.shape == (3,)
    assert x.gather(dim=1, index=ag.tensor([[0], [2]])).shape == (2, 1)
    assert nn.Softmax(dim=0)(x).tolist() == ag.softmax(x, axis=0).tolist()


def test_dim_and_axis_together_is_an_error_naming_both():
    with pytest.raises(TypeError, match=r"sum: got both dim= and axis="):
        ag.ones(2).sum(dim=0, axis=0)


def test_squeeze_of_a_dim_that_is_not_1_leaves_it_as_pytorch():
    x = ag.ones(3, 1, 2)
    assert x.squeeze(0).shape == (3, 1, 2) and x.squeeze(1).shape == (3, 2)
    assert x.squeeze().shape == (3, 2) and x.squeeze((0, 1)).shape == (3, 2)


# -- bitwise operators -----------------------------------------------------------------

def test_bitwise_operators_on_integers_are_bitwise_and_keep_the_dtype():
    i = ag.tensor([6, 1, -8], dtype=ag.int32)
    for result, expected in ((i & 3, [2, 1, 0]), (i | 1, [7, 1, -7]), (i ^ 5, [3, 4, -3]),
                             (~i, [-7, -2, 7]), (3 & i, [2, 1, 0])):
        assert result.dtype == ag.int32 and result.tolist() == expected


def test_bitwise_operators_on_booleans_are_logical():
    a, b = ag.tensor([True, True, False]), ag.tensor([True, False, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, False]
    assert (a ^ b).tolist() == [False, True, False] and (~a).tolist() == [False, False, True]


def test_bitwise_operators_refuse_floats_naming_the_dtype():
    with pytest.raises(ag.OpError, match=r"bitwise_and: needs integer or boolean tensors, "
                                         r"got float32"):
        ag.ones(2) & ag.ones(2)


# -- integer promotion --------------------------------------------------------------

def test_integers_promoted_to_float_get_the_default_float():
    i = ag.arange(4)
    for y in (i / 2, 1 / (i + 1), i ** 0.5, i.exp(), i.sqrt(), i.sigmoid(), ag.erf(i),
              ag.tensor([1, 2], dtype=ag.int32) + ag.ones(2),
              ag.maximum(ag.tensor([1, 2], dtype=ag.int32), ag.ones(2)), ag.where(i > 1, i, 0.5),
              ag.ones(4) * ag.tensor([True, False, True, True])):
        assert y.dtype == ag.float32, y
    assert (i ** 2).dtype == (i + 1).dtype == i.abs().dtype == ag.int64


def test_a_position_table_built_from_arange_keeps_a_float32_model_float32():
    pos = ag.arange(10)[:, None]
    div = ag.exp(ag.arange(0, 8, 2) * (-math.log(10000.0) / 8))
    table = ag.sin(pos * div)
    assert div.dtype == table.dtype == ag.float32
    assert (ag.randn(10, 4) + table).dtype == ag.float32


# -- factories, formatting, conversions --------------------------------------------

def test_full_infers_its_dtype_from_the_fill_value():
    assert ag.full((2,), 4).dtype == ag.int64 and ag.full((2,), True).dtype == ag.bool_
    assert ag.full((2,), 0.5).dtype == ag.float32
    assert ag.full((2,), 4, dtype=ag.float64).dtype == ag.float64
    assert ag.full_like(ag.ones(2, dtype=ag.float64), 3).dtype == ag.float64


def test_a_0d_tensor_formats_converts_and_shows_its_dtype():
    loss = ag.tensor(1.23456)
    assert f"{loss:.4f}" == "1.2346" and f"{ag.tensor(7):>3d}" == "  7"
    assert float(loss) == pytest.approx(1.23456) and int(ag.tensor(3.9)) == 3
    assert f"{loss}" == str(loss.item())             # PyTorch formats a 0-d tensor's value
    with pytest.raises(TypeError, match=r"only 0-d tensors take a format spec"):
        f"{ag.ones(2):.2f}"
    assert "dtype=float64" in repr(ag.ones(2, dtype=ag.float64))
    assert "dtype=int32" in repr(ag.tensor([1], dtype=ag.int32))
    assert "dtype" not in repr(ag.ones(2)) + repr(ag.tensor([1])) + repr(ag.tensor(True))


def test_size_dim_and_type_as_pytorch():
    x = ag.ones(2, 3)
    assert x.size() == (2, 3) and x.size(-1) == 3 and x.dim() == 2
    assert x.type(ag.int64).dtype == ag.int64 and x.type() == "float32"
    assert x.long().dtype == ag.int64 and x.bool().dtype == ag.bool_ and x.int().dtype == ag.int32


# -- index errors ---------------------------------------------------------------------

@pytest.mark.parametrize("what,fn", [
    ("getitem", lambda: ag.ones(3, 4)[0, 9]),
    ("getitem", lambda: ag.ones(3)[ag.tensor([0, 7])]),
    ("setitem", lambda: ag.ones(3).__setitem__(5, 1.0)),
    ("gather", lambda: ag.ones(3, 4).gather(1, ag.tensor([[0], [4], [1]]))),
    ("embedding", lambda: ag.embedding(ag.tensor([0, 5]), ag.ones(3, 2))),
    ("one_hot", lambda: ag.one_hot(ag.tensor([0, 5]), 3)),
])
def test_an_index_out_of_range_is_an_index_error_and_an_op_error(what, fn):
    with pytest.raises(IndexError) as caught:
        fn()
    assert isinstance(caught.value, ag.OpError)


# -- PyTorch names gradformer lacks --------------------------------------------------

def test_a_pytorch_name_gradformer_lacks_is_refused_naming_what_to_use():
    with pytest.raises(AttributeError, match=r"module 'autograd' has no attribute 'float' "
                                             r"\(a PyTorch name; in gradformer use "
                                             r"autograd\.float32"):
        ag.float
    with pytest.raises(AttributeError, match=r"'Tensor' object has no attribute 'new_zeros' "
                                             r"\(a PyTorch name; in gradformer use "
                                             r"autograd\.zeros"):
        ag.ones(2).new_zeros(3)
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'nope'$"):
        ag.ones(2).nope
    assert not hasattr(ag.ones(2), "__array_interface__")


# -- factories and random draws PyTorch code uses --------------------------------------

def test_multinomial_draws_by_weight_seeded_with_or_without_replacement(device):
    probs = ag.tensor([[0.0, 0.7, 0.2, 0.1], [0.5, 0.0, 0.0, 0.5]], device=device)
    with_replacement = ag.multinomial(probs, 4000, replacement=True,
                                      generator=ag.Generator(device).manual_seed(0))
    counts = [np.bincount(row, minlength=4) / 4000 for row in with_replacement.numpy()]
    np.testing.assert_allclose(counts, probs.numpy(), atol=0.03)
    assert with_replacement.dtype == ag.int64 and with_replacement.device.startswith(device)
    draws = ag.multinomial(probs, 2, generator=ag.Generator(device).manual_seed(1))
    assert sorted(draws.numpy()[1].tolist()) == [0, 3]                 # distinct, non-zero
    assert 0 not in draws.numpy()[0]
    again = ag.multinomial(probs, 2, generator=ag.Generator(device).manual_seed(1))
    assert again.tolist() == draws.tolist()
    with pytest.raises(ValueError, match="cannot draw 3 distinct categories"):
        ag.multinomial(probs, 3)


def test_randperm_and_the_like_factories_follow_the_seed(device):
    ag.manual_seed(4)
    p = ag.randperm(9, device=device)
    assert sorted(p.tolist()) == list(range(9)) and p.dtype == ag.int64
    x = ag.ones(2, 3, dtype=ag.float64, device=device)
    for made in (ag.randn_like(x), ag.rand_like(x), ag.full_like(x, 2.0), ag.zeros_like(x)):
        assert made.shape == (2, 3) and made.dtype == ag.float64
        assert made.device.startswith(device)
    ag.manual_seed(4)
    assert ag.randperm(9, device=device).tolist() == p.tolist()


def test_from_numpy_shares_memory_and_eye_linspace_as_pytorch():
    array = np.zeros(3, dtype=np.float64)
    t = ag.from_numpy(array)
    array[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0] and t.dtype == ag.float64
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        ag.from_numpy([1.0])
    assert ag.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert ag.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ag.nonzero(ag.tensor([[1, 0], [0, 2]])).tolist() == [[0, 0], [1, 1]]
