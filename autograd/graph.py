"""Walking a recorded graph without running it (for audits and drawings)."""
from __future__ import annotations

from .tensor import Tensor


def _inputs(fn):
    if fn.inputs is None:
        where = f" in module '{fn.module_path}'" if getattr(fn, "module_path", "") else ""
        raise RuntimeError(
            f"op {fn.name}{where} was freed by a backward() pass: walk (audit, draw) the graph "
            "before calling backward(), or call backward(retain_graph=True)")
    return fn.inputs


def post_order(starts, producers) -> list:
    """The ops reachable from ``starts`` through ``producers(fn)`` (the ops
    that made fn's inputs), each after every op it reaches: a depth-first
    walk with an explicit stack, so a chain of 100,000 ops is fine."""
    seen, post = set(), []
    for fn in starts:
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack = [(fn, iter(producers(fn)))]
        while stack:
            fn, it = stack[-1]
            for f in it:
                if f not in seen:
                    seen.add(f)
                    stack.append((f, iter(producers(f))))
                    break
            else:
                stack.pop()
                post.append(fn)
    return post


def recorded_ops(outputs, max_depth=None) -> list:
    """The ops that produced ``outputs`` (a Tensor or a list), each after the
    ops that made its inputs (forward order). ``max_depth``: only ops at most
    that many steps up from the outputs' own ops (1: just those)."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    starts = [t.grad_fn for t in outputs if t.grad_fn is not None]
    allowed = None
    if max_depth is not None:
        allowed, frontier = set(), starts
        for _ in range(max_depth):
            frontier = [f for f in frontier if f not in allowed]
            allowed.update(frontier)
            frontier = [x.grad_fn for f in frontier for x in _inputs(f) if x.grad_fn is not None]
        starts = [f for f in starts if f in allowed]
    return post_order(starts, lambda fn: (x.grad_fn for x in _inputs(fn)
                                          if x.grad_fn is not None
                                          and (allowed is None or x.grad_fn in allowed)))
