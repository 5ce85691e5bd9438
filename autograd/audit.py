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

from . import backend, finite_differences as fd
from .graph import recorded_ops
from .grad_mode import enable_grad, no_grad
from .ops.fast_gradient import FastGradient
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

    def record(self, analytic, numeric, atol, rtol):
        """Fold one analytic-versus-numeric comparison into the worst errors."""
        diff = abs(analytic - numeric)
        self.max_error = max(self.max_error, diff / (atol + rtol * abs(numeric)))
        self.max_relative = max(self.max_relative, diff / abs(numeric) if numeric else
                                (0.0 if diff == 0 else diff))


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
    if isinstance(fn, FastGradient):
        return OpCheck(fn, skipped=f"a fast gradient (checked through {fn.gradient_of}'s "
                                   "second-order gradient check)")
    inputs = [_float64_copy(x) for x in fn.inputs]
    wrt = [i for i, x in enumerate(inputs) if x._requires_grad]
    rng = backend.get_rng_state()
    run = _rerun(fn, rng)
    with enable_grad():
        outs = run(inputs)
    if any(o.dtype != backend.float64 for o in outs):
        return OpCheck(fn, skipped="casts away from float64")
    gen = backend.fresh_generator(fn.inputs[0].device, seed)
    ws = [fd.random_like(o.data, gen) for o in outs]
    analytic = fd.vjp(outs, [inputs[i] for i in wrt], ws)
    base = [inputs[i].data for i in wrt]

    def f(arrays):
        args = list(inputs)
        for i, a in zip(wrt, arrays):
            args[i] = Tensor._make(a)
        with no_grad():
            return [y.data for y in run(args)]

    check = OpCheck(fn)
    # Each input alone in a random direction, and element by element when small.
    for k, g in enumerate(analytic):
        u = fd.random_like(base[k], gen)
        alone = [u if m == k else None for m in range(len(base))]
        check.record(float((g * u).sum()), fd.along(f, ws, base, alone, eps), atol, rtol)
        if base[k].size <= limit:
            flat = backend.to_numpy(g).reshape(-1)
            for j, numeric in fd.each_element(f, ws, base, k, eps):
                check.record(float(flat[j]), numeric, atol, rtol)
    backend.set_rng_state(rng)
    return check


def _float64_copy(x):
    """A recorded input as a new leaf, floats in float64, requiring grad as it did."""
    if x.dtype.kind != "f":
        return Tensor._make(x.data)
    return Tensor._make(x.data.astype(backend.float64), requires_grad=x._requires_grad)


def _rerun(fn, rng):
    """Run a copy of ``fn`` (same settings; inputs, outputs and saved renewed)
    on given inputs, from the random state ``rng``; its float outputs."""
    def run(args):
        clone = copy.copy(fn)
        clone.saved = None
        backend.set_rng_state(rng)
        out = clone(*args)
        return [o for o in (out if isinstance(out, tuple) else (out,)) if o.dtype.kind == "f"]
    return run
