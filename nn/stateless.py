"""Calling a module with other tensors in place of its parameters."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def substituted(module, tensors: dict):
    """Within the block, the parameters named in ``tensors`` (dotted names)
    are replaced by the given tensors everywhere they are used (tied weights
    included); the originals come back afterwards."""
    named = dict(module.named_parameters())
    unknown = sorted(set(tensors) - set(named))
    if unknown:
        raise KeyError(f"functional_call: no parameters named {unknown}")
    by_id = {id(named[k]): v for k, v in tensors.items()}
    swapped = []
    for m in module.modules():
        for name, p in m._parameters.items():
            if p is not None and id(p) in by_id:
                swapped.append((m, name, p))
                m._parameters[name] = by_id[id(p)]
    try:
        yield module
    finally:
        for m, name, p in swapped:
            m._parameters[name] = p


def functional_call(module, tensors: dict, *args, **kwargs):
    """``module(*args, **kwargs)`` computed with ``tensors`` as its parameters
    (as torch.func.functional_call): differentiable with respect to them."""
    with substituted(module, tensors):
        return module(*args, **kwargs)
