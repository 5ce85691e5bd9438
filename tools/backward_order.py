"""Record the order in which ``backward()`` visits the ops.

    with record() as order:
        loss.backward(retain_graph=True)
    draw(loss, backward=True, order=order)

Both are the engine's own: ``record`` is an ``autograd.engine.observing``
observer, ``planned`` its ``autograd.engine.schedule``.
"""
from __future__ import annotations

import contextlib

from autograd import engine

from .graph_walk import as_tensor_list


@contextlib.contextmanager
def record():
    """Yields a list that fills with the ops (``Function``s) that backward
    passes run inside the block visit, in visiting order."""
    order = []
    with engine.observing(order.append):
        yield order


def planned(outputs) -> list:
    """The ops in the order ``backward()`` on ``outputs`` will visit them
    (the engine's own schedule, computed without running it)."""
    return engine.schedule(as_tensor_list(outputs, "outputs"))
