"""gradformer's reverse-mode automatic differentiation engine.

    import autograd as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad            # tensor([2., 4.])

Reading order for a newcomer, each file building on the ones before:

1. backend.py     the one door to NumPy / CuPy: array modules, devices, random numbers
2. grad_mode.py   whether ops record a graph (no_grad), and which module is running
3. function.py    ``Function``: one op, its forward on arrays, its backward on Tensors
4. tensor.py      ``Tensor``: an array plus grad, requires_grad, grad_fn
5. ops/           every op, one class and one function each, formulas in docstrings
6. graph.py       walking a recorded graph without running it
7. engine.py      the reverse pass: backward() and grad(), the chain rule in a loop

Then the safety nets and checks built on them: anomaly.py, gradcheck.py and
audit.py (both on finite_differences.py), functional.py. Activation
checkpointing is an op too: ops/checkpoint.py.
"""
from . import backend
from .backend import (bool_, cuda_available, float16, float32, float64, get_rng_state,
                      int32, int64, manual_seed, set_rng_state, default_dtype,
                      set_default_dtype)
from .tensor import (Tensor, arange, full, ones, ones_like, rand, randint, randn, tensor,
                     zeros, zeros_like)
from .function import Function, OpError
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .engine import grad
from .anomaly import AnomalyError, detect_anomaly
from .audit import check_graph
from . import functional
from .ops.checkpoint import checkpoint
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops.arithmetic import add, clip, div, maximum, minimum, mul, neg, pow, sub, where
from .ops.unary import abs, cos, exp, gelu, log, relu, sigmoid, sin, sqrt, tanh
from .ops.reduction import logsumexp, max, mean, min, sum, sum_to, var
from .ops.shape import (astype, broadcast_to, concatenate, getitem, permute, reshape,
                        split, squeeze, stack, swapaxes, transpose, unsqueeze)
from .ops.linalg import linear, matmul
from .ops.softmax import log_softmax, softmax
from .ops.normalization import layer_norm
from .ops.dropout import dropout
from .ops.embedding import embedding
from .ops.cross_entropy import cross_entropy

__all__ = [name for name in dir() if not name.startswith("_")]
