"""Elementwise functions of one tensor. Those with float results (exp,
sqrt, tanh, ...) give integer tensors the default float, as PyTorch does."""
from __future__ import annotations

import math

from ..function import Function, OpError, public
from ..samples import Floats, Sample, checked
from .arithmetic import where
from .common import constant, floating

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
    return Exp()(floating(x))


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
    return Log()(floating(x))


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
    return Sqrt()(floating(x))


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
    return Tanh()(floating(x))


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
    return Sigmoid()(floating(x))


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
    return Sin()(floating(x))


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
    return Cos()(floating(x))


def rsqrt(x):
    """1 / sqrt(x), elementwise: a power."""
    return floating(x) ** -0.5


def _erf(x, xp):
    """erf on arrays of any device to about 1e-15: the series
    2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (2n+1)!! (all terms positive) for
    |x| <= 2.5, the continued fraction of erfc beyond, +-1 past 6."""
    ax = xp.abs(x)
    near = ax <= 2.5
    y = xp.where(near, ax, 2.5)                       # the series' arguments
    y2 = y * y
    term = y.copy()
    total = y.copy()
    for n in range(1, 40):
        term *= y2 * (2.0 / (2 * n + 1))
        total += term
    series = total * xp.exp(-y2) * (2.0 / math.sqrt(math.pi))
    z = xp.clip(ax, 2.5, 6.0)                          # the continued fraction's
    f = z.copy()
    for k in range(40, 0, -1):
        f = z + (k * 0.5) / f
    tail = 1.0 - xp.exp(-z * z) / (f * math.sqrt(math.pi))
    return xp.sign(x) * xp.where(near, series, tail)


class Erf(Function):
    samples = _ANY

    def forward(self, x):
        return _erf(x, self.xp)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * ((x * x * -1).exp() * (2.0 / math.sqrt(math.pi)))


@public(Erf)
def erf(x):
    """The error function, elementwise: 2/sqrt(pi) times the integral of
    exp(-t^2) from 0 to x.

    forward:  y = erf(x)
    gradient: dx = dy * 2/sqrt(pi) exp(-x^2)
    """
    return Erf()(floating(x))


_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715
_SQRT_HALF = math.sqrt(0.5)
_GELUS = ("none", "tanh")


class Gelu(Function):
    """GELU, exact (x Phi(x), Phi from erf) or in its tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    samples = _ANY + (Sample(Floats((3, 4), -3, 3), approximate="tanh"),)

    def __init__(self, approximate="none"):
        if approximate not in _GELUS:
            raise OpError(f"gelu: approximate must be one of {_GELUS}, got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        if self.approximate == "none":
            return x * 0.5 * (_erf(x * _SQRT_HALF, self.xp) + 1)
        t = self.xp.tanh((x + x * x * x * _GELU_A) * _GELU_K)
        return x * 0.5 * (t + 1)

    def backward(self, gy):
        (x,) = self.inputs
        x2 = x * x
        if self.approximate == "none":
            cdf = (erf(x * _SQRT_HALF) + 1) * 0.5
            return gy * (cdf + x * (x2 * -0.5).exp() * (1 / math.sqrt(2 * math.pi)))
        t = ((x + x2 * x * _GELU_A) * _GELU_K).tanh()
        dt = (1 - t * t) * ((x2 * (3 * _GELU_A) + 1) * _GELU_K)
        return gy * ((t + 1) * 0.5 + x * 0.5 * dt)


@public(Gelu)
def gelu(x, approximate="none"):
    """GELU (Hendrycks & Gimpel 2016), elementwise, as PyTorch's: exact by
    default, ``approximate="tanh"`` for the tanh form; Phi is the standard
    normal CDF, phi its density, k = sqrt(2/pi).

    forward:  y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
              tanh: y = 0.5 x (1 + t),  t = tanh(k (x + 0.044715 x^3))
    gradient: dx = dy * (Phi(x) + x phi(x))
              tanh: dx = dy * (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2))
    """
    return Gelu(approximate)(floating(x))


@checked(*_ANY)
def silu(x):
    """x * sigmoid(x) (also called swish), elementwise."""
    x = floating(x)
    return x * x.sigmoid()


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, without overflow; linear (y = x) where
    beta x > threshold, as in PyTorch."""
    samples = _ANY + (Sample(Floats((3, 4), -2, 2), beta=2.0, threshold=1.0),)

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        xp = self.xp
        bx = x * self.beta
        return xp.where(bx > self.threshold, x, xp.logaddexp(0, bx) / self.beta)

    def backward(self, gy):
        (x,) = self.inputs
        linear = constant(x.data * self.beta > self.threshold)
        return gy * where(linear, 1.0, (x * self.beta).sigmoid())


@public(Softplus)
def softplus(x, beta=1.0, threshold=20.0):
    """A smooth relu: log(1 + exp(beta x)) / beta, elementwise (x itself
    where beta x > threshold).

    forward:  y = log(1 + exp(beta x)) / beta
    gradient: dx = dy * sigmoid(beta x)   (dy where beta x > threshold)
    """
    return Softplus(beta, threshold)(floating(x))
