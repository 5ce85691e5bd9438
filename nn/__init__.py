"""Neural-network layers, losses, optimizers and save/load, built on
``autograd`` only.

    import nn
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
"""
from . import functional, init, optim, parallel
from .activation import GELU, ReLU, Sigmoid, Softmax, Tanh
from .clip import clip_grad_norm_
from .container import ModuleList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .loss import CrossEntropyLoss, MSELoss, cross_entropy, mse_loss
from .module import Module, Parameter, StateDictError
from .normalization import LayerNorm
from .serialization import CheckpointError, load, save
from .stateless import functional_call
from .checkpointing import checkpoint

__all__ = ["Module", "Parameter", "StateDictError", "Linear", "Embedding", "LayerNorm",
           "Dropout", "ReLU", "GELU", "Tanh", "Sigmoid", "Softmax", "Sequential", "ModuleList",
           "CrossEntropyLoss", "MSELoss", "cross_entropy", "mse_loss", "clip_grad_norm_",
           "save", "load", "CheckpointError", "functional_call", "checkpoint", "init", "optim", "functional",
           "parallel"]
