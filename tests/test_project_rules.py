"""Project-wide rules: one backend module names NumPy/CuPy; `autograd` is ours."""
import pathlib
import re

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
