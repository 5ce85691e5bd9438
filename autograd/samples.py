"""Sample inputs that each op declares beside its code.

``samples = (Sample(Floats((3, 4)), Floats((4,))), Sample(Floats((2, 3)), axis=1))``:
one ``Sample`` per case, holding input specs (in call order) and the op's
settings. The generated tests build the inputs on every device and run the
first- and second-order gradient checks on each sample of each op.

A public function composed of other ops (no class of its own: masked_fill,
repeat, sort, ...) declares its samples with ``@checked(Sample(...), ...)``
and is checked the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

from .backend import manual_seed
from .factories import rand, randint


@dataclass(frozen=True)
class Floats:
    """A float input drawn uniformly from [low, high]; ``signed`` draws the
    magnitude from [low, high] with a random sign (keeps |x| away from kinks)."""
    shape: tuple
    low: float = -1.0
    high: float = 1.0
    signed: bool = False
    grad: bool = True


@dataclass(frozen=True)
class Ints:
    """An int64 input (ids, targets) drawn from [low, high); never differentiable."""
    shape: tuple
    high: int
    low: int = 0


@dataclass(frozen=True)
class Bools:
    """A boolean input (conditions, masks); never differentiable."""
    shape: tuple


class Sample:
    def __init__(self, *inputs, **settings):
        self.inputs = inputs
        self.settings = settings

    def __repr__(self):
        specs = ", ".join(f"{type(s).__name__}{s.shape}" for s in self.inputs)
        sets = "".join(f", {k}={v!r}" for k, v in self.settings.items())
        return f"Sample({specs}{sets})"

    def build(self, dtype, device, seed=0):
        """The inputs as Tensors; float inputs with ``grad`` require grad."""
        manual_seed(seed)
        out = []
        for spec in self.inputs:
            if isinstance(spec, Floats):
                x = rand(*spec.shape, dtype=dtype, device=device)
                x = x * (spec.high - spec.low) + spec.low
                if spec.signed:
                    x = x * (rand(*spec.shape, dtype=dtype, device=device) < 0.5).astype(dtype) * 2 - x
                x = x.detach()
                x.requires_grad = spec.grad
            elif isinstance(spec, Ints):
                x = randint(spec.low, spec.high, spec.shape, device=device)
            elif isinstance(spec, Bools):
                x = rand(*spec.shape, device=device) < 0.5
            else:
                raise TypeError(f"unknown input spec {spec!r}")
            out.append(x)
        return out


# Public functions composed of other ops -> (function, samples); see ``checked``.
composites: dict[str, tuple] = {}


def checked(*samples):
    """Decorator declaring the samples of a function composed of other ops:
    ``@checked(Sample(Floats((3, 4)), Bools((3, 4)), value=-1.0))``. The
    function is called as ``function(*inputs, **settings)``; it is returned
    unchanged."""
    def mark(function):
        name = function.__name__
        if name in composites and composites[name][0] is not function:
            raise TypeError(f"two checked functions named {name}")
        composites[name] = (function, samples)
        return function
    return mark
