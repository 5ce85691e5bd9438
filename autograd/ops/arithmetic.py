"""Binary arithmetic with NumPy broadcasting, and the other multi-input
elementwise ops (maximum, minimum, where, clip). Each backward returns the
gradient in the broadcast shape; the engine sums it back to the input's."""
from __future__ import annotations

from .. import backend
from ..function import Function, OpError, public
from ..samples import Bools, Floats, Sample
from ..tensor import Tensor
from .common import as_tensor, constant, pair

_BINARY_SAMPLES = (
    Sample(Floats((3, 4)), Floats((3, 4))),
    Sample(Floats((2, 3, 4)), Floats((4,))),     # trailing-axis broadcast
    Sample(Floats((3, 1)), Floats((1, 4))),      # both sides broadcast
    Sample(Floats(()), Floats((2, 3))),          # 0-d with n-d
)
# Divisors and bases kept away from 0.
_AWAY = dict(low=0.5, high=1.5, signed=True)


class Add(Function):
    saved_inputs = ()
    samples = _BINARY_SAMPLES

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


@public(Add)
def add(a, b) -> Tensor:
    """a + b, broadcast.

    forward:  y = a + b
    gradient: da = dy,  db = dy
    """
    return Add()(*pair(a, b))


class Sub(Function):
    saved_inputs = ()
    samples = _BINARY_SAMPLES

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


@public(Sub)
def sub(a, b) -> Tensor:
    """a - b, broadcast.

    forward:  y = a - b
    gradient: da = dy,  db = -dy
    """
    return Sub()(*pair(a, b))


class Mul(Function):
    samples = _BINARY_SAMPLES

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return (gy * b if a.requires_grad else None), (gy * a if b.requires_grad else None)


@public(Mul)
def mul(a, b) -> Tensor:
    """a * b elementwise, broadcast.

    forward:  y = a * b
    gradient: da = dy * b,  db = dy * a
    """
    return Mul()(*pair(a, b))


class Div(Function):
    samples = (Sample(Floats((3, 4)), Floats((3, 4), **_AWAY)),
               Sample(Floats((2, 3)), Floats((3,), **_AWAY)),
               Sample(Floats((3, 1)), Floats((1, 2), **_AWAY)))

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        gb = -gy * a / (b * b) if b.requires_grad else None
        return gy / b, gb


@public(Div)
def div(a, b) -> Tensor:
    """a / b elementwise, broadcast.

    forward:  y = a / b
    gradient: da = dy / b,  db = -dy * a / b^2
    """
    return Div()(*pair(a, b))


class Neg(Function):
    saved_inputs = ()
    samples = (Sample(Floats((3, 4))),)

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


@public(Neg)
def neg(x) -> Tensor:
    """-x.

    forward:  y = -x
    gradient: dx = -dy
    """
    return Neg()(x)


class PowScalar(Function):
    """x ** c for a Python number c."""
    samples = (Sample(Floats((3, 4)), exponent=2), Sample(Floats((3, 4)), exponent=3),
               Sample(Floats((3, 4), 0.5, 2.0), exponent=0.5),
               Sample(Floats((3, 4), **_AWAY), exponent=-1))

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, x):
        return x ** self.exponent

    def backward(self, gy):
        (x,) = self.inputs
        c = self.exponent
        if c == 0:
            return gy * 0
        if c == 1:
            return gy
        return gy * (PowScalar(c - 1)(x) * c)


class Pow(Function):
    """a ** b with a tensor exponent (a > 0 where b needs a gradient)."""
    saves_output = True
    samples = (Sample(Floats((3, 4), 0.5, 2.0), Floats((3, 4))),
               Sample(Floats((2, 3), 0.5, 2.0), Floats((3,))))

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        y = self.output
        ga = gy * b * a ** (b - 1) if a.requires_grad else None
        gb = gy * y * a.log() if b.requires_grad else None
        return ga, gb


