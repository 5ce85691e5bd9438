"""What the explorer page embeds of one array: its true shape and dtype,
summary statistics of the whole array, and the first LIMIT x LIMIT entries
of at most MAX_SLICES 2-D slices, rounded to 4 significant digits.

A 1-D array is one row; an n-D array is a stack of 2-D slices over its last
two axes (attention weights (B, h, T, T): one slice per head). NaN and
infinities, which JSON cannot hold, travel as the strings "NaN", "Inf" and
"-Inf". The page draws the slices as heatmaps.
"""
from __future__ import annotations

import math

from autograd import backend

LIMIT = 64          # rows and columns embedded per slice
MAX_SLICES = 16     # 2-D slices embedded of an n-D array
DIGITS = 4          # significant digits of an embedded value


def preview(array, head_axis: int | None = None) -> dict:
    """The page's view of ``array`` (any device's). ``head_axis``: the axis
    whose index names each slice "head i" (attention weights)."""
    a = backend.to_numpy(array)
    xp = backend.array_module(a)
    if a.dtype.kind == "b":
        a = a.astype("int8")
    stack = _as_slices(a)
    lead = stack.shape[0]
    shown = stack[:MAX_SLICES, :LIMIT, :LIMIT]
    return {"shape": list(a.shape), "dtype": str(array.dtype), "stats": summary(a, xp),
            "slices": _json_values(shown, xp),
            "labels": [_slice_label(a.shape, i, head_axis) for i in range(shown.shape[0])],
            "truncated": lead > shown.shape[0] or stack.shape[1:] != shown.shape[1:]}


def summary(a, xp) -> dict | None:
    """min, max, mean, L2 norm (float64, finite entries) and the NaN/Inf counts."""
    if a.size == 0:
        return None
    v = a.astype("float64")
    finite = xp.isfinite(v)
    n_nan = int(xp.isnan(v).sum())
    stats = {"size": int(a.size), "nan": n_nan, "inf": int(a.size - finite.sum()) - n_nan}
    if finite.any():
        f = v[finite]
        stats.update(min=float(f.min()), max=float(f.max()), mean=float(f.mean()),
                     norm=float(math.sqrt(float((f * f).sum()))))
    return stats


def _as_slices(a):
    """(slices, rows, cols): a scalar is 1x1, a vector one row."""
    if a.ndim == 0:
        return a.reshape(1, 1, 1)
    if a.ndim == 1:
        return a.reshape(1, 1, a.shape[0])
    return a.reshape(math.prod(a.shape[:-2]), a.shape[-2], a.shape[-1])   # (-1 fails on size 0)


def _slice_label(shape, i, head_axis) -> str:
    """"[0, 1]" for slice i of an n-D array; "head 1" or "batch 0, head 1"
    when the slices run over (batch, head)."""
    lead = shape[:-2]
    if not lead:
        return ""
    index = []
    for size in reversed(lead):
        index.append(i % size)
        i //= size
    index.reverse()
    if head_axis is None or head_axis >= len(lead):
        return "[" + ", ".join(map(str, index)) + "]"
    names = [f"head {k}" if axis == head_axis else f"batch {k}"
             for axis, k in enumerate(index) if axis == head_axis or lead[axis] > 1]
    return ", ".join(names)


def _json_values(stack, xp) -> list:
    """Nested lists of numbers rounded to DIGITS significant digits; NaN and
    infinities as strings."""
    if stack.dtype.kind not in "fc":
        return stack.tolist()
    v = stack.astype("float64")
    finite = xp.isfinite(v)
    safe = xp.where(finite & (v != 0), xp.abs(v), 1.0)
    exponent = xp.clip((DIGITS - 1) - xp.floor(xp.log10(safe)), -300, 300)
    up = exponent >= 0                         # scale by exact powers of ten either way
    scale = 10.0 ** xp.abs(exponent)
    rounded = xp.where(up, xp.round(v * scale) / scale, xp.round(v / scale) * scale)
    values = xp.where(finite, rounded, 0.0).tolist()
    if not finite.all():
        for index in zip(*xp.nonzero(~finite)):
            s, r, c = (int(k) for k in index)
            x = float(v[s, r, c])
            values[s][r][c] = "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    return values
