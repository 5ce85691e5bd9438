"""Loading a ported snippet once per framework: with PyTorch's imports, as
its authors wrote it, or with gradformer's, the only lines that differ.
Each snippet file holds both import blocks between markers; the one not
used is blanked out, so line numbers in tracebacks stay those of the file."""
import pathlib
import sys
import types

SNIPPETS = pathlib.Path(__file__).resolve().parent / "snippets"
ORIGINAL = "# -- PyTorch's imports (the original):"
OURS = "# -- gradformer's imports (the only change):"
END = "# -- end of imports"


def source(name, framework):
    """The snippet's text with the import block of ``framework`` in effect."""
    text = (SNIPPETS / f"{name}.py").read_text()
    head, rest = text.split(ORIGINAL + "\n")
    original, rest = rest.split(OURS + "\n")
    ours, body = rest.split(END + "\n")
    if framework == "pytorch":
        original = "".join(line[2:] if line.startswith("# ") else line
                           for line in original.splitlines(True))
        ours = "\n" * ours.count("\n")
    elif framework != "gradformer":
        raise ValueError(f"unknown framework {framework!r}")
    return "".join([head, "\n", original, "\n", ours, "\n", body])


def load(name, framework):
    """The snippet run as a module (its classes and functions as attributes)."""
    module_name = f"port_snippet_{name}_{framework}"
    module = types.ModuleType(module_name)
    module.__file__ = str(SNIPPETS / f"{name}.py")
    sys.modules[module_name] = module
    exec(compile(source(name, framework), module.__file__, "exec"), module.__dict__)
    return module
