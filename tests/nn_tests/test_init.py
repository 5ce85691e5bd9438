"""nn.init: the distributions, their bounds and scales, in place, on the
parameter's device and dtype; and the public names of nn."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def weight(*shape, dtype=None, device=None):
    return nn.Parameter(ag.zeros(*shape, dtype=dtype, device=device))


def test_public_names():
    for name in ["Module", "Parameter", "Linear", "Embedding", "LayerNorm", "Dropout", "ReLU",
                 "GELU", "Sequential", "ModuleList", "CrossEntropyLoss", "MSELoss",
                 "cross_entropy", "mse_loss", "clip_grad_norm_", "save", "load",
                 "functional_call", "init", "optim", "functional"]:
        assert hasattr(nn, name), name
    for name in ["SGD", "Adam", "AdamW", "NoamSchedule", "WarmupCosineSchedule",
                 "ConstantSchedule"]:
        assert hasattr(nn.optim, name), name
    assert nn.functional.linear is ag.linear and nn.functional.cross_entropy is nn.cross_entropy


def test_initialisers_work_in_place_and_keep_device_and_dtype(device):
    ag.manual_seed(0)
    for dtype in (ag.float32, ag.float64):
        w = weight(40, 30, dtype=dtype, device=device)
        for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
                   init.kaiming_uniform_, init.kaiming_normal_, init.zeros_, init.ones_):
            assert fn(w) is w
            assert w.dtype == dtype and w.device.split(":")[0] == device
            assert w.requires_grad and w.grad_fn is None
        np.testing.assert_array_equal(w.numpy(), 1)


def test_uniform_and_normal_statistics():
    ag.manual_seed(0)
    w = weight(200, 100)
    v = init.uniform_(w, -2.0, 3.0).numpy()
    assert v.min() >= -2.0 and v.max() < 3.0
    assert abs(v.mean() - 0.5) < 0.05 and abs(v.std() - 5 / math.sqrt(12)) < 0.05
    v = init.normal_(w, 1.0, 0.5).numpy()
    assert abs(v.mean() - 1.0) < 0.01 and abs(v.std() - 0.5) < 0.01
    np.testing.assert_array_equal(init.constant_(w, 0.25).numpy(), 0.25)


def test_xavier_uniform_bound_and_xavier_normal_std():
    ag.manual_seed(0)
    w = weight(300, 100)                            # fan_out 300, fan_in 100
    a = math.sqrt(6 / 400)
    v = init.xavier_uniform_(w, gain=2.0).numpy()
    assert np.abs(v).max() <= 2 * a and np.abs(v).max() > 1.9 * a
    v = init.xavier_normal_(w).numpy()
    assert abs(v.std() - math.sqrt(2 / 400)) < 0.002


def test_kaiming_scales():
    ag.manual_seed(0)
    w = weight(300, 100)
    v = init.kaiming_uniform_(w, nonlinearity="relu").numpy()
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.95 * bound
    v = init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").numpy()
    assert abs(v.std() - math.sqrt(2 / 300)) < 0.002
    # PyTorch's default: leaky_relu with a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    v = init.kaiming_uniform_(w, a=math.sqrt(5)).numpy()
    assert np.abs(v).max() <= 1 / math.sqrt(100) and np.abs(v).max() > 0.095


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(weight(5))


def test_initialisation_repeats_under_the_same_seed():
    ag.manual_seed(7)
    a = nn.Linear(5, 4).weight.numpy().copy()
    ag.manual_seed(7)
    b = nn.Linear(5, 4).weight.numpy()
    np.testing.assert_array_equal(a, b)
