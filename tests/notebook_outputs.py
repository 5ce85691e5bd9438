"""Compare a notebook's stored outputs with the ones its code produces now,
up to float formatting, timings and what changes from run to run
(docs/course/README.md states the same rules for the course's maintainers):

- A cell's consecutive pieces of one stream (stdout, stderr) are joined:
  how the kernel cuts them depends on timing.
- A rich output (display_data, execute_result) must have the same MIME
  types; its text/plain is compared as text (below). Images (image/png,
  image/svg+xml) and HTML (the backprop explorer) are compared by presence
  and type only, never by bytes: renderers embed versions, ids and fonts.
- Text: durations ("12.3 s", "45 ms", "2 seconds"), the kernel's names for
  cell files (".../ipykernel_1234/5678.py") and memory addresses (0x7f3a...)
  become placeholders, and a path to a .py file keeps its last two parts
  without the line number ("/home/me/gradformer/autograd/ops/unary.py:43" ->
  ".../ops/unary.py:<line>"): where the checkout lies differs from machine
  to machine, and an edit elsewhere in the library must not stale a notebook. Then the numbers are read out: integers must be
  equal, floating-point numbers (with a point or an exponent) equal within a
  relative 1e-2 or an absolute 1e-6 (below that, numbers are rounding noise:
  finite-difference errors, float64 residues), and the text around them
  identical.
- Execution counts and metadata are not compared.
"""
from __future__ import annotations

import math
import re

REL_TOL, ABS_TOL = 1e-2, 1e-6
PLACEHOLDERS = [
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|seconds?)\b"), "<duration>"),
    (re.compile(r"\S*ipykernel_\d+[/\\]\d+\.py"), "<cell file>"),
    # /any/where/autograd/ops/unary.py:43 -> .../ops/unary.py:<line>
    (re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[/\\]\S*?([^/\\\s]+[/\\][^/\\\s]+\.py)(?::\d+)?\b"),
     r".../\1:<line>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "0x<address>"),
]
# A number not glued to a name (op12, layers.0 stay text): optional sign,
# digits with an optional point, an optional exponent.
NUMBER = re.compile(r"(?<![\w.])([-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)(?![\w.]*[A-Za-z_])")


def comparable(outputs) -> list[tuple]:
    """A cell's outputs as records to compare: ("stream", name, text),
    ("data", MIME types, text/plain) or ("error", name, value)."""
    records = []
    for out in outputs:
        kind = out["output_type"]
        if kind == "stream":
            if records and records[-1][:2] == ("stream", out["name"]):
                records[-1] = ("stream", out["name"], records[-1][2] + out["text"])
            else:
                records.append(("stream", out["name"], out["text"]))
        elif kind in ("display_data", "execute_result"):
            data = out["data"]
            records.append(("data", tuple(sorted(data)), _text(data.get("text/plain", ""))))
        else:
            records.append(("error", out.get("ename"), out.get("evalue")))
    return records


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def text_difference(stored: str, fresh: str) -> str | None:
    """None when the texts are the same up to the rules above, else where
    they first part."""
    a, b = _pieces(stored), _pieces(fresh)
    for i, (x, y) in enumerate(zip(a, b)):
        if i % 2 == 0 and x != y:
            return f"text differs: stored {_around(x, y)!r}, now {_around(y, x)!r}"
        if i % 2 == 1 and not same_number(x, y):
            return f"number differs: stored {x}, now {y} (in {_line_of(stored, x)!r})"
    if len(a) != len(b):
        return f"stored {len(a) // 2} numbers, now {len(b) // 2}"
    return None


def _pieces(text):
    for pattern, placeholder in PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return NUMBER.split(text)             # text, number, text, number, ..., text


def same_number(x: str, y: str) -> bool:
    if not _is_float(x) and not _is_float(y):
        return int(x) == int(y)
    return math.isclose(float(x), float(y), rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _is_float(token: str) -> bool:
    return any(c in token for c in ".eE")


def _around(x, y, width=60):
    """``x`` from a little before where it first differs from ``y``."""
    k = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return x[max(0, k - width // 2):k + width // 2]


def _line_of(text, token):
    return next((line for line in text.splitlines() if token in line), token)


def differences(stored_cells, fresh_cells) -> list[str]:
    """Every code cell whose outputs differ, as messages naming the cell."""
    problems = []
    code = [(i, s, f) for i, (s, f) in enumerate(zip(stored_cells, fresh_cells))
            if s["cell_type"] == "code"]
    for i, s, f in code:
        head = _text(s["source"]).splitlines()[0] if _text(s["source"]) else ""
        for message in _cell_differences(comparable(s["outputs"]), comparable(f["outputs"])):
            problems.append(f"cell {i} (`{head}`): {message}")
    return problems


def _cell_differences(stored, fresh):
    if [_kind(r) for r in stored] != [_kind(r) for r in fresh]:
        yield (f"outputs differ in kind: stored {[_kind(r) for r in stored]}, "
               f"now {[_kind(r) for r in fresh]}")
        return
    for k, (s, f) in enumerate(zip(stored, fresh)):
        problem = text_difference(s[2] or "", f[2] or "")
        if problem:
            yield f"output {k} ({_kind(s)}): {problem}"


def _kind(record) -> str:
    """stdout, stderr, the MIME types of a rich output, or the error's name."""
    if record[0] == "data":
        return "+".join(record[1])
    return record[1] if record[0] == "stream" else f"error {record[1]}"
