"""What the ranks do together: rank 0's weights and optimizer state to all,
the gradient average (one buffer per dtype, one all-reduce each), small
sums, and the check that every rank holds the same configuration."""
from __future__ import annotations

import hashlib
import json

import autograd as ag
from autograd import backend

from . import flat
from .errors import DisagreementError, ParallelError
from .transports import transport_for
from .world import init


def _named_parameters(model):
    """(name, parameter) of a Module, or of a plain list of parameters."""
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(f"parameter {i}", p) for i, p in enumerate(model)]


def average_(world, bucket, what="the gradient all-reduce"):
    """Sum a packed bucket over the ranks, then divide by their number."""
    transport_for(world, bucket.buffer).allreduce_sum_(bucket.buffer,
                                                      f"{what} ({bucket.describe()})")
    bucket.buffer /= world.size


def allreduce_gradients(model):
    """Replace every gradient by its mean over the ranks: all of them packed
    into one contiguous buffer per dtype, one all-reduce per buffer, divided
    by the world size, unpacked into each parameter's ``.grad``."""
    world = init()
    named = [(n, p) for n, p in _named_parameters(model) if p.requires_grad]
    missing = [n for n, p in named if p.grad is None]
    if missing:
        raise ParallelError(
            f"allreduce_gradients: rank {world.rank} has no gradient for {len(missing)} "
            f"parameter(s) ({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}); "
            "every rank must send every gradient: run backward first, and give a parameter "
            "the loss does not use requires_grad=False")
    for bucket in flat.packed([p.grad.data for _, p in named]):
        average_(world, bucket)
        for index, view in bucket.views():
            named[index][1].grad = ag.Tensor._make(view)


def broadcast_parameters(model, optimizer=None, root=0):
    """Rank ``root``'s weights and buffers (and, given ``optimizer``, its
    state) on every rank, one broadcast per dtype. The ranks must hold the
    same parameters (names, shapes, dtypes): checked first."""
    world = init()
    tensors = list(model.parameters()) + list(model.buffers())
    agree({"the model's parameters (names, shapes, dtypes)": [
        [name, list(t.shape), str(t.dtype)] for name, t in
        list(model.named_parameters()) + list(model.named_buffers())]})
    _broadcast_arrays(world, [t.data for t in tensors], "the parameter broadcast", root)
    for t in tensors:
        t._version += 1                   # changed in place, as load_state_dict does
    if optimizer is not None:
        _broadcast_optimizer(world, optimizer, root)


def _broadcast_arrays(world, arrays, what, root):
    """Overwrite ``arrays`` (in place) with rank ``root``'s."""
    for bucket in flat.packed(arrays):
        transport_for(world, bucket.buffer).broadcast_(bucket.buffer,
                                                      f"{what} ({bucket.describe()})", root)
        for index, view in bucket.views():
            arrays[index][...] = view


def _broadcast_optimizer(world, optimizer, root):
    """Rank ``root``'s optimizer state (step counts, moments) on every rank."""
    mine = optimizer.state_dict()
    layout = world.broadcast_object(_layout(mine) if world.rank == root else None,
                                    "the optimizer state layout", root)
    params = _optimizer_parameters(optimizer)
    arrays = []
    for i, name, shape, dtype in layout["arrays"]:
        own = mine["state"].get(i, {}).get(name) if world.rank == root else None
        if own is None:
            with backend.on_device(params[i].device) as xp:
                own = ag.Tensor._make(xp.empty(tuple(shape), dtype=backend.as_dtype(dtype)))
        arrays.append(own.data)
    _broadcast_arrays(world, arrays, "the optimizer state broadcast", root)
    if world.rank == root:
        return
    state = {int(i): dict(values) for i, values in layout["values"].items()}
    for (i, name, _, _), array in zip(layout["arrays"], arrays):
        state[i][name] = ag.Tensor._make(array)
    optimizer.load_state_dict({"state": state, "param_groups": layout["param_groups"]})


def _layout(state_dict):
    """A JSON picture of an optimizer state dict: its plain values, and
    (index, name, shape, dtype) of each array, which travel in buffers."""
    arrays, values = [], {}
    for i, entry in state_dict["state"].items():
        values[str(i)] = {}
        for name, v in entry.items():
            if isinstance(v, ag.Tensor):
                arrays.append((int(i), name, list(v.shape), str(v.dtype)))
            else:
                values[str(i)][name] = v.item() if hasattr(v, "item") else v
    return {"arrays": arrays, "values": values, "param_groups": state_dict["param_groups"]}


def _optimizer_parameters(optimizer):
    """The optimizer's parameters by state-dict index (first appearance)."""
    params = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            params.setdefault(id(p), p)
    return list(params.values())


def all_sum(values, what="a sum over the ranks") -> list:
    """The sums over the ranks of a few numbers (float64, on the host)."""
    world = init()
    buffer = backend.asarray([float(v) for v in values], dtype=backend.float64)
    world.allreduce_(buffer, what)
    return buffer.tolist()


def any_rank(flag, what="the vote on whether any rank asks to stop") -> bool:
    """True on every rank if ``flag`` is true on any."""
    return all_sum([1.0 if flag else 0.0], what)[0] > 0


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def agree(values: dict):
    """Check that every rank holds the same ``values`` ({what: JSON-able
    value}), by comparing digests; a DisagreementError names what differs
    and which ranks hold which digest."""
    world = init()
    mine = {what: _digest(v) for what, v in values.items()}
    everyone = world.allgather_object(mine, f"the check that the ranks agree on "
                                            f"{', '.join(values)}")
    differ = [what for what in values if len({d[what] for d in everyone}) > 1]
    if differ:
        holders = {}
        for r, d in enumerate(everyone):
            holders.setdefault(d[differ[0]], []).append(r)
        who = "; ".join(f"digest {digest} on rank{'s' if len(ranks) > 1 else ''} "
                        f"{', '.join(map(str, ranks))}" for digest, ranks in holders.items())
        raise DisagreementError(
            f"data-parallel: the ranks disagree on {' and '.join(differ)} ({differ[0]}: {who}); "
            "every rank must run the same command on the same data")
