"""The README's Python examples run as written."""
import linecache
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _python_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_has_examples():
    assert len(_python_blocks()) >= 1


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for i, block in enumerate(_python_blocks()):
        name = f"README.md python block {i}"
        # Source lines for tracebacks and anomaly reports of the example.
        linecache.cache[name] = (len(block), None, block.splitlines(True), name)
        exec(compile(block, name, "exec"), {"__name__": f"readme{i}"})
