"""A clear error when ``import autograd`` finds another package of that name
(PyPI's popular ``autograd`` from HIPS) instead of gradformer's: both install
a top-level ``autograd``, and without this check ``import transformer``
fails deep inside with "cannot import name 'dropout' from 'autograd'"."""
import autograd


def check_autograd():
    if getattr(autograd, "__distribution__", None) == "gradformer":
        return
    where = getattr(autograd, "__file__", None) or "an unknown place"
    raise ImportError(
        f"the 'autograd' package imported from {where} is not gradformer's: it looks like "
        "PyPI's 'autograd' (HIPS), which uses the same import name. gradformer's nn, transformer "
        "and tools need gradformer's own autograd. Install gradformer in a fresh virtual "
        "environment (python -m venv .venv && . .venv/bin/activate && "
        "python -m pip install -e .), or uninstall the other one (python -m pip uninstall autograd)")
