"""The ``Function`` base class: one recorded op of the define-by-run graph.

An op is a subclass with its settings in ``__init__`` (``Softmax(axis)``),
``forward`` on raw arrays through ``self.xp``, and ``backward`` on Tensors,
written with the same differentiable ops as user code, so gradients are graphs
themselves when ``create_graph=True``. Its public function sits right under
it (``@public(Softmax) def softmax(x, axis=-1)``), with the forward and
gradient formulas in its docstring. Each op declares ``samples`` beside its
code; the generated tests check every registered op with them.
"""
from __future__ import annotations

import weakref

from . import anomaly, backend
from .grad_mode import state


class OpError(ValueError):
    """Bad input to an op, with a message naming the op and the problem."""


class IndexOpError(OpError, IndexError):
    """An index out of range: an OpError that ``except IndexError`` catches
    too, as it would in PyTorch or NumPy."""


class Function:
    """One op. What it keeps for backward, all in declared places that the
    engine frees after backward (unless ``retain_graph``):

    - ``inputs``: the input Tensors (set when the op is recorded).
      ``saved_inputs`` declares which of them backward reads (indices; None:
      all), ``saves_output`` whether it reads its output: changing those in
      place between forward and backward is an error at backward time.
    - ``saved``: anything else ``forward`` computes for backward (a mask,
      x-hat and 1/std, the reduced axes, piece sizes), one value or a tuple;
      a backward-only op may be handed its forward op's ``saved`` instead.

    ``samples`` are the inputs the generated gradient checks use. A
    backward-only op (the fast gradient of another op, e.g. SoftmaxBackward)
    instead names that op in ``gradient_of``: its derivatives are exercised
    by the second-order checks of the op it differentiates, and its own
    docstring gives its formulas. Formulas read ``forward: y = ...`` and
    ``gradient: dx = ...``, ``dy`` being the gradient arriving from the
    output and ``dx`` the one handed to the input.
    """
    registry: dict[str, type] = {}
    samples: tuple = ()
    gradient_of: str | None = None
    saved_inputs: tuple | None = None
    saves_output: bool = False
    saved = None
    inputs = None
    module_path = ""
    # Attributes the framework sets; everything else public on an op is a setting.
    _RESERVED = frozenset({"xp", "inputs", "outputs", "saved", "module_path"})

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        earlier = Function.registry.get(cls.__name__)
        if earlier is not None and earlier is not cls and not _redefines(earlier, cls):
            raise TypeError(f"two ops named {cls.__name__}")
        Function.registry[cls.__name__] = cls

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs):
        """Run ``forward`` on the inputs' arrays; record the op if any input
        requires grad and recording is on. Returns a Tensor or a tuple."""
        out = self._forward(inputs)
        record = state.grad_enabled and _any_requires_grad(inputs)
        if type(out) is tuple:                       # several outputs (split, ...)
            result = outputs = tuple([self._wrap(y, record) for y in out])
        else:
            result = self._wrap(out, record)
            outputs = (result,)
        if record:
            self._record(inputs, outputs)
        if state.anomaly:
            anomaly.after_forward(self, outputs)
        return result

    def _forward(self, inputs):
        """``forward`` on the arrays, with library errors turned into one
        naming the op and the input shapes."""
        try:
            arrays = [t.data for t in inputs]
            self.xp = backend.array_module(*arrays)
        except (AttributeError, TypeError):
            bad = [i for i, t in enumerate(inputs) if not isinstance(t, Tensor)]
            if not bad:
                raise
            raise TypeError(f"{self.name}: input {bad[0]} is a {type(inputs[bad[0]]).__name__}, "
                            "not a Tensor (wrap it with autograd.tensor())") from None
        try:
            return self.forward(*arrays)
        except OpError:
            raise
        except (ValueError, IndexError, TypeError) as e:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            error = IndexOpError if isinstance(e, IndexError) else OpError
            raise error(f"{self.name}: {e} (input shapes: {shapes})") from None

    def _wrap(self, y, record):
        """An output array as a Tensor made by this op (NumPy hands back
        scalars from 0-d math)."""
        if not backend.is_array(y):
            y = self.xp.asarray(y)
        return Tensor._make(y, record, self if record else None)

    def _record(self, inputs, outputs):
        """Remember what backward needs: the inputs, their versions, the
        outputs (weakly: they hold this op, not the other way round)."""
        self.inputs = inputs
        self._versions = [t._version for t in inputs]
        self.outputs = tuple(map(weakref.ref, outputs))
        self.module_path = state.scope

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name} has no forward")

    def backward(self, *grad_outputs):
        """Given the gradients of the outputs (Tensors), return the gradient
        of each input (a Tensor, or None where an input is not differentiable).
        Gradients of broadcast inputs may keep the broadcast shape: the
        engine sums them back once."""
        raise NotImplementedError(f"{self.name} has no backward")

    # -- helpers for ops and tools ------------------------------------------
    @property
    def output(self):
        """The output Tensor (alive while the engine backpropagates through it)."""
        out = self.outputs[0]()
        if out is None:
            raise RuntimeError(f"{self.name}: its output was freed before backward")
        return out

    def settings(self) -> dict:
        """The op's public settings (axis, p, eps, ...) for labels and reprs."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and k not in self._RESERVED}

    @classmethod
    def formulas(cls) -> str:
        """The forward and gradient formulas: the docstring of the op's public
        function (see ``public``), else the class's own."""
        function = cls.__dict__.get("function")
        return (function.__doc__ if function is not None else cls.__doc__) or ""

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"<{self.name}({args})>"


def _redefines(earlier, cls) -> bool:
    """The same class defined again (a notebook cell run twice, a reloaded
    module): it replaces the earlier one."""
    return (earlier.__module__, earlier.__qualname__) == (cls.__module__, cls.__qualname__)


def _any_requires_grad(inputs):
    for t in inputs:
        if t._requires_grad:
            return True
    return False


def public(op_class):
    """Decorator for an op's public function, placed right under its class:
    ``@public(Softmax) def softmax(x, axis=-1): ...``. The function's
    docstring (forward and gradient formulas) becomes the op's ``formulas()``,
    which the graph tools show beside its node."""
    def mark(function):
        op_class.function = function
        return function
    return mark


from .tensor import Tensor  # noqa: E402  (tensor.py needs this module loaded first)
