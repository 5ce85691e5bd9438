"""gradformer's reverse-mode automatic differentiation engine.

    import autograd as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad            # tensor([2., 4.])

Reading order for a newcomer, each file building on the ones before:

1. backend.py     the one door to NumPy / CuPy: array modules, devices, random numbers,
                  the CPU fast paths (threads.py: BLAS's thread count and a small pool)
2. grad_mode.py   whether ops record a graph (no_grad), and which module is running
3. function.py    ``Function``: one op, its forward on arrays, its backward on Tensors
4. tensor.py      ``Tensor``: an array plus grad, requires_grad, grad_fn
                  (factories.py makes them: zeros, randn, ...; generator.py seeds draws)
5. ops/           every op, one class and one function each, formulas in docstrings
6. graph.py       walking a recorded graph without running it
7. engine.py      the reverse pass: backward() and grad(), the chain rule in a loop

Then the safety nets and checks built on them: anomaly.py, gradcheck.py and
audit.py (both on finite_differences.py), functional.py. Activation
checkpointing is an op too: ops/checkpoint.py. Names are PyTorch's (dim= and
keepdim= too, translated in ops/common.py); pytorch_names.py lists those it
lacks, with what to use instead.
"""
__distribution__ = "gradformer"     # how nn, transformer and tools tell this autograd from others

from . import backend
from .backend import (bool_, cuda_available, float16, float32, float64, get_rng_state,
                      int8, int16, int32, int64, manual_seed, set_rng_state, default_dtype,
                      set_default_dtype, uint8)
from .threads import get_num_threads, set_num_threads
from .tensor import Tensor
from .factories import (arange, eye, from_numpy, full, full_like, linspace, multinomial, ones,
                        ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor,
                        zeros, zeros_like)
from .generator import Generator
from .function import Function, IndexOpError, OpError
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .engine import grad
from .anomaly import AnomalyError, detect_anomaly
from .audit import check_graph
from . import functional
from .ops.checkpoint import checkpoint
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops.arithmetic import (add, allclose, clip, div, isfinite, isinf, isnan, logical_and,
                             logical_not, logical_or, logical_xor, masked_fill, maximum, minimum,
                             mul, neg, pow, sub, tril, triu, where)
from .ops.unary import (abs, cos, erf, exp, gelu, log, relu, rsqrt, sigmoid, silu, sin,
                        softplus, sqrt, tanh)
from .ops.reduction import (all, amax, amin, any, argmax, argmin, cumsum, logsumexp, max, mean,
                            min, norm, std, sum, sum_to, var)
from .ops.shape import (astype, broadcast_to, cat, chunk, clone, concatenate, contiguous,
                        expand_as, flatten, getitem, movedim, moveaxis, pad, permute, repeat,
                        repeat_interleave, reshape, split, squeeze, stack, swapaxes, transpose,
                        unsqueeze)
from .ops.indexing import argsort, gather, index_select, nonzero, one_hot, sort, topk
from .ops.linalg import bmm, einsum, linear, matmul
from .ops.softmax import log_softmax, softmax
from .ops.normalization import layer_norm
from .ops.dropout import dropout
from .ops.embedding import embedding
from .ops.cross_entropy import cross_entropy
from . import pytorch_names as _pytorch_names

clamp = clip

__all__ = [name for name in dir() if not name.startswith("_")]


def __getattr__(name):
    """A PyTorch name autograd lacks: an error saying what to use instead."""
    raise _pytorch_names.missing("module 'autograd'", name, _pytorch_names.MODULE)
