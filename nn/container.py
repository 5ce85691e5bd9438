"""Modules that hold other modules: Sequential and ModuleList."""
from __future__ import annotations

from .module import Module


class ModuleList(Module):
    """A list of modules, registered as children named "0", "1", ..."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def _check(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} holds Modules, got {type(module).__name__}")
        return module

    def append(self, module):
        setattr(self, str(len(self._modules)), self._check(module))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, self._check(module))
        self._modules.clear()
        for m in items:
            self.append(m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return self._view(items[index])
        try:
            return items[index]
        except IndexError:
            raise IndexError(f"{type(self).__name__} index {index} out of range "
                             f"for length {len(items)}") from None

    def __setitem__(self, index, module):
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} assignment index {index} out of range "
                             f"for length {len(self)}")
        setattr(self, str(index % len(self)), self._check(module))

    def _view(self, modules):
        """A container of this type over ``modules`` that leaves their paths
        (their place in this model) as they are; assigning it to a module
        attaches them there instead."""
        out = ModuleList.__new__(type(self))
        Module.__init__(out)
        for i, m in enumerate(modules):
            out._modules[str(i)] = m
        return out


class Sequential(ModuleList):
    """Call the modules in order, each on the previous one's output."""

    def __init__(self, *modules):
        super().__init__(modules)

    def forward(self, x):
        for m in self:
            x = m(x)
        return x
