"""Many arrays laid end to end in one contiguous buffer per (device, dtype):
what one all-reduce or one broadcast moves, instead of one call per array.

    buckets = packed(arrays)          # copies in
    for bucket in buckets:
        transport.allreduce_sum_(bucket.buffer, ...)
        for index, view in bucket.views():
            ...                       # view: arrays[index]'s values, now reduced
"""
from __future__ import annotations

import math

from autograd import backend


class Bucket:
    """The arrays of one device and dtype, each at its offset in ``buffer``."""

    def __init__(self, device, dtype):
        self.device, self.dtype = device, dtype
        self.members = []            # (index in the caller's list, offset, shape)
        self.size = 0
        self.buffer = None

    def add(self, index, shape):
        self.members.append((index, self.size, tuple(shape)))
        self.size += math.prod(shape)

    def allocate(self):
        with backend.on_device(self.device) as xp:
            self.buffer = xp.empty(self.size, dtype=self.dtype)
        return self.buffer

    def view(self, offset, shape):
        """The part of the buffer that holds the array at ``offset``."""
        return self.buffer[offset:offset + math.prod(shape)].reshape(shape)

    def views(self):
        """(index, view) for every member, in the order they were added."""
        for index, offset, shape in self.members:
            yield index, self.view(offset, shape)

    def describe(self) -> str:
        return f"{self.size:,} {self.dtype} values on {self.device}"


def plan(arrays) -> list:
    """Buckets for ``arrays`` (one per device and dtype, in order of first
    appearance), laid out but not allocated."""
    buckets = {}
    for index, a in enumerate(arrays):
        key = (backend.device_of(a), a.dtype)
        if key not in buckets:
            buckets[key] = Bucket(*key)
        buckets[key].add(index, a.shape)
    return list(buckets.values())


def packed(arrays) -> list:
    """Buckets holding copies of ``arrays``."""
    buckets = plan(arrays)
    for bucket in buckets:
        bucket.allocate()
        for index, view in bucket.views():
            view[...] = arrays[index]
    return buckets
