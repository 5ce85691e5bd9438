"""Initialisers, in place, as PyTorch's ``nn.init``: each draws from the
autograd generator of the parameter's device and returns the tensor."""
from __future__ import annotations

import math

import autograd as ag


def _fans(t):
    """(fan_in, fan_out) of a weight stored (out_features, in_features, ...)."""
    if t.ndim < 2:
        raise ValueError(f"fan in/out need a tensor of at least 2 dimensions, got shape {t.shape}")
    receptive = 1
    for s in t.shape[2:]:
        receptive *= s
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t, values):
    t.data = values.data
    t._version += 1
    return t


@ag.no_grad()
def uniform_(t, a=0.0, b=1.0):
    return _fill(t, ag.rand(*t.shape, dtype=t.dtype, device=t.device) * (b - a) + a)


@ag.no_grad()
def normal_(t, mean=0.0, std=1.0):
    return _fill(t, ag.randn(*t.shape, dtype=t.dtype, device=t.device) * std + mean)


@ag.no_grad()
def constant_(t, value):
    return _fill(t, ag.full(t.shape, value, dtype=t.dtype, device=t.device))


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def xavier_uniform_(t, gain=1.0):
    """Glorot & Bengio (2010): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t, gain=1.0):
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_


def _kaiming_std(t, a, mode, nonlinearity):
    fan_in, fan_out = _fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    gains = {"relu": math.sqrt(2.0), "linear": 1.0, "tanh": 5.0 / 3,
             "leaky_relu": math.sqrt(2.0 / (1 + a * a))}
    if nonlinearity not in gains:
        raise ValueError(f"kaiming init: unknown nonlinearity {nonlinearity!r}; choose one of "
                         f"{', '.join(gains)}")
    gain = gains[nonlinearity]
    return gain / math.sqrt(fan)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(-b, b), b = gain * sqrt(3 / fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity))
