"""One rank of the 2-rank tests of nn.parallel (run by test_parallel.py
under mpiexec): it runs every check in turn and writes what it saw to
OUT/rank<r>.npz (arrays) and OUT/rank<r>.json (messages, lists), for the
test to compare with one process.

    mpiexec -n 2 python tests/nn_tests/parallel_worker.py OUT README_PROGRAM
"""
import json
import os
import runpy
import sys
import time

import autograd as ag
import nn
from parallel_cases import (adam_steps, full_batch, gradients, loss_of, micro_model,
                            parameters, rows_of)


def allreduced_gradients(world, dtype):
    model = micro_model(dtype)
    loss_of(model, rows_of(full_batch(world.size), world.rank)).backward()
    nn.parallel.allreduce_gradients(model)
    return gradients(model)


def ddp_gradients_and_adam(world):
    batch = rows_of(full_batch(world.size), world.rank)
    model = nn.parallel.DistributedDataParallel(micro_model("float64"))
    loss_of(model, batch).backward()
    grads = {name.removeprefix("module."): g for name, g in gradients(model).items()}
    model.zero_grad()
    after = adam_steps(model, batch)
    return grads, {name.removeprefix("module."): p for name, p in after.items()}


def broadcast(world):
    """Each rank starts from its own weights; rank 0 has taken an Adam step."""
    ag.manual_seed(100 + world.rank)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    if world.rank == 0:
        (model(ag.randn(5, 3)) ** 2).mean().backward()
        opt.step()
    before = parameters(model)
    nn.parallel.broadcast_parameters(model, opt)
    moments = {f"{i}.{name}": v.numpy() for i, s in opt.state_dict()["state"].items()
               for name, v in s.items() if hasattr(v, "numpy")}
    steps = [s["step"] for s in opt.state_dict()["state"].values()]
    return before, parameters(model), moments, steps


def disagreement(world):
    nn.parallel.agree({"the vocabularies": ["a", "b"], "the model configuration": {"d": 8}})
    try:
        nn.parallel.agree({"the vocabularies": ["a", "b", f"only on rank {world.rank}"],
                           "the model configuration": {"d": 8}})
    except nn.parallel.DisagreementError as e:
        return str(e)
    return None


def timeout(world):
    """Rank 1 joins a sum late: rank 0 gives up after the timeout."""
    world.timeout = 0.5
    if world.rank == 1:
        time.sleep(3.0)
    start = time.monotonic()
    try:
        nn.parallel.all_sum([1.0])
    except nn.parallel.CollectiveTimeout as e:
        return str(e), time.monotonic() - start
    return None, time.monotonic() - start


def main(out, readme_program):
    world = nn.parallel.init()
    arrays = {f"grads_{dtype}": allreduced_gradients(world, dtype)
              for dtype in ("float64", "float32")}
    arrays["ddp_grads"], arrays["ddp_adam"] = ddp_gradients_and_adam(world)
    before, after, moments, steps = broadcast(world)
    arrays.update(broadcast_before=before, broadcast_after=after, broadcast_moments=moments)
    found = {"rank": world.rank, "size": world.size, "optimizer_steps": steps,
             "shard": nn.parallel.shard(list(range(7))), "disagreement": disagreement(world)}
    xor = runpy.run_path(readme_program, run_name="__main__")
    found["readme_prediction"] = xor["model"](xor["x"]).argmax(axis=1).tolist()
    arrays["readme_weights"] = parameters(xor["model"])
    found["timeout"], found["timeout_after_s"] = timeout(world)
    nn.save(arrays, os.path.join(out, f"rank{world.rank}.npz"))
    with open(os.path.join(out, f"rank{world.rank}.json"), "w") as f:
        json.dump(found, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
