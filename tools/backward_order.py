"""Record the order in which ``backward()`` visits the ops.

    with record() as order:
        loss.backward(retain_graph=True)
    draw(loss, backward=True, order=order)

The engine appends each op it visits to ``autograd.engine.visit_log`` while
that is a list; it is None (and costs nothing) otherwise.
"""
from __future__ import annotations

import contextlib

from autograd import engine

from .graph_walk import as_tensor_list


@contextlib.contextmanager
def record():
    """Yields a list that fills with the ops (``Function``s) that backward
    passes run inside the block visit, in visiting order."""
    previous = engine.visit_log
    order = []
    engine.visit_log = order
    try:
        yield order
    finally:
        engine.visit_log = previous


def planned(outputs) -> list:
    """The ops in the order ``backward()`` on ``outputs`` will visit them
    (the engine's own schedule, computed without running it)."""
    return engine._order(as_tensor_list(outputs, "outputs"), None, False)
