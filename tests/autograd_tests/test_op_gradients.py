"""Generated from the op registry: every op, every sample it declares, every
device: first- and second-order gradient checks in float64, and the float32
path staying float32."""
import pytest

import autograd as ag
from autograd.function import Function

OPS = {name: cls for name, cls in sorted(Function.registry.items())
       if cls.__module__.startswith("autograd.")}
CASES = [(name, i) for name, cls in OPS.items() for i in range(len(cls.samples))]


def _op(name, index):
    cls = OPS[name]
    sample = cls.samples[index]
    return (lambda *xs: cls(**sample.settings)(*xs)), sample


def test_every_op_declares_samples():
    assert len(OPS) > 40
    missing = [name for name, cls in OPS.items() if not cls.samples]
    assert not missing, f"ops without samples: {missing}"


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_gradients(name, index, device):
    fn, sample = _op(name, index)
    inputs = sample.build(ag.float64, device)
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_float32_stays_float32(name, index, device):
    fn, sample = _op(name, index)
    inputs = sample.build(ag.float32, device)
    out = fn(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    expected = ag.backend.as_dtype(sample.settings.get("dtype", ag.float32))  # AsType casts
    for o in outs:
        if o.dtype.kind == "f":
            assert o.dtype == expected, f"{name} output is {o.dtype}"
    floats = [o for o in outs if o.dtype.kind == "f" and o.requires_grad]
    wrt = [x for x in inputs if x.requires_grad]
    grads = ag.grad(floats, wrt, [ag.ones_like(o) for o in floats], allow_unused=True)
    for x, g in zip(wrt, grads):
        if g is not None:
            assert g.dtype == ag.float32, f"{name} gradient is {g.dtype}"
            assert g.shape == x.shape
