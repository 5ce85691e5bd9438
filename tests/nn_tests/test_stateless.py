"""nn.functional_call: a module run with other tensors as its parameters."""
import numpy as np
import pytest

import autograd as ag
import nn

from .helpers import f64


def test_functional_call_uses_the_given_tensors_and_restores_the_originals():
    ag.manual_seed(0)
    lin = nn.Linear(3, 2).to(dtype=ag.float64)
    w, b = lin.weight, lin.bias
    w2, b2 = f64(2, 3, seed=1), f64(2, seed=2)
    x = f64(4, 3, seed=3, requires_grad=False)
    y = nn.functional_call(lin, {"weight": w2, "bias": b2}, x)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w2.numpy().T + b2.numpy(), rtol=1e-12)
    assert lin.weight is w and lin.bias is b
    y.sum().backward()
    assert w.grad is None and w2.grad is not None
    np.testing.assert_allclose(b2.grad.numpy(), [4.0, 4.0])


def test_functional_call_is_differentiable_with_respect_to_the_tensors():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(dtype=ag.float64)
    names = [n for n, _ in model.named_parameters()]
    x = f64(2, 3)
    assert ag.gradcheck(lambda x, *ps: nn.functional_call(model, dict(zip(names, ps)), x),
                        [x, *model.parameters()])


def test_functional_call_replaces_a_tied_parameter_everywhere():
    emb = nn.Embedding(4, 2)
    out = nn.Linear(2, 4, bias=False)
    out.weight = emb.weight
    model = nn.Sequential(emb, out)
    w = ag.ones(4, 2)
    y = nn.functional_call(model, {"0.weight": w}, ag.tensor([1]))
    np.testing.assert_array_equal(y.numpy(), [[2.0, 2.0, 2.0, 2.0]])
    assert out.weight is emb.weight and emb.weight is not w


def test_functional_call_restores_after_an_error_and_rejects_unknown_names():
    lin = nn.Linear(3, 2)
    w = lin.weight
    with pytest.raises(ag.OpError):
        nn.functional_call(lin, {"weight": ag.zeros(2, 3)}, ag.zeros(1, 5))
    assert lin.weight is w
    with pytest.raises(KeyError, match="nope"):
        nn.functional_call(lin, {"nope": ag.zeros(1)}, ag.zeros(1, 3))
