"""The two ways a buffer travels between ranks, chosen by where it lives:
MPI for host (NumPy) arrays, NCCL for CuPy arrays on GPUs (its
communicator bootstrapped from MPI, as ChainerMN does). Both reduce and
broadcast in place and wait under the world's watchdog.

The NCCL transport is written for GPUs and has not been run on one here
(no GPU on the machines this project is tested on).
"""
from __future__ import annotations

from autograd import backend

from .errors import ParallelError

NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
              "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8"}


def transport_for(world, array):
    """The transport of ``array``'s device (made once per device)."""
    device = backend.device_of(array)
    if device not in world.transports:
        world.transports[device] = (MpiTransport(world) if device == "cpu"
                                    else NcclTransport(world, device))
    return world.transports[device]


class MpiTransport:
    """Host buffers, through MPI's non-blocking collectives."""
    name = "MPI"

    def __init__(self, world):
        self.world = world

    def allreduce_sum_(self, buffer, what):
        self.world.allreduce_(buffer, what)

    def broadcast_(self, buffer, what, root=0):
        self.world.broadcast_(buffer, what, root)


class NcclTransport:
    """GPU buffers, through NCCL on the device's current stream; rank 0's
    NCCL id reaches the others over MPI."""
    name = "NCCL"

    def __init__(self, world, device):
        try:
            self.nccl = backend.nccl()
        except RuntimeError as e:
            raise ParallelError(f"data-parallel on {device}: {e}") from None
        self.world, self.device = world, device
        uid = self.nccl.get_unique_id() if world.rank == 0 else None
        uid = world.broadcast_object(list(uid) if uid is not None else None,
                                     "the NCCL id broadcast")
        with backend.on_device(device):
            self.comm = self.nccl.NcclCommunicator(world.size, tuple(uid), world.rank)

    def _type(self, buffer):
        name = NCCL_TYPES.get(str(buffer.dtype))
        if name is None:
            raise ParallelError(f"NCCL cannot reduce {buffer.dtype} buffers")
        return getattr(self.nccl, name)

    def _run(self, call, what):
        """Enqueue ``call(stream pointer)`` and wait for the stream."""
        with backend.on_device(self.device) as xp:
            stream = xp.cuda.get_current_stream()
            call(stream.ptr)
            self.world.wait(_StreamDone(stream), what)

    def allreduce_sum_(self, buffer, what):
        ptr = buffer.data.ptr
        self._run(lambda s: self.comm.allReduce(ptr, ptr, buffer.size, self._type(buffer),
                                                self.nccl.NCCL_SUM, s), what)

    def broadcast_(self, buffer, what, root=0):
        ptr = buffer.data.ptr
        self._run(lambda s: self.comm.broadcast(ptr, ptr, buffer.size, self._type(buffer),
                                                root, s), what)


class _StreamDone:
    """A CUDA stream seen as a request: done when its work is."""

    def __init__(self, stream):
        self.stream = stream

    def Test(self):  # noqa: N802  (the name of MPI requests' method)
        return self.stream.done
