"""PyTorch names that gradformer spells otherwise or lacks, each with what to
use instead: ``autograd.<name>`` (through the package's ``__getattr__``) and
``tensor.<name>`` (through ``Missing`` class attributes; a ``__getattr__`` on
Tensor would slow every attribute lookup) raise an AttributeError saying so.
README, "PyTorch -> gradformer", has the table."""
from __future__ import annotations

# autograd.<name> -> what to use instead
MODULE = {
    "float": "autograd.float32 (a module-level 'float' would shadow Python's under "
             "'from autograd import *')",
    "double": "autograd.float64", "half": "autograd.float16", "long": "autograd.int64",
    "int": "autograd.int32", "bool": "autograd.bool_",
    "nn": "'import nn': gradformer's layers are a package of their own",
    "optim": "nn.optim", "utils": "nn.data (PyTorch's torch.utils.data)",
    "Size": "a plain tuple (x.shape, x.size())",
    "device": "a device string: 'cpu', 'cuda' or 'cuda:1'",
    "cuda": "autograd.cuda_available() and device='cuda'",
    "empty": "autograd.zeros", "empty_like": "autograd.zeros_like",
    "save": "nn.save(state, path) (.npz, no pickle)", "load": "nn.load(path)",
    "flip": "x[..., ::-1] style slicing (getitem)",
    "unbind": "x.split(1, dim) or a list of x[i]",
}

# tensor.<name> -> what to use instead
TENSOR = {
    "new_tensor": "autograd.tensor(data, dtype=x.dtype, device=x.device)",
    "new_zeros": "autograd.zeros(*shape, dtype=x.dtype, device=x.device)",
    "new_ones": "autograd.ones(*shape, dtype=x.dtype, device=x.device)",
    "new_full": "autograd.full(shape, value, dtype=x.dtype, device=x.device)",
    "new_empty": "autograd.zeros(*shape, dtype=x.dtype, device=x.device)",
    "is_contiguous": "x.contiguous(), which copies only when needed",
    "data_ptr": "x.data, the NumPy / CuPy array itself",
    "storage": "x.data, the NumPy / CuPy array itself",
    "unbind": "x.split(1, dim) or a list of x[i]",
    "flip": "x[..., ::-1] style slicing",
    "scatter_add_": "autograd.zeros(...) with index_select / gather, or x.data under no_grad",
    "index_add_": "x.data under autograd.no_grad()",
    "uniform_": "nn.init.uniform_(x, a, b)", "normal_": "nn.init.normal_(x, mean, std)",
    "square": "x * x or x ** 2",
}


class Missing:
    """A class attribute standing for a PyTorch method the class lacks:
    reading it raises the AttributeError ``missing`` makes (so ``hasattr``
    is False, as for any missing attribute)."""

    def __init__(self, name, instead):
        self.name = name
        self.instead = instead

    def __get__(self, obj, owner=None):
        raise missing(f"'{owner.__name__}' object", self.name, {self.name: self.instead})


def missing(owner: str, name: str, table: dict) -> AttributeError:
    """The error for a missing attribute, naming the replacement if known."""
    instead = table.get(name)
    hint = f" (a PyTorch name; in gradformer use {instead})" if instead else ""
    return AttributeError(f"{owner} has no attribute {name!r}{hint}")
