"""Build the course notebooks from their sources and store their outputs.

    python docs/course/make_notebooks.py            # all of them, both editions
    python docs/course/make_notebooks.py 02 06      # notebooks 02 and 06

A notebook's source is ``docs/course/src/NN_name.py``, in cells: a line
``# %%`` starts a code cell, ``# %% [markdown]`` a text cell in English and
``# %% [markdown zh]`` its Simplified Chinese translation, which must follow
it; text lines start with ``# `` (or are a lone ``#``). The English notebook
is executed from a clean kernel (nbclient) in ``docs/course/``, importing
this checkout, and written with its outputs to ``docs/course/NN_name.ipynb``;
``docs/course/zh/NN_name.ipynb`` gets the same code cells and the same
outputs beside the translated text. What lands is the .ipynb files:
``tests/test_course.py`` executes them and compares their outputs with the
stored ones, so this script is only a convenience for writing them.
"""
from __future__ import annotations

import os
import pathlib
import sys

import nbformat
from nbclient import NotebookClient

COURSE = pathlib.Path(__file__).resolve().parent
ROOT = COURSE.parent.parent
SOURCES = COURSE / "src"
ZH = COURSE / "zh"
MARKERS = {"# %%": "code", "# %% [markdown]": "en", "# %% [markdown zh]": "zh"}
CELL_TIMEOUT = 600          # seconds; a notebook takes well under a minute
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse(path) -> list[dict]:
    """The cells of a source file: {"kind": "code", "source"} or
    {"kind": "markdown", "en", "zh"}."""
    cells, current = [], None
    for n, line in enumerate(pathlib.Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.rstrip() in MARKERS:
            current = {"kind": MARKERS[line.rstrip()], "lines": [], "line": n}
            cells.append(current)
        elif current is None:
            raise ValueError(f"{path}:{n}: text before the first '# %%' cell marker")
        else:
            current["lines"].append(line)
    return _pair_translations(path, cells)


def _pair_translations(path, cells):
    """Join each English text cell with the Chinese one that follows it."""
    out = []
    for cell in cells:
        kind, n = cell["kind"], cell["line"]
        if kind == "code":
            out.append({"kind": "code", "source": "\n".join(cell["lines"]).strip("\n")})
        elif kind == "en":
            out.append({"kind": "markdown", "en": _text(path, cell), "zh": None, "line": n})
        elif not out or out[-1]["kind"] != "markdown" or out[-1]["zh"] is not None:
            raise ValueError(f"{path}:{n}: a [markdown zh] cell must follow a [markdown] cell")
        else:
            out[-1]["zh"] = _text(path, cell)
    for cell in out:
        if cell["kind"] == "markdown" and cell["zh"] is None:
            raise ValueError(f"{path}:{cell['line']}: this [markdown] cell has no [markdown zh] "
                             "translation after it")
    return out


def _text(path, cell) -> str:
    lines = []
    for k, line in enumerate(cell["lines"], cell["line"] + 1):
        if line.rstrip() not in ("", "#") and not line.startswith("# "):
            raise ValueError(f"{path}:{k}: a text line must start with '# '")
        lines.append(line[2:])
    return "\n".join(lines).strip("\n")


def notebook(cells, language, stem) -> nbformat.NotebookNode:
    """The notebook of ``cells`` with the text of ``language`` ("en" or "zh"),
    without outputs; cell ids are stable (``stem-NN``) so rebuilds do not churn."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for i, cell in enumerate(cells):
        if cell["kind"] == "code":
            new = nbformat.v4.new_code_cell(cell["source"])
        else:
            new = nbformat.v4.new_markdown_cell(cell[language])
        new.id = f"{stem[:55]}-{i:02d}"
        nb.cells.append(new)
    return nb


def execute(nb) -> nbformat.NotebookNode:
    """Run ``nb`` in place from a clean kernel, as a reader would: working
    folder docs/course/, importing the gradformer of this checkout. A cell
    that raises stops it with nbclient's CellExecutionError.

    The kernel gets one BLAS thread unless the environment says otherwise:
    the notebooks' matrices are small, and on a busy machine a second
    OpenBLAS thread spins and multiplies the time several times over."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    for threads in BLAS_THREADS:
        env.setdefault(threads, "1")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL["name"],
                            record_timing=False, resources={"metadata": {"path": str(COURSE)}})
    client.execute(env=env)
    return nb


def with_outputs_of(nb, executed) -> nbformat.NotebookNode:
    """``nb`` (the other edition) with the outputs of ``executed``, cell by cell."""
    for cell, done in zip(nb.cells, executed.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
    nb.metadata = executed.metadata
    return nb


def write(nb, path):
    """Write ``nb`` whole or not at all (a temporary name, then a rename)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build(source):
    """Execute one source's English notebook and write both editions."""
    cells = parse(source)
    stem = source.stem
    executed = execute(notebook(cells, "en", stem))
    write(executed, COURSE / f"{stem}.ipynb")
    write(with_outputs_of(notebook(cells, "zh", stem), executed), ZH / f"{stem}.ipynb")
    print(f"wrote {stem}.ipynb and zh/{stem}.ipynb", flush=True)


def main(argv) -> int:
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if argv:
        sources = [s for s in sources if s.name[:2] in argv]
        if not sources:
            print(f"error: no source in {SOURCES} starts with {', '.join(argv)}", file=sys.stderr)
            return 2
    for source in sources:
        build(source)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
