"""Project-wide rules: one backend module names NumPy/CuPy; `autograd` is ours,
and another package of that name is a clear error at import time."""
import os
import pathlib
import re
import subprocess
import sys

import autograd

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ["autograd", "nn", "transformer", "tools"]     # the library: what the wheel holds
NOT_LIBRARY = {"benchmarks"}     # not packaged; may import NumPy and PyTorch itself
FORBIDDEN = re.compile(r"^\s*(import|from)\s+(numpy|cupy|cupyx)\b|\b(np|numpy|cupy)\.\w", re.M)


def test_only_the_backend_names_numpy_or_cupy():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "autograd" / "backend.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#")[0]
                if FORBIDDEN.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "array code must ask the backend for its array module:\n" + \
        "\n".join(offenders)


def test_the_numpy_rule_scans_every_package_of_the_library():
    top_level = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert top_level - NOT_LIBRARY == set(PACKAGES)


def test_import_autograd_is_this_project():
    assert pathlib.Path(autograd.__file__).resolve().parent == ROOT / "autograd"


def test_another_autograd_shadowing_ours_is_a_clear_error_at_import_time(tmp_path):
    """PyPI's HIPS autograd has our import name; with it first on the path,
    importing nn, transformer or tools names it and says what to do."""
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("from math import exp  # like HIPS: no Tensor, no dropout\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    for package in ("transformer", "nn", "tools"):
        run = subprocess.run([sys.executable, "-c", f"import {package}"], cwd=tmp_path, env=env,
                             capture_output=True, text=True)
        assert run.returncode != 0
        last = run.stderr.strip().splitlines()[-1]
        assert last.startswith("ImportError: the 'autograd' package imported from "
                               f"{fake / '__init__.py'} is not gradformer's"), run.stderr
        assert "HIPS" in last and "fresh virtual environment" in last
