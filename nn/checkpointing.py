"""Activation checkpointing of a module (see autograd.ops.checkpoint)."""
from __future__ import annotations

import autograd as ag


def checkpoint(module, *args):
    """``module(*args)`` without keeping its activations: they are recomputed
    in backward (same dropout masks), so gradients are exactly the same."""
    return ag.checkpoint(module, *args, params=list(module.parameters()))
