"""Helpers shared by the nn tests."""
import numpy as np

import autograd as ag


def functional(module, names, n_inputs=1):
    """``fn(*inputs, *params)`` that runs ``module(*inputs)`` with the
    parameters ``names`` (dotted, as named_parameters gives them) replaced by
    the tensors passed, as ``torch.func.functional_call`` does. Handing
    ``fn`` and ``[*inputs, *module parameters]`` to gradcheck checks the
    gradients of the parameters: the finite differences perturb exactly the
    tensors the module reads."""
    modules = dict(module.named_modules())
    slots = []
    for name in names:
        path, _, leaf = name.rpartition(".")
        owner = modules[path]
        assert leaf in owner._parameters, f"{name} is not a parameter"
        slots.append((owner, leaf))

    def fn(*args):
        inputs, params = args[:n_inputs], args[n_inputs:]
        assert len(params) == len(slots)
        saved = [owner._parameters[leaf] for owner, leaf in slots]
        for (owner, leaf), p in zip(slots, params):
            owner._parameters[leaf] = p
        try:
            return module(*inputs)
        finally:
            for (owner, leaf), p in zip(slots, saved):
                owner._parameters[leaf] = p
    return fn


def params_of(module):
    """(names, tensors) of a module's parameters, in named_parameters order."""
    named = list(module.named_parameters())
    return [n for n, _ in named], [p for _, p in named]


def snapshot(module):
    """Host copies of every state_dict entry (to compare before/after)."""
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


def assert_same_state(a: dict, b: dict):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def f64(*shape, low=-1.0, high=1.0, seed=0, requires_grad=True):
    """A float64 tensor of uniform values drawn from a private NumPy stream."""
    data = np.random.default_rng(seed).uniform(low, high, size=shape)
    return ag.tensor(data, dtype=ag.float64, requires_grad=requires_grad)
