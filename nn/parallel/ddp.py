"""``DistributedDataParallel``: a training loop made data-parallel by two
lines, as with PyTorch's wrapper of that name.

    model = nn.parallel.DistributedDataParallel(model)   # MPI started, rank 0's weights to all
    for x, y in nn.parallel.shard(batches):              # this rank's share of the batches
        ...                                              # the loop, unchanged

Each parameter gets a gradient hook. As the backward pass hands over each
parameter's finished gradient, the hook copies it into its slot of one
buffer per dtype; when the last one arrives, that buffer is all-reduced
once and divided by the number of ranks, before ``backward()`` returns, so
``.grad`` already holds the mean over the ranks when the optimizer reads it.
"""
from __future__ import annotations

import autograd as ag

from ..module import Module
from . import flat
from .collectives import average_, broadcast_parameters
from .errors import ParallelError
from .world import init


class DistributedDataParallel(Module):
    """Wraps ``module`` (reachable as ``.module``; its parameters are named
    ``module.<name>``, as in PyTorch). Every parameter that requires grad
    must receive a gradient in every backward pass, on every rank."""

    def __init__(self, module):
        super().__init__()
        self.world = init()
        self.module = module
        broadcast_parameters(module)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._arrived = set()            # indices whose gradient this backward has packed
        self._slots = None               # index -> (bucket, offset), during a backward
        self._buckets = None
        for i, p in enumerate(self._params):
            p.register_hook(self._arrival(i))

    def forward(self, *args, **kwargs):
        if self._arrived:
            missing = [n for i, n in enumerate(self._names) if i not in self._arrived]
            raise ParallelError(
                f"DistributedDataParallel: the last backward gave no gradient to "
                f"{len(missing)} parameter(s) ({', '.join(missing[:4])}), so the gradients "
                "were not averaged; every parameter that requires grad must take part in the "
                "loss (or set requires_grad=False on it before wrapping)")
        return self.module(*args, **kwargs)

    def _arrival(self, i):
        def hook(grad):
            if self._slots is None:
                self._start_round()
            bucket, offset = self._slots[i]
            view = bucket.view(offset, grad.shape)
            view[...] = grad.data
            self._arrived.add(i)
            if len(self._arrived) == len(self._params):
                self._finish_round()
            return ag.Tensor._make(view)   # the engine copies it into .grad after all hooks
        return hook

    def _start_round(self):
        """A fresh buffer per device and dtype for this backward's gradients."""
        self._buckets = flat.plan([p.data for p in self._params])
        self._slots = {}
        for bucket in self._buckets:
            bucket.allocate()
            for index, offset, _ in bucket.members:
                self._slots[index] = (bucket, offset)

    def _finish_round(self):
        """Every gradient is packed: one all-reduce per buffer, averaged."""
        buckets = self._buckets
        self._slots, self._buckets, self._arrived = None, None, set()
        for bucket in buckets:
            average_(self.world, bucket)

    def extra_repr(self):
        return f"rank {self.world.rank} of {self.world.size}"


def shard(items):
    """This rank's share of a sequence (a list of batches, a tensor's rows):
    every world_size-th item starting at its rank, the same number on every
    rank (so all run the same number of steps; the last
    ``len(items) % world_size`` items are left out)."""
    world = init()
    per_rank = len(items) // world.size
    return items[world.rank:per_rank * world.size:world.size]
