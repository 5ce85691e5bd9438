"""``import torch`` for the ported snippets: gradformer under PyTorch's
module names. autograd already answers to PyTorch's function and method
names; this only maps the module layout (torch.nn, torch.optim,
torch.utils.data) and the dtype spellings that would shadow Python's
builtins if autograd exported them (torch.float, torch.long, ...)."""
import types

import autograd
import nn as _nn
from autograd import *  # noqa: F401,F403

nn = _nn
optim = _nn.optim
utils = types.SimpleNamespace(data=_nn.data)

float = autograd.float32          # noqa: A001 (PyTorch's names)
double = autograd.float64
half = autograd.float16
long = autograd.int64
int = autograd.int32              # noqa: A001
bool = autograd.bool_             # noqa: A001
