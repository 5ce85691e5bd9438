"""What goes wrong in data-parallel training, each a one-line message."""
from __future__ import annotations


class ParallelError(RuntimeError):
    """A data-parallel setup or run that cannot go on (the message says why)."""


class MPIUnavailableError(ParallelError):
    """mpi4py (or the MPI library under it) is not installed."""


class NotUnderMPIError(ParallelError):
    """Data-parallel was asked for, but no MPI launcher started this process."""


class DisagreementError(ParallelError):
    """The ranks hold different configurations, vocabularies or checkpoints."""


class CommunicationError(ParallelError):
    """A collective could not complete: the job has to stop."""


class RankLostError(CommunicationError):
    """Another rank's process is gone (killed or crashed)."""


class CollectiveTimeout(CommunicationError):
    """Not every rank joined a collective within the time limit."""
