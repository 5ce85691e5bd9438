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


def recorded_ops(outputs, max_depth=None) -> list:
    """The ops that produced ``outputs`` (a Tensor or a list), each after the
    ops that made its inputs (forward order), found without recursion.
    ``max_depth``: only ops at most that many steps up from the outputs'
    own ops (1: just those)."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    allowed = None
    if max_depth is not None:
        allowed, frontier = set(), [t.grad_fn for t in outputs if t.grad_fn is not None]
        for _ in range(max_depth):
            frontier = [f for f in frontier if f not in allowed]
            allowed.update(frontier)
            frontier = [x.grad_fn for f in frontier for x in _inputs(f) if x.grad_fn is not None]
    seen, post = set(), []
    for out in outputs:
        fn = out.grad_fn
        if fn is None or fn in seen or (allowed is not None and fn not in allowed):
            continue
        seen.add(fn)
        stack = [(fn, iter(_inputs(fn)))]
        while stack:
            fn, it = stack[-1]
            for x in it:
                f = x.grad_fn
                if f is not None and f not in seen and (allowed is None or f in allowed):
                    seen.add(f)
                    stack.append((f, iter(_inputs(f))))
                    break
            else:
                stack.pop()
                post.append(fn)
    return post
