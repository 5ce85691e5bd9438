"""Elementwise functions of one tensor."""
from __future__ import annotations

import math

from ..function import Function
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


class Log(Function):
    samples = _POSITIVE

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    saved_inputs = ()
    saves_output = True
    samples = _POSITIVE

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, gy):
        return gy / (self.output * 2)


class Tanh(Function):
    saved_inputs = ()
    saves_output = True
    samples = _ANY

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y)


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


class Relu(Function):
    samples = _AWAY_FROM_KINK

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        return gy * constant((self.inputs[0].data > 0).astype(gy.dtype))


class Abs(Function):
    samples = _AWAY_FROM_KINK

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, gy):
        return gy * constant(self.xp.sign(self.inputs[0].data))


class Sin(Function):
    samples = _ANY

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, gy):
        return gy * self.inputs[0].cos()


class Cos(Function):
    samples = _ANY

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, gy):
        return -gy * self.inputs[0].sin()


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


def exp(x): return Exp()(x)
def log(x): return Log()(x)
def sqrt(x): return Sqrt()(x)
def tanh(x): return Tanh()(x)
def sigmoid(x): return Sigmoid()(x)
def relu(x): return Relu()(x)
def abs(x): return Abs()(x)
def gelu(x): return Gelu()(x)
def sin(x): return Sin()(x)
def cos(x): return Cos()(x)
