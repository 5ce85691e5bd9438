"""metrics.jsonl: one JSON record a line (``kind`` "step" or "epoch"),
appended as training goes, and kept consistent with the checkpoint a run
resumes from.

Every line is valid JSON: a NaN or infinite number is written as null and
named under ``"nonfinite"`` (``{"loss": null, "nonfinite": {"loss": "nan"}}``);
``records()`` turns it back into the float. A half-written last line (a
crash or a full disk mid-write) is dropped with a note, never a JSON error.
"""
from __future__ import annotations

import json
import math
import os

from nn.atomic import atomic_write

NAME = "metrics.jsonl"


def encode(record: dict) -> str:
    """One line of strict JSON for ``record``."""
    nonfinite = {k: str(v) for k, v in record.items() if isinstance(v, float)
                 and not math.isfinite(v)}
    if nonfinite:
        record = {**{k: (None if k in nonfinite else v) for k, v in record.items()},
                  "nonfinite": nonfinite}
    return json.dumps(record, allow_nan=False)


def decode(line: str) -> dict:
    record = json.loads(line)
    for key, value in record.pop("nonfinite", {}).items():
        record[key] = float(value)
    return record


class MetricsLog:
    def __init__(self, folder):
        self.path = os.path.join(folder, NAME)

    def append(self, record: dict):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(encode(record) + "\n")
            f.flush()

    def _lines(self):
        """(complete lines, whether a half-written last line was dropped)."""
        if not os.path.exists(self.path):
            return [], False
        with open(self.path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        half = lines.pop()                 # what follows the last newline: "" unless cut short
        return [line for line in lines if line.strip()], bool(half.strip())

    def records(self) -> list[dict]:
        return self._decode(self._lines()[0])

    def _decode(self, lines):
        out = []
        for number, line in enumerate(lines, 1):
            try:
                out.append(decode(line))
            except ValueError as e:
                raise ValueError(f"{self.path}: line {number} is not valid JSON ({e})") from None
        return out

    def trim_to(self, epoch: int, step: int) -> list[str]:
        """Keep only what happened up to a checkpoint at (``epoch`` completed
        epochs, ``step`` updates): a resumed run writes the rest again.
        Returns notes on what was dropped."""
        lines, half = self._lines()
        records = self._decode(lines)
        kept = [line for line, r in zip(lines, records)
                if (r["epoch"] <= epoch if r.get("kind") == "epoch" else r["step"] <= step)]
        notes = [f"{self.path}: dropped a half-written last line"] if half else []
        if len(kept) < len(lines):
            notes.append(f"{self.path}: dropped {len(lines) - len(kept)} records written after "
                         f"the checkpoint (epoch {epoch}, step {step})")
        if notes:
            atomic_write(self.path, lambda f: f.writelines(line + "\n" for line in kept),
                         text=True)
        return notes
