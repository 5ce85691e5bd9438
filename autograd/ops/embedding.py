"""Embedding lookup: rows of a weight matrix picked by integer ids; the
backward scatter-adds each output gradient into the row it came from."""
from __future__ import annotations

from .. import backend
from ..function import Function, IndexOpError, OpError, public
from ..samples import Floats, Ints, Sample
from .common import as_tensor


def check_ids(ids, num, op, what="ids"):
    """Integer ids in [0, num): a clear error naming the bad value otherwise."""
    if ids.dtype.kind not in "iu":
        raise OpError(f"{op}: {what} must be integers, got {ids.dtype}")
    if ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= num:
            bad = lo if lo < 0 else hi
            raise IndexOpError(f"{op}: {what} contain {bad}, outside the valid range "
                               f"[0, {num - 1}]")


class Embedding(Function):
    """weight[ids]; with ``padding_idx``, positions holding it read zeros."""
    saved_inputs = (0,)
    samples = (Sample(Ints((2, 3), high=5), Floats((5, 4))),
               Sample(Ints((6,), high=3), Floats((3, 2)), padding_idx=1))

    def __init__(self, padding_idx=None):
        self.padding_idx = padding_idx

    def forward(self, ids, weight):
        if weight.ndim != 2:
            raise OpError(f"embedding: weight must be 2-D (num_embeddings, dim), "
                          f"got shape {tuple(weight.shape)}")
        check_ids(ids, weight.shape[0], "embedding")
        out = weight[ids]
        if self.padding_idx is not None:
            # The padding row reads as zeros, so it rightly gets no gradient.
            out *= (ids != self.padding_idx)[..., None]
        return out

    def backward(self, gy):
        ids, weight = self.inputs
        return None, EmbeddingBackward(weight.shape[0], self.padding_idx)(ids, gy)


@public(Embedding)
def embedding(ids, weight, padding_idx=None):
    """weight[ids] for integer ids of any shape -> ids.shape + (dim,).

    forward:  y[..., :] = weight[ids[...], :]   (zeros where ids == padding_idx)
    gradient: dweight[k] = sum of dy[i] over the positions i with ids[i] == k
              (none for padding_idx); ids get none
    """
    ids = as_tensor(ids, weight)
    return Embedding(padding_idx)(ids, weight)


class EmbeddingBackward(Function):
    """Embedding's weight gradient: zeros (num, dim) with dy's rows added at
    ids (repeated ids add up); the padding row gets none.

    forward:  dweight[k] = sum of dy[i] over the positions i with ids[i] == k
    gradient: d(dy) = embedding(ids, ddweight)   (a lookup again)
    """
    gradient_of = "Embedding"
    saved_inputs = (0,)

    def __init__(self, num, padding_idx=None):
        self.num = num
        self.padding_idx = padding_idx

    def forward(self, ids, gy):
        d = gy.shape[-1]
        gw = self.xp.zeros((self.num, d), dtype=gy.dtype)
        backend.scatter_add(gw, ids.reshape(-1), gy.reshape(-1, d))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw

    def backward(self, ggw):
        return None, Embedding(self.padding_idx)(self.inputs[0], ggw)
