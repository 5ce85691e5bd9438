"""The ``Function`` base class: one recorded op of the define-by-run graph.

An op is a subclass with its settings in ``__init__`` (``Softmax(axis)``),
``forward`` on raw arrays through ``self.xp``, and ``backward`` on Tensors,
written with the same differentiable ops as user code, so gradients are graphs
themselves when ``create_graph=True``. Each op declares ``samples`` beside its
code; the generated tests check every registered op with them.
"""
from __future__ import annotations

import weakref

from . import backend
from .grad_mode import state


class OpError(ValueError):
    """Bad input to an op, with a message naming the op and the problem."""


class Function:
    registry: dict[str, type] = {}
    samples: tuple = ()
    # Which inputs' values backward reads (indices; None: all) and whether it
    # reads the output: an in-place change of those after the forward is an
    # error at backward time (see the version check in the engine).
    saved_inputs: tuple | None = None
    saves_output: bool = False
    # Attributes the framework sets; everything else public on an op is a setting.
    _RESERVED = frozenset({"xp", "inputs", "outputs", "saved", "module_path"})

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        if cls.__name__ in Function.registry and Function.registry[cls.__name__] is not cls:
            raise TypeError(f"two ops named {cls.__name__}")
        Function.registry[cls.__name__] = cls

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs):
        """Run ``forward`` on the inputs' arrays; record the op if any input
        requires grad and recording is on. Returns a Tensor or a tuple."""
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
            out = self.forward(*arrays)
        except OpError:
            raise
        except (ValueError, IndexError, TypeError) as e:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise OpError(f"{self.name}: {e} (input shapes: {shapes})") from None
        record = False
        if state.grad_enabled:
            for t in inputs:
                if t._requires_grad:
                    record = True
                    break
        array_type = type(arrays[0])
        if type(out) is tuple:
            results = tuple(Tensor._make(_as_array(y, array_type, self.xp), record,
                                         self if record else None) for y in out)
        else:
            results = Tensor._make(_as_array(out, array_type, self.xp), record,
                                   self if record else None)
        if record:
            self.inputs = inputs
            self._versions = [t._version for t in inputs]
            self.outputs = (tuple(weakref.ref(r) for r in results) if type(results) is tuple
                            else (weakref.ref(results),))
            self.module_path = state.scope
        if state.anomaly:
            from . import anomaly
            self.module_path = state.scope
            self._stack = anomaly.capture_stack()
            anomaly.check_outputs(self, results if type(results) is tuple else (results,))
        return results

    def forward(self, *arrays):
        raise NotImplementedError(f"{self.name} has no forward")

    def backward(self, *grad_outputs):
        """Given the gradients of the outputs (Tensors), return the gradient
        of each input (a Tensor, or None where an input is not differentiable).
        Gradients of broadcast inputs may keep the broadcast shape: the
        engine sums them back once."""
        raise NotImplementedError(f"{self.name} has no backward")

    # -- helpers for ops ----------------------------------------------------
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

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"<{self.name}({args})>"


def _as_array(y, array_type, xp):
    """An op's result as an array of its device (NumPy hands back scalars
    from 0-d arithmetic)."""
    if type(y) is array_type or backend.is_array(y):
        return y
    return xp.asarray(y)


from .tensor import Tensor  # noqa: E402  (Tensor needs Function's module loaded first)
