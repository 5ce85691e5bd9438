"""Devices: moving tensors, mixing devices, per-device seeded generators."""
import numpy as np
import pytest

import autograd as ag


def test_factories_make_tensors_on_the_device(device):
    for t in (ag.zeros(2, 3, device=device), ag.ones((2, 3), device=device),
              ag.randn(2, 3, device=device), ag.rand(2, 3, device=device),
              ag.full((2, 3), 7.0, device=device)):
        assert t.device.split(":")[0] == device and t.shape == (2, 3) and t.dtype == ag.float32
    assert ag.arange(5, device=device).dtype == ag.int64
    assert ag.zeros_like(ag.ones(2, device=device)).device == ag.ones(2, device=device).device


def test_to_and_back_is_differentiable(device):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(device)
    assert y.device.split(":")[0] == device
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_mixing_devices_names_both():
    a = ag.ones(2)
    b = ag.ones(2, device="emu")
    with pytest.raises(RuntimeError, match="cpu and emu:0"):
        a + b
    with pytest.raises(RuntimeError, match="emu:0 and cpu"):
        ag.matmul(b, a)


def test_host_arrays_do_not_leak_into_device_ops():
    b = ag.ones(2, device="emu")
    with pytest.raises(RuntimeError, match="one device"):
        b * np.ones(2)


def test_python_scalars_work_on_every_device(device):
    x = ag.ones(3, device=device)
    y = 2 * x + 1.5 - x / 4
    np.testing.assert_allclose(y.numpy(), 3.25)


def test_manual_seed_repeats_bit_for_bit(device):
    ag.manual_seed(123)
    a = (ag.randn(4, 4, device=device).numpy(), ag.rand(3, device=device).numpy())
    ag.manual_seed(123)
    b = (ag.randn(4, 4, device=device).numpy(), ag.rand(3, device=device).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_rng_state_round_trip():
    ag.manual_seed(0)
    ag.rand(3)
    state = ag.get_rng_state()
    a = ag.rand(5).numpy()
    ag.set_rng_state(state)
    np.testing.assert_array_equal(ag.rand(5).numpy(), a)


def test_cuda_without_a_gpu_explains_why():
    if ag.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="'cuda' is not available"):
        ag.zeros(2, device="cuda")
