"""Binary arithmetic with NumPy broadcasting, and the other multi-input
elementwise ops (maximum, minimum, where, clip) with what is built on where
(masked_fill, tril, triu). Each backward returns the gradient in the
broadcast shape; the engine sums it back to the input's. Then comparisons,
bitwise and logical ops, and the NaN/Inf tests (no gradient)."""
from __future__ import annotations

from .. import backend
from ..function import Function, OpError, public
from ..samples import Bools, Floats, Sample, checked
from ..tensor import Tensor
from .common import as_tensor, constant, floating, pair

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
    """a / b elementwise, broadcast; true division, so integers give the
    default float (float32), as in PyTorch.

    forward:  y = a / b
    gradient: da = dy / b,  db = -dy * a / b^2
    """
    a, b = pair(a, b)
    if a.data.dtype.kind != "f" and b.data.dtype.kind != "f":
        a, b = floating(a), floating(b)
    return Div()(a, b)


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
    """a ** b with a tensor exponent (a > 0 where b needs a gradient). At
    a == 0, as in PyTorch: da = 0 where b == 0, db = 0 where b >= 0."""
    saves_output = True
    samples = (Sample(Floats((3, 4), 0.5, 2.0), Floats((3, 4))),
               Sample(Floats((2, 3), 0.5, 2.0), Floats((3,))))

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        # A base of 1 where the formula would give 0 * inf: the same limits
        # PyTorch takes, and no inf anywhere in the graph of the gradient.
        if a.requires_grad:
            ga = gy * b * where(constant(b.data == 0), 1, a) ** (b - 1)
        if b.requires_grad:
            gb = gy * self.output * where(constant((a.data == 0) & (b.data >= 0)), 1, a).log()
        return ga, gb


@public(Pow)
@public(PowScalar)
def pow(a, b) -> Tensor:
    """a ** b; a scalar exponent c keeps a's dtype (PowScalar), but an
    integer tensor to a float power gives the default float.

    forward:  y = a ** b
    gradient: da = dy * b * a ** (b - 1),  db = dy * y * log(a)
              (0 where b == 0, resp. where a == 0 and b >= 0)
              (scalar c: da = dy * c * a ** (c - 1))
    """
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and backend.is_scalar(b):
        if a.data.dtype.kind != "f" and isinstance(b, float):
            a = floating(a)
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


@checked(Sample(Floats((3, 4)), Bools((3, 4)), value=-2.0),
         Sample(Floats((2, 3, 3)), Bools((3, 3)), value=0.5))
def masked_fill(x, mask, value) -> Tensor:
    """x with ``value`` where ``mask`` (broadcast) holds: where(mask, value, x)."""
    return where(mask, as_tensor(value, x), x)


@checked(Sample(Floats((3, 4))), Sample(Floats((2, 3, 3)), diagonal=-1))
def tril(x, diagonal=0) -> Tensor:
    """The lower triangle of the last two axes (j <= i + diagonal), zeros above."""
    return _triangle(x, diagonal, False, "tril")


@checked(Sample(Floats((3, 4))), Sample(Floats((2, 3, 3)), diagonal=1))
def triu(x, diagonal=0) -> Tensor:
    """The upper triangle of the last two axes (j >= i + diagonal), zeros below."""
    return _triangle(x, diagonal - 1, True, "triu")


def _triangle(x, diagonal, upper, op):
    """x where j <= i + diagonal (``upper``: where not), zeros of x's dtype elsewhere."""
    if x.ndim < 2:
        raise OpError(f"{op}: needs a tensor of at least 2 dimensions, got shape {x.shape}")
    xp = backend.array_module(x.data)
    keep = xp.tri(x.shape[-2], x.shape[-1], diagonal, dtype=bool)
    return Where()(constant(~keep if upper else keep), x, constant(xp.zeros((), x.dtype)))


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


# -- comparisons, bitwise and logic, NaN tests: no gradient ------------------

def compare(a, b, how: str) -> Tensor:
    """a <, <=, >, >=, ==, != b as a boolean tensor (no gradient)."""
    a, b = pair(a, b)
    xp = backend.array_module(a.data, b.data)
    try:
        return constant(getattr(xp, how)(a.data, b.data))
    except ValueError:
        raise OpError(f"{how}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                      "broadcast together") from None


def bitwise(a, b, how: str) -> Tensor:
    """&, |, ^: bitwise on integers (keeping their dtype), logical on booleans."""
    a, b = _no_floats(how, *pair(a, b))
    return compare(a, b, how)


def bitwise_not(x) -> Tensor:
    """~x: bitwise not of integers, logical not of booleans."""
    (x,) = _no_floats("bitwise_not", x)
    return constant(backend.array_module(x.data).invert(x.data))


def _no_floats(how, *tensors):
    for t in tensors:
        if t.dtype.kind not in "iub":
            raise OpError(f"{how}: needs integer or boolean tensors, got {t.dtype} (for "
                          "masks, compare first: (x > 0) & (y > 0))")
    return tensors


def logical_and(a, b) -> Tensor:
    return compare(a, b, "logical_and")


def logical_or(a, b) -> Tensor:
    return compare(a, b, "logical_or")


def logical_xor(a, b) -> Tensor:
    return compare(a, b, "logical_xor")


def logical_not(x) -> Tensor:
    return constant(backend.array_module(x.data).logical_not(x.data))


def isnan(x) -> Tensor:
    return constant(backend.array_module(x.data).isnan(x.data))


def isinf(x) -> Tensor:
    return constant(backend.array_module(x.data).isinf(x.data))


def isfinite(x) -> Tensor:
    return constant(backend.array_module(x.data).isfinite(x.data))


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    """Whether |a - b| <= atol + rtol * |b| everywhere (a Python bool)."""
    a, b = pair(a, b)
    return bool(backend.array_module(a.data, b.data).allclose(a.data, b.data, rtol=rtol,
                                                              atol=atol, equal_nan=equal_nan))
