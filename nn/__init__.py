"""Neural-network layers, losses, optimizers and save/load, built on
``autograd`` only.

    import nn
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
"""
from .shadowing import check_autograd

check_autograd()     # first: another package named autograd is a clear error, not a deep one

from . import data, functional, init, optim, parallel  # noqa: E402
from .activation import GELU, ReLU, SiLU, Sigmoid, Softmax, Softplus, Tanh  # noqa: E402
from .clip import clip_grad_norm_  # noqa: E402
from .container import ModuleList, Sequential  # noqa: E402
from .dropout import Dropout  # noqa: E402
from .embedding import Embedding  # noqa: E402
from .linear import Linear  # noqa: E402
from .loss import (BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, MSELoss,  # noqa: E402
                   NLLLoss, cross_entropy, mse_loss)
from .module import Module, Parameter, StateDictError  # noqa: E402
from .normalization import LayerNorm  # noqa: E402
from .serialization import CheckpointError, load, save  # noqa: E402
from .shape import Flatten, Identity  # noqa: E402
from .stateless import functional_call  # noqa: E402
from .checkpointing import checkpoint  # noqa: E402

__all__ = ["Module", "Parameter", "StateDictError", "Linear", "Embedding", "LayerNorm",
           "Dropout", "ReLU", "GELU", "SiLU", "Softplus", "Tanh", "Sigmoid", "Softmax",
           "Flatten", "Identity", "Sequential", "ModuleList", "CrossEntropyLoss", "MSELoss",
           "NLLLoss", "BCEWithLogitsLoss", "KLDivLoss", "cross_entropy", "mse_loss",
           "clip_grad_norm_", "save", "load", "CheckpointError", "functional_call", "checkpoint",
           "init", "optim", "functional", "data", "parallel"]
