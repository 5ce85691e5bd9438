"""Audit a real graph: every recorded op checked against finite differences,
op by op, at the inputs it actually saw.

    loss = model_step(...)                 # one real forward pass
    report = autograd.check_graph(loss)    # before backward (which frees the graph)
    print(report)                          # worst error per op type and module
    assert report.ok

Each op is re-run alone, in float64, on copies of its recorded inputs; its
analytic vector-Jacobian product is compared with central differences in a
random direction (and element by element on small inputs). Random state is
replayed between evaluations, so dropout ops are checked too.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field

from . import backend
from .engine import grad
from .graph import recorded_ops
from .grad_mode import enable_grad, no_grad
from .ops.fused import FusedGrad
from .tensor import Tensor


@dataclass
class OpCheck:
    """The check of one recorded op."""
    function: object
    max_error: float = 0.0          # worst |analytic - numeric| / (atol + rtol |numeric|); <= 1 passes
    max_relative: float = 0.0       # worst |analytic - numeric| / |numeric|
    skipped: str = ""               # why it was not checked

    @property
    def ok(self) -> bool:
        return self.skipped != "" or self.max_error <= 1.0


@dataclass
class GraphAudit:
    checks: list = field(default_factory=list)      # OpCheck per recorded op, forward order

    def __getitem__(self, fn) -> OpCheck:
        for c in self.checks:
            if c.function is fn:
                return c
        raise KeyError(fn)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self):
        return [c for c in self.checks if not c.ok]

    def by_op_and_module(self):
        """(op name, module path) -> (ops, worst relative error, worst tolerance units, ok)."""
        rows = OrderedDict()
        for c in self.checks:
            key = (c.function.name, c.function.module_path or "(top level)")
            n, rel, err, ok = rows.get(key, (0, 0.0, 0.0, True))
            rows[key] = (n + 1, max(rel, c.max_relative), max(err, c.max_error), ok and c.ok)
        return rows

    def __str__(self):
        lines = [f"{'op':<22} {'module':<40} {'ops':>4} {'worst rel. error':>17}  status"]
        for (name, module), (n, rel, err, ok) in self.by_op_and_module().items():
            lines.append(f"{name:<22} {module:<40} {n:>4} {rel:>17.2e}  "
                         f"{'ok' if ok else 'FAIL'}")
        skipped = sum(1 for c in self.checks if c.skipped)
        lines.append(f"{len(self.checks)} ops checked ({skipped} skipped), "
                     f"{len(self.failures)} failed")
        return "\n".join(lines)


def check_graph(outputs, eps=1e-6, atol=1e-5, rtol=1e-3, elementwise_limit=64, seed=0):
    """Check every op recorded on the way to ``outputs`` (call it before
    ``backward()``, which frees what ops saved). Returns a GraphAudit."""
    audit = GraphAudit()
    for fn in recorded_ops(outputs):
        audit.checks.append(_check_op(fn, eps, atol, rtol, elementwise_limit, seed))
    return audit


def _check_op(fn, eps, atol, rtol, limit, seed):
    if isinstance(fn, FusedGrad):
        return OpCheck(fn, skipped="a fused gradient (checked by the op test suite)")
    inputs = []
    for x in fn.inputs:
        if x.dtype.kind == "f":
            t = Tensor._make(x.data.astype(backend.float64))
            t._requires_grad = x._requires_grad
        else:
            t = Tensor._make(x.data)
        inputs.append(t)
    wrt = [i for i, x in enumerate(inputs) if x._requires_grad]
    rng = backend.get_rng_state()

    def run(args):
        clone = copy.copy(fn)                 # same settings; inputs/outputs/saved renewed
        clone.saved = None
        backend.set_rng_state(rng)
        out = clone(*args)
        return [o for o in (out if isinstance(out, tuple) else (out,)) if o.dtype.kind == "f"]

    with enable_grad():
        outs = run(inputs)
    if any(o.dtype != backend.float64 for o in outs):
        return OpCheck(fn, skipped="casts away from float64")
    gen = backend.fresh_generator(fn.inputs[0].device, seed)
    ws = [Tensor._make(backend.asarray(gen.standard_normal(o.shape), device=o.device))
          for o in outs]
    used = [(o, w) for o, w in zip(outs, ws) if o.requires_grad]
    analytic = grad([o for o, _ in used], [inputs[i] for i in wrt], [w for _, w in used],
                    allow_unused=True) if used else [None] * len(wrt)
    analytic = [backend.to_numpy(g.data) if g is not None else None for g in analytic]

    def outputs(i, data):
        args = list(inputs)
        args[i] = Tensor._make(data)
        with no_grad():
            return [y.data for y in run(args)]

    def slope(i, plus, minus):
        """<w, f(plus) - f(minus)> / 2 eps, differenced element by element
        first (constants such as masked -1e9 scores cancel exactly)."""
        return sum(float((w.data * (a - b)).sum()) for w, a, b in
                   zip(ws, outputs(i, plus), outputs(i, minus))) / (2 * eps)

    check = OpCheck(fn)

    def compare(a, n):
        diff = abs(a - n)
        check.max_error = max(check.max_error, diff / (atol + rtol * abs(n)))
        check.max_relative = max(check.max_relative, diff / abs(n) if n else (0.0 if diff == 0
                                                                               else diff))

    for k, i in enumerate(wrt):
        base = inputs[i].data
        g = analytic[k]
        u = gen.standard_normal(base.shape)
        u_dev = backend.asarray(u, device=inputs[i].device)
        numeric = slope(i, base + eps * u_dev, base - eps * u_dev)
        exact = float((g * u).sum()) if g is not None else 0.0
        compare(exact, numeric)
        if base.size <= limit:
            flat_g = g.reshape(-1) if g is not None else None
            for j in range(base.size):
                plus, minus = base.copy(), base.copy()
                plus.reshape(-1)[j] += eps
                minus.reshape(-1)[j] -= eps
                compare(float(flat_g[j]) if flat_g is not None else 0.0, slope(i, plus, minus))
    backend.set_rng_state(rng)
    return check
