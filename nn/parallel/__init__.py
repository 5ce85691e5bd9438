"""Data-parallel training across processes and machines, on MPI (mpi4py) and,
for gradients on GPUs, NCCL (through CuPy): each rank trains a replica of
the model on its share of the batches, and the gradients are averaged over
the ranks before every update.

    model = nn.parallel.DistributedDataParallel(model)   # MPI started, rank 0's weights to all
    for x, y in nn.parallel.shard(batches):              # this rank's share of the batches
        ...                                              # the training loop, unchanged

    mpiexec -n 4 python train.py

Or by hand: ``init()``, ``rank()``, ``world_size()``,
``broadcast_parameters(model, optimizer)`` after building them, and
``allreduce_gradients(model)`` between ``backward()`` and ``step()``.
Gradients travel packed into one contiguous buffer per dtype: one
all-reduce per buffer, never one per parameter. Nothing here imports
mpi4py until ``init()`` runs (``pip install -e ".[mpi]"`` installs it with
MPICH). Every collective waits under a watchdog: a rank that dies is named
by the others, and no collective waits longer than the timeout.
"""
from .collectives import agree, all_sum, allreduce_gradients, any_rank, broadcast_parameters
from .ddp import DistributedDataParallel, shard
from .errors import (CollectiveTimeout, CommunicationError, DisagreementError,
                     MPIUnavailableError, NotUnderMPIError, ParallelError, RankLostError)
from .world import abort, init, is_initialized, rank, world_size

__all__ = ["init", "is_initialized", "abort", "rank", "world_size", "broadcast_parameters",
           "allreduce_gradients", "DistributedDataParallel", "shard", "agree", "all_sum",
           "any_rank", "ParallelError", "MPIUnavailableError", "NotUnderMPIError",
           "DisagreementError", "CommunicationError", "RankLostError", "CollectiveTimeout"]
