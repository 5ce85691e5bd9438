"""The course in docs/course/: each notebook runs from a clean kernel, and its
stored outputs are what its code produces now (up to what
notebook_outputs.py says); the Chinese edition has the same code and
outputs; the notebooks are what their sources build; the README sends a
learner to notebook 1."""
import copy
import importlib.util
import pathlib
import re
import shutil

import pytest

from notebook_outputs import differences, text_difference

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e .[dev])")
pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e .[dev])")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e .[dev])")

ROOT = pathlib.Path(__file__).resolve().parent.parent
COURSE = ROOT / "docs" / "course"
NOTEBOOKS = sorted(p.name for p in COURSE.glob("[0-9][0-9]_*.ipynb"))
GOALS = {"en": "By the end of this notebook you will be able to", "zh": "学完本节，你将能够"}
CJK = re.compile(r"[\u4e00-\u9fff]")

_spec = importlib.util.spec_from_file_location("make_notebooks", COURSE / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_notebooks)


def _read(path):
    return nbformat.read(path, as_version=4)


def _files(folder):
    return {p.relative_to(folder) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_the_course_has_its_seven_notebooks_in_both_editions():
    assert len(NOTEBOOKS) == 7, NOTEBOOKS
    assert [n[:2] for n in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]
    assert sorted(p.name for p in (COURSE / "zh").glob("*.ipynb")) == NOTEBOOKS
    assert sorted(p.stem for p in (COURSE / "src").glob("[0-9][0-9]_*.py")) == \
        [n[:-len(".ipynb")] for n in NOTEBOOKS]


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` is not installed (apt-get install graphviz): "
                           "the notebooks draw graphs, so they were not executed")
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_stored_outputs_are_current(name):
    stored = _read(COURSE / name)
    before = _files(COURSE)
    fresh = make_notebooks.execute(copy.deepcopy(stored))
    assert _files(COURSE) == before, "a notebook must not write files into docs/course/"
    problems = differences(stored.cells, fresh.cells)
    assert not problems, (f"{name}: the stored outputs are not what the code produces now; "
                          "rebuild with `python docs/course/make_notebooks.py "
                          f"{name[:2]}`:\n" + "\n".join(problems))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_chinese_edition_has_the_same_code_and_outputs(name):
    en, zh = _read(COURSE / name), _read(COURSE / "zh" / name)
    assert [c.cell_type for c in zh.cells] == [c.cell_type for c in en.cells]
    for i, (a, b) in enumerate(zip(en.cells, zh.cells)):
        if a.cell_type == "code":
            assert b.source == a.source, f"{name}: code cell {i} differs between the editions"
        else:
            assert CJK.search(b.source) and b.source != a.source, \
                f"zh/{name}: text cell {i} is not translated"
    assert not differences(en.cells, zh.cells), f"zh/{name}: outputs differ from the English ones"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_opens_with_what_the_reader_will_be_able_to_do(name):
    for language, folder in (("en", COURSE), ("zh", COURSE / "zh")):
        first = _read(folder / name).cells[0]
        assert first.cell_type == "markdown" and GOALS[language] in first.source, \
            f"{folder / name}: the first cell must say what the reader will be able to do"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_use_only_the_public_api(name):
    for i, cell in enumerate(_read(COURSE / name).cells):
        if cell.cell_type == "code":
            private = re.findall(r"\.(_[A-Za-z]\w*)", cell.source)
            assert not private, f"{name}: cell {i} uses private names {private}"
            assert not re.search(r"^\s*(import|from)\s+(numpy|cupy)\b", cell.source, re.M), \
                f"{name}: cell {i} imports NumPy or CuPy (use the autograd API)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebooks_are_what_their_sources_build(name):
    """Edit docs/course/src/, then rebuild: the .ipynb never drifts from its source."""
    cells = make_notebooks.parse(COURSE / "src" / f"{name[:-len('.ipynb')]}.py")
    for language, folder in (("en", COURSE), ("zh", COURSE / "zh")):
        built = make_notebooks.notebook(cells, language, name[:-len(".ipynb")])
        stored = _read(folder / name)
        assert [(c.cell_type, c.source) for c in stored.cells] == \
            [(c.cell_type, c.source) for c in built.cells], \
            f"{folder / name} is not what docs/course/src/{name[:-6]}.py builds"


def test_the_readme_sends_a_learner_to_notebook_1():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:30])
    assert "docs/course/01_chain_rule.ipynb" in first_screen
    zh = (ROOT / "README.zh-CN.md").read_text()
    assert "docs/course/zh/01_chain_rule.ipynb" in zh and CJK.search(zh)


def test_course_index_links_every_notebook():
    for folder in (COURSE, COURSE / "zh"):
        index = (folder / "README.md").read_text()
        for name in NOTEBOOKS:
            assert f"]({name})" in index, f"{folder / 'README.md'} does not link {name}"


@pytest.mark.parametrize("stored, fresh, same", [
    ("loss 0.8123 after 12.5 s", "loss 0.8151 after 3 s", True),      # within 1e-2; a duration
    ("loss 0.8123", "loss 0.8300", False),                           # beyond 1e-2
    ("error 2.2e-16", "error 3.1e-07", True),                        # below 1e-6 absolute
    ("shape (6, 8)", "shape (6, 9)", False),                         # integers are exact
    ("layers.0.self_attn float64", "layers.1.self_attn float64", False),   # names are text
    ("at /tmp/ipykernel_11/22.py:3 `y = x.sqrt()`", "at /tmp/ipykernel_7/9.py:3 `y = x.sqrt()`",
     True),
    ("<Figure size 600x350 with 1 Axes>", "<Figure size 600x350 with 2 Axes>", False),
    ("/work/a/autograd/ops/unary.py:43: RuntimeWarning", "/ci/b/autograd/ops/unary.py:45: RuntimeWarning",
     True),
    ("/work/a/autograd/ops/unary.py:43: RuntimeWarning", "/work/a/autograd/ops/binary.py:43: RuntimeWarning",
     False),
])
def test_output_comparison_rules(stored, fresh, same):
    assert (text_difference(stored, fresh) is None) == same
