"""Optimizers and learning-rate schedules."""
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .schedule import ConstantSchedule, LRSchedule, NoamSchedule, WarmupCosineSchedule
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LRSchedule", "NoamSchedule",
           "WarmupCosineSchedule", "ConstantSchedule"]
