"""Generated from the op registry and the functions composed of ops
(``@checked``): every op, every sample it declares, every device: first- and
second-order gradient checks in float64, and the float32 path staying
float32."""
import numpy as np
import pytest

import autograd as ag
from autograd.function import Function
from autograd.samples import composites

OPS = {name: cls for name, cls in sorted(Function.registry.items())
       if cls.__module__.startswith("autograd.")}
CASES = [(name, i) for name, cls in OPS.items() for i in range(len(cls.samples))]
# A composed function is checked under its name, after the ops.
ALL_CASES = CASES + [(name, i) for name, (_, samples) in sorted(composites.items())
                     for i in range(len(samples))]


def _op(name, index):
    if name not in OPS:
        function, samples = composites[name]
        sample = samples[index]
        return (lambda *xs: function(*xs, **sample.settings)), sample
    cls = OPS[name]
    sample = cls.samples[index]
    return (lambda *xs: cls(**sample.settings)(*xs)), sample


# Ops that run whatever function they are given, so no sample can stand
# for them; each is checked where it is used.
CHECKED_ELSEWHERE = {
    "Checkpoint": "gradchecked (first and second order, dropout inside) against the block "
                  "itself in tests/nn_tests/test_checkpointing.py",
}


def test_every_op_declares_samples_or_the_op_it_differentiates():
    """A backward-only op names in ``gradient_of`` the op whose second-order
    check exercises it; that op must have samples."""
    assert len(OPS) > 40
    assert set(CHECKED_ELSEWHERE) <= set(OPS)
    missing = [name for name, cls in OPS.items() if not cls.samples and name not in CHECKED_ELSEWHERE
               and not (cls.gradient_of in OPS and OPS[cls.gradient_of].samples)]
    assert not missing, f"ops with neither samples nor a gradient_of naming an op with samples: " \
                        f"{missing}"
    both = [name for name, cls in OPS.items() if cls.samples and cls.gradient_of]
    assert not both, f"backward-only ops with samples of their own: {both}"


def test_every_op_documents_its_forward_and_gradient_formulas():
    """formulas() (the public function's docstring, or a backward-only op's
    own) is what the graph tools show beside a node."""
    undocumented = [name for name, cls in OPS.items()
                    if "forward:" not in cls.formulas() or "gradient:" not in cls.formulas()]
    assert not undocumented, f"ops whose formulas() lack 'forward:' or 'gradient:': " \
                             f"{undocumented}"
    orphans = [name for name, cls in OPS.items()
               if "function" not in cls.__dict__ and cls.gradient_of is None]
    assert not orphans, f"ops with neither a public function (@public) nor a gradient_of: {orphans}"


def test_the_functions_composed_of_ops_are_checked_too():
    assert {"masked_fill", "tril", "repeat", "sort", "topk", "index_select", "silu",
            "max"} <= set(composites)
    assert not set(composites) & set(OPS)


@pytest.mark.parametrize("name,index", ALL_CASES, ids=[f"{n}-{i}" for n, i in ALL_CASES])
def test_gradients(name, index, device):
    fn, sample = _op(name, index)
    inputs = sample.build(ag.float64, device)
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("name,index", ALL_CASES, ids=[f"{n}-{i}" for n, i in ALL_CASES])
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
