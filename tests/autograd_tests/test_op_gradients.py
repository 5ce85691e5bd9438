"""Generated from the op registry: every op, every sample it declares, every
device: first- and second-order gradient checks in float64, and the float32
path staying float32."""
import numpy as np
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


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_declared_saved_tensors_are_all_that_backward_reads(name, index):
    """An input an op does not declare in ``saved_inputs`` (or an output it
    does not declare with ``saves_output``) may change in place between
    forward and backward without changing the gradients: the version check
    then rightly stays silent."""
    cls = OPS[name]
    fn, sample = _op(name, index)
    inputs = sample.build(ag.float64, "cpu")
    wrt = [x for x in inputs if x.requires_grad]

    def grads(mutate):
        ag.manual_seed(3)
        out = fn(*inputs)
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad]
        ws = [ag.ones_like(o) * 0.7 for o in outs]
        if mutate:
            unsaved = [x for i, x in enumerate(inputs)
                       if cls.saved_inputs is not None and i not in cls.saved_inputs]
            if not cls.saves_output:
                unsaved += outs
            with ag.no_grad():
                for t in unsaved:
                    if t.dtype.kind == "f":
                        t.data = t.data + 0.25       # new values, same tensor
        result = ag.grad(outs, wrt, ws, allow_unused=True)
        if mutate:
            with ag.no_grad():
                for t in unsaved:
                    if t.dtype.kind == "f":
                        t.data = t.data - 0.25
        return result

    for a, b in zip(grads(False), grads(True)):
        if a is not None:
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)