@public(Pow)
@public(PowScalar)
def pow(a, b) -> Tensor:
    """a ** b; a scalar exponent c keeps a's dtype (PowScalar).

    forward:  y = a ** b
    gradient: da = dy * b * a ** (b - 1),  db = dy * y * log(a)
              (scalar c: da = dy * c * a ** (c - 1))
    """
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and backend.is_scalar(b):
        return PowScalar(b.item() if hasattr(b, "item") else b)(a)
    return Pow()(*pair(a, b))


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly, as in PyTorch."""
    samples = _BINARY_SAMPLES[:3]
    _pick, _wins = "maximum", "greater"

    def forward(self, a, b):
        return getattr(self.xp, self._pick)(a, b)

    def backward(self, gy):
        a, b = self.inputs
        xp = self.xp
        wins = getattr(xp, self._wins)(a.data, b.data).astype(gy.dtype)
        ties = xp.equal(a.data, b.data).astype(gy.dtype) * 0.5
        return gy * constant(wins + ties), gy * constant((1 - wins) - ties)


@public(Maximum)
def maximum(a, b) -> Tensor:
    """The larger of a and b, elementwise, broadcast.

    forward:  y = max(a, b)
    gradient: da = dy where a > b (dy / 2 at ties), db = the rest of dy
    """
    return Maximum()(*pair(a, b))


class Minimum(Maximum):
    samples = _BINARY_SAMPLES[:3]
    _pick, _wins = "minimum", "less"


@public(Minimum)
def minimum(a, b) -> Tensor:
    """The smaller of a and b, elementwise, broadcast.

    forward:  y = min(a, b)
    gradient: da = dy where a < b (dy / 2 at ties), db = the rest of dy
    """
    return Minimum()(*pair(a, b))


class Where(Function):
    """where(cond, a, b): a where cond holds, b elsewhere (cond gets no grad)."""
    saved_inputs = (0,)
    samples = (Sample(Bools((3, 4)), Floats((3, 4)), Floats((3, 4))),
               Sample(Bools((3, 4)), Floats((4,)), Floats(())))

    def forward(self, cond, a, b):
        return self.xp.where(cond, a, b)

    def backward(self, gy):
        cond, a, b = self.inputs
        zero = as_tensor(0, gy)
        return (None, Where()(cond, gy, zero) if a.requires_grad else None,
                Where()(cond, zero, gy) if b.requires_grad else None)


@public(Where)
def where(cond, a, b) -> Tensor:
    """a where ``cond`` holds, b elsewhere (all three broadcast).

    forward:  y = a if cond else b
    gradient: da = where(cond, dy, 0),  db = where(cond, 0, dy);  cond gets none
    """
    a, b = pair(a, b)
    cond = as_tensor(cond, a)
    if cond.dtype.kind != "b":
        cond = constant(cond.data.astype(bool))
    return Where()(cond, a, b)


class Clip(Function):
    """Clamp into [min, max] (either may be None); gradient passes where
    min <= x <= max."""
    samples = (Sample(Floats((4, 5), -2, 2), min=-1.0, max=1.0),
               Sample(Floats((4, 5), -2, 2), min=0.5, max=None))

    def __init__(self, min=None, max=None):
        self.min = None if min is None else float(min)
        self.max = None if max is None else float(max)

    def forward(self, x):
        return self.xp.clip(x, self.min, self.max)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = self.xp.ones(x.shape, dtype=bool)
        if self.min is not None:
            inside &= x >= self.min
        if self.max is not None:
            inside &= x <= self.max
        return gy * constant(inside.astype(gy.dtype))


@public(Clip)
def clip(x, min=None, max=None) -> Tensor:
    """x clamped into [min, max] (None: no bound on that side).

    forward:  y = min(max(x, min), max)
    gradient: dx = dy where min <= x <= max, else 0
    """
    return Clip(min, max)(x)


# -- comparisons and logic: boolean results, no gradient ----------------------

def compare(a, b, how: str) -> Tensor:
    """a <, <=, >, >=, ==, != b as a boolean tensor (no gradient)."""
    a, b = pair(a, b)
    xp = backend.array_module(a.data, b.data)
    try:
        return constant(getattr(xp, how)(a.data, b.data))
    except ValueError:
        raise OpError(f"{how}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                      "broadcast together") from None


def logical_not(x) -> Tensor:
    return constant(backend.array_module(x.data).logical_not(x.data))
