"""``Generator``: a random generator of one's own, as PyTorch's
``torch.Generator``, for draws that must not move the global one (a
DataLoader's shuffling, say) and whose state is saved and restored, so that
a resumed run draws exactly what the uninterrupted one would have."""
from __future__ import annotations

import secrets

from . import backend


class Generator:
    """``g = ag.Generator().manual_seed(0)``; pass ``generator=g`` to rand,
    randn, randint, randperm, multinomial and nn.data.DataLoader."""

    def __init__(self, device="cpu"):
        kind, index = backend.parse_device(device)
        self.device = "cpu" if kind.name == "cpu" else f"{kind.name}:{index}"
        self.manual_seed(secrets.randbits(63))

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator."""
        self._seed = int(seed)
        self._gen = backend.fresh_generator(self.device, self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The state (a JSON-able value) to hand to ``set_state`` later."""
        return backend.generator_state(self._gen, self.device)

    def set_state(self, state):
        backend.set_generator_state(self._gen, self.device, state)
        return self

    def __repr__(self):
        return f"Generator(device='{self.device}', initial_seed={self._seed})"


def draws(generator, device):
    """The backend generator to draw from: ``generator``'s own, or the
    global one of ``device``."""
    if generator is None:
        return backend.generator(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got "
                        f"{type(generator).__name__}")
    return generator._gen
