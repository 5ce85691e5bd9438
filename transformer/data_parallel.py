"""What ``python -m transformer.train`` asks of the ranks when it runs
data-parallel (``mpiexec -n N ... --data-parallel``), on ``nn.parallel``;
``SingleProcess`` stands in with the same methods otherwise.

- Batching: each rank trains on every N-th batch of the epoch's batches
  (``make_batches`` of (seed, epoch), the same on every rank), starting at
  its rank; the last ``len(batches) % N`` batches of an epoch are left out,
  so every rank runs the same number of steps.
- Gradients are averaged over the ranks before clipping and the update, so
  the replicas stay identical. Each rank's batch weighs the same, as in
  PyTorch's DistributedDataParallel; the reported loss is token-weighted
  over all ranks.
- Random streams: the model is initialised from the seed on every rank and
  rank 0's weights are broadcast; rank r > 0 then draws its dropout from
  its own stream, derived from (seed, r). Rank 0 keeps the seed's stream,
  so one rank trains exactly as a single process does.
- Only rank 0 prints, claims the run folder (the others learn its path),
  writes metrics, pictures and checkpoints; a checkpoint holds every rank's
  random state, so a run resumed on the same number of ranks continues bit
  for bit (on the CPU). Another number of ranks is refused (resume.py): it
  would change the batches of every step.
- A stop is voted: SIGINT or SIGTERM on any rank stops every rank after the
  same step, and every rank reports the signal.
"""
from __future__ import annotations

import hashlib
import os
import sys

import autograd as ag
import nn

from .cli import CommandError


def start(data_parallel: bool):
    """The ranks of this run: ``DataParallel`` (MPI started; one-line errors
    without mpi4py or an MPI launcher) or ``SingleProcess``."""
    return DataParallel() if data_parallel else SingleProcess()


class SaidByRankZero(CommandError):
    """Rank 0's error, raised on every rank: rank 0 says it, the others end
    with the same exit code quietly."""


def rank_seed(seed: int, rank: int) -> int:
    """Rank r's random stream: the seed's own for rank 0, one derived from
    (seed, r) for the others."""
    if rank == 0:
        return seed
    return int.from_bytes(hashlib.sha256(f"gradformer:{seed}:{rank}".encode()).digest()[:8],
                          "little")


class SingleProcess:
    """One process: nothing to share, everything is written."""
    rank, size, writes = 0, 1, True

    def shard(self, batches):
        return batches

    def device(self, device):
        return device

    def average_gradients(self, model):
        pass

    def mean_loss(self, loss, tokens):
        return loss, tokens

    def any(self, flag):
        return flag

    def first(self, value):
        return value

    def from_writer(self, value):
        return value

    def on_writer(self, make):
        return make()

    def state(self) -> dict:
        return {}

    def agree(self, settings, config, tokenizers, state):
        pass

    def start(self, model, optimizer, seed, state):
        pass

    def describe(self):
        return None


class DataParallel(SingleProcess):
    """Rank ``rank`` of ``size``, over ``nn.parallel``."""

    def __init__(self):
        world = nn.parallel.init()
        self.rank, self.size, self.local_rank = world.rank, world.size, world.local_rank
        self.writes = self.rank == 0
        if not self.writes:
            sys.stdout = open(os.devnull, "w")     # only rank 0 prints (errors still do)

    def shard(self, batches):
        return nn.parallel.shard(batches)

    def device(self, device):
        """``cuda`` means this rank's GPU: the local_rank-th of its host."""
        return f"cuda:{self.local_rank}" if device == "cuda" else device

    def average_gradients(self, model):
        nn.parallel.allreduce_gradients(model)

    def mean_loss(self, loss, tokens):
        """The token-weighted loss and the tokens of this step, over all ranks."""
        loss_sum, total = nn.parallel.all_sum([loss * tokens, tokens], "the step's loss sum")
        return loss_sum / max(total, 1), int(total)

    def any(self, flag):
        return nn.parallel.any_rank(flag)

    def first(self, value):
        """The first ``value`` (JSON-able) of the ranks that is not None, on every rank."""
        values = nn.parallel.init().allgather_object(value, "the ranks' stop signals")
        return next((v for v in values if v is not None), None)

    def from_writer(self, value):
        """Rank 0's ``value`` (JSON-able) on every rank."""
        return nn.parallel.init().broadcast_object(value, "rank 0's decision")

    def on_writer(self, make):
        """``make()`` on rank 0 only (claiming the run folder), and its
        result on every rank; a CommandError there stops every rank."""
        result, error = None, None
        if self.writes:
            try:
                result = make()
            except CommandError as e:
                error = str(e)
        result, error = self.from_writer([result, error])
        if error is not None:
            raise SaidByRankZero(error)
        return result

    def state(self) -> dict:
        """What a checkpoint adds: the number of ranks and each rank's random
        state (gathered from all ranks: every rank must call it)."""
        rngs = nn.parallel.init().allgather_object(ag.get_rng_state(),
                                                   "the gathering of random states")
        return {"world_size": self.size, "rank_rng": rngs}

    def agree(self, settings, config, tokenizers, state):
        """Every rank runs the same settings, model and vocabularies (and
        resumes the same checkpoint position): digests compared."""
        _, _, src_vocab, tgt_vocab = tokenizers
        values = {"the training settings": settings, "the model configuration": config,
                  "the vocabularies": [src_vocab.to_dict(), tgt_vocab.to_dict()]}
        if state is not None:
            values["the checkpoint resumed"] = dict(state["progress"])
        nn.parallel.agree(values)

    def start(self, model, optimizer, seed, state):
        """Rank 0's weights and optimizer state to all; this rank's random stream."""
        nn.parallel.broadcast_parameters(model, optimizer)
        if state is not None and "rank_rng" in state:
            ag.set_rng_state(dict(state["rank_rng"][self.rank]))
        elif self.rank:
            ag.manual_seed(rank_seed(seed, self.rank))

    def describe(self):
        n = self.size
        return (f"data-parallel: {n} ranks over MPI; rank r trains on batches r, r + {n}, "
                f"r + {2 * n}, ... of each epoch; gradients averaged over the ranks")
