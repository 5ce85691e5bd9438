"""Elementwise functions of one tensor."""
from __future__ import annotations

import math

from ..function import Function, public
from ..samples import Floats, Sample
from .common import constant

_ANY = (Sample(Floats((3, 4), -2, 2)), Sample(Floats((2, 3, 2), -2, 2)))
_POSITIVE = (Sample(Floats((3, 4), 0.5, 2.0)),)
_AWAY_FROM_KINK = (Sample(Floats((3, 4), 0.1, 1.0, signed=True)),)


class Exp(Function):
    saved_inputs = ()
    saves_output = True
    samples = _ANY

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, gy):
        return gy * self.output


@public(Exp)
def exp(x):
    """e to the power x, elementwise.

    forward:  y = exp(x)
    gradient: dx = dy * y
    """
    return Exp()(x)


class Log(Function):
    samples = _POSITIVE

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


@public(Log)
def log(x):
    """Natural logarithm, elementwise.

    forward:  y = log(x)
    gradient: dx = dy / x
    """
    return Log()(x)


class Sqrt(Function):
    saved_inputs = ()
    saves_output = True
    samples = _POSITIVE

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, gy):
        return gy / (self.output * 2)


@public(Sqrt)
def sqrt(x):
    """Square root, elementwise.

    forward:  y = sqrt(x)
    gradient: dx = dy / (2 y)
    """
    return Sqrt()(x)


class Tanh(Function):
    saved_inputs = ()
    saves_output = True
    samples = _ANY

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y)


@public(Tanh)
def tanh(x):
    """Hyperbolic tangent, elementwise.

    forward:  y = tanh(x)
    gradient: dx = dy * (1 - y^2)
    """
    return Tanh()(x)


class Sigmoid(Function):
    saved_inputs = ()
    saves_output = True
    samples = _ANY

    def forward(self, x):
        # 0.5 * (1 + tanh(x / 2)): the same function, never overflows.
        return self.xp.tanh(x * 0.5) * 0.5 + 0.5

    def backward(self, gy):
        y = self.output
        return gy * y * (1 - y)


@public(Sigmoid)
def sigmoid(x):
    """The logistic function, elementwise, computed as 0.5 (1 + tanh(x / 2))
    so that it never overflows.

    forward:  y = 1 / (1 + exp(-x))
    gradient: dx = dy * y * (1 - y)
    """
    return Sigmoid()(x)


class Relu(Function):
    samples = _AWAY_FROM_KINK

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        return gy * constant((self.inputs[0].data > 0).astype(gy.dtype))


@public(Relu)
def relu(x):
    """max(x, 0), elementwise.

    forward:  y = max(x, 0)
    gradient: dx = dy where x > 0, else 0
    """
    return Relu()(x)


class Abs(Function):
    samples = _AWAY_FROM_KINK

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, gy):
        return gy * constant(self.xp.sign(self.inputs[0].data))


@public(Abs)
def abs(x):
    """|x|, elementwise.

    forward:  y = |x|
    gradient: dx = dy * sign(x)
    """
    return Abs()(x)


class Sin(Function):
    samples = _ANY

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, gy):
        return gy * self.inputs[0].cos()


@public(Sin)
def sin(x):
    """Sine, elementwise.

    forward:  y = sin(x)
    gradient: dx = dy * cos(x)
    """
    return Sin()(x)


class Cos(Function):
    samples = _ANY

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, gy):
        return -gy * self.inputs[0].sin()


@public(Cos)
def cos(x):
    """Cosine, elementwise.

    forward:  y = cos(x)
    gradient: dx = -dy * sin(x)
    """
    return Cos()(x)


_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


class Gelu(Function):
    """GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    samples = _ANY

    def forward(self, x):
        t = self.xp.tanh((x + x * x * x * _GELU_A) * _GELU_K)
        return x * 0.5 * (t + 1)

    def backward(self, gy):
        (x,) = self.inputs
        x2 = x * x
        t = ((x + x2 * x * _GELU_A) * _GELU_K).tanh()
        dt = (1 - t * t) * ((x2 * (3 * _GELU_A) + 1) * _GELU_K)
        return gy * ((t + 1) * 0.5 + x * 0.5 * dt)


@public(Gelu)
def gelu(x):
    """GELU, tanh form (Hendrycks & Gimpel 2016), elementwise; k = sqrt(2/pi).

    forward:  y = 0.5 x (1 + t),  t = tanh(k (x + 0.044715 x^3))
    gradient: dx = dy * (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2))
    """
    return Gelu()(x)
