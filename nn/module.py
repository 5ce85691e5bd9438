"""``Module`` and ``Parameter``: the containers every layer is made of.

Assigning a Parameter, a Module or a buffer to a module attribute registers
it. Each module knows its dotted path from the root it was last attached to
(``encoder.layers.0.self_attn``); while its ``__call__`` runs, every op it
records carries that path, so graphs and error messages can say which
module made what.
"""
from __future__ import annotations

from collections import OrderedDict

import autograd as ag
from autograd import backend
from autograd.grad_mode import module_scope


class Parameter(ag.Tensor):
    """A Tensor that is a learnable weight of a module (requires grad)."""
    __slots__ = ()

    def __init__(self, data, requires_grad=True, name=None):
        if isinstance(data, ag.Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(KeyError):
    """A state dict that does not fit the module (names the keys)."""

    def __str__(self):
        return self.args[0]


class Module:
    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_path", "")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # -- registration -------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning '{name}'")
        if isinstance(value, Parameter):
            target = self._parameters
        elif isinstance(value, Module):
            target = self._modules
        elif name in self._buffers and (value is None or isinstance(value, ag.Tensor)):
            target = self._buffers
        else:
            target = None
        for table in (self._parameters, self._modules, self._buffers):
            if table is not target:
                table.pop(name, None)
        if target is None:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)      # a plain attribute of that name would shadow it
        if isinstance(value, Parameter) and value.name is None:
            value.name = name
        target[name] = value               # a replaced entry keeps its place in the order
        if isinstance(value, Module):
            value._set_path(_join(self._path, name))

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """A non-trainable tensor (a positional table, a mask) that moves with
        the module and, if ``persistent``, is saved in its state_dict."""
        if tensor is not None and not isinstance(tensor, ag.Tensor):
            tensor = ag.tensor(tensor)
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name, module):
        setattr(self, name, module)

    def _set_path(self, path):
        object.__setattr__(self, "_path", path)
        for name, child in self._modules.items():
            child._set_path(_join(path, name))

    @property
    def path(self) -> str:
        """The dotted path of this module from its root ("" for the root)."""
        return self._path

    # -- calling ------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        with module_scope(self._path):
            out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks.values():
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def register_forward_hook(self, hook):
        """``hook(module, inputs, output)`` runs after each forward; a value
        it returns replaces the output. Returns a handle with ``remove()``."""
        key = object()
        self._forward_hooks[key] = hook
        return _Handle(self._forward_hooks, key)

    # -- walking the tree ---------------------------------------------------
    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            stack.extend(reversed([(_join(name, n), c) for n, c in m._modules.items()]))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix="", remove_duplicate=True):
        """(dotted name, parameter); a parameter shared by two modules (tied
        weights) is listed once, under its first name."""
        seen = set()
        for mname, m in self.named_modules(prefix):
            for pname, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield _join(mname, pname), p

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self, prefix=""):
        for mname, m in self.named_modules(prefix):
            for bname, b in m._buffers.items():
                if b is not None:
                    yield _join(mname, bname), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def num_parameters(self, trainable_only=False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn):
        for m in self.modules():
            fn(m)
        return self

    # -- modes and devices --------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, *args, device=None, dtype=None):
        """Move (and/or cast floating) parameters and buffers in place:
        ``to("cuda")``, ``to(ag.float64)``, ``to("cuda", ag.float16)``."""
        device, dtype = backend.device_and_dtype(args, device, dtype)
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for t in table.values():
                    if t is None:
                        continue
                    cast = dtype if dtype is not None and t.dtype.kind == "f" else None
                    t.data = backend.asarray(t.data, dtype=cast, device=device or t.device)
                    if t.grad is not None:
                        t.grad = ag.Tensor._make(backend.asarray(t.grad.data, dtype=cast,
                                                                 device=device or t.device))
        return self

    @property
    def device(self) -> str:
        p = next(self.parameters(), None)
        return p.device if p is not None else "cpu"

    # -- state --------------------------------------------------------------
    def state_dict(self) -> OrderedDict:
        """Dotted name -> tensor (detached, sharing memory) for parameters and
        persistent buffers. Tied weights appear under each name."""
        out = OrderedDict()
        for mname, m in self.named_modules():
            skip = m.__dict__.get("_non_persistent", ())
            for pname, p in m._parameters.items():
                if p is not None:
                    out[_join(mname, pname)] = p.detach()
            for bname, b in m._buffers.items():
                if b is not None and bname not in skip:
                    out[_join(mname, bname)] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into this module's parameters and buffers. Everything
        is checked first: on a missing, unexpected or mis-shaped key nothing
        is changed and the error names the keys (and the file it came from).
        Returns (missing_keys, unexpected_keys)."""
        own = {}
        for mname, m in self.named_modules():
            for table in (m._parameters, m._buffers):
                for name, t in table.items():
                    if t is not None and name not in m.__dict__.get("_non_persistent", ()):
                        own[_join(mname, name)] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = [f"{k}: file {tuple(_shape(state_dict[k]))} vs model {own[k].shape}"
                 for k in own if k in state_dict and tuple(_shape(state_dict[k])) != own[k].shape]
        source = getattr(state_dict, "source", None)
        where = f"{source}: " if source else ""
        problems = []
        if wrong:
            problems.append("mis-shaped keys: " + "; ".join(wrong))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise StateDictError(f"{where}cannot load state dict into {type(self).__name__} "
                                 f"(nothing was changed): " + " | ".join(problems))
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                v = v.data if isinstance(v, ag.Tensor) else v
                t.data = backend.asarray(v, dtype=t.dtype, device=t.device, copy=True)
                t._version += 1
        return missing, unexpected

    # -- printing -----------------------------------------------------------
    def extra_repr(self) -> str:
        """Settings shown in the repr tree, e.g. 'in_features=4, out_features=2'."""
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        if extra:
            lines.insert(0, "  " + extra)
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class _Handle:
    def __init__(self, table, key):
        self._table, self._key = table, key

    def remove(self):
        self._table.pop(self._key, None)


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else str(name)


def _shape(value):
    return value.shape if hasattr(value, "shape") else backend.asarray(value).shape
