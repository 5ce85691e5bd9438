"""Where PyTorch and gradformer share a name, they compute the same thing:
each case below is written once and run on PyTorch and on gradformer (under
PyTorch's module names, port_tests/torch_alias.py) from the same float64
inputs; values, dtypes, shapes and the gradients of every float input must
agree. Skipped, saying so, where PyTorch is not installed."""
import math

import numpy as np
import pytest

from port_tests import torch_alias as ours

torch = pytest.importorskip("torch", reason="PyTorch is not installed: nothing to compare with")
F_ = "f"        # float64 normal values (differentiable)
P_ = "p"        # positive float64 values in [0.5, 2) (differentiable)
C_ = "c"        # positive float64 constants (no gradient)
I_ = "i"        # int64 values in [0, 4)
B_ = "b"        # booleans


def _fn(lib):
    return lib.nn.functional


CASES = {
    # -- same name, same meaning ---------------------------------------------------
    "transpose two axes of a matrix": ([(F_, (3, 4))], lambda t, x: x.transpose(0, 1)),
    "transpose the last two of 4-D": ([(F_, (2, 3, 4, 5))], lambda t, x: x.transpose(-2, -1)),
    "mT": ([(F_, (2, 3, 4))], lambda t, x: x.mT),
    "t()": ([(F_, (3, 4))], lambda t, x: x.t()),
    "permute": ([(F_, (2, 3, 4))], lambda t, x: x.permute(2, 0, 1)),
    "split by chunk size": ([(F_, (2, 7))], lambda t, x: x.split(3, dim=1)),
    "split by sizes": ([(F_, (6, 2))], lambda t, x: x.split([1, 2, 3])),
    "qkv split": ([(F_, (2, 3, 12))], lambda t, x: x.split(4, dim=2)),
    "chunk": ([(F_, (7, 2))], lambda t, x: x.chunk(3)),
    "max(dim)": ([(F_, (3, 4))], lambda t, x: tuple(x.max(-1))),
    "min(dim, keepdim)": ([(F_, (3, 4))], lambda t, x: tuple(x.min(0, keepdim=True))),
    "max()": ([(F_, (3, 4))], lambda t, x: x.max()),
    "max(a, b)": ([(F_, (3, 4)), (F_, (4,))], lambda t, a, b: t.max(a, b)),
    "amax over two dims": ([(F_, (2, 3, 4))], lambda t, x: x.amax(dim=(0, 2))),
    "var (unbiased)": ([(F_, (3, 5))], lambda t, x: x.var(1)),
    "var(unbiased=False)": ([(F_, (3, 5))], lambda t, x: x.var(dim=0, unbiased=False)),
    "var(correction=0, keepdim)": ([(F_, (3, 5))],
                                   lambda t, x: x.var(-1, correction=0, keepdim=True)),
    "std": ([(F_, (4, 3))], lambda t, x: x.std(dim=0, keepdim=True)),
    "to(float32)": ([(F_, (3,))], lambda t, x: x.to(t.float32)),
    "sum(dim, keepdim)": ([(F_, (2, 3, 4))], lambda t, x: x.sum(dim=(0, 2), keepdim=True)),
    "mean(dim)": ([(F_, (2, 3))], lambda t, x: x.mean(dim=-1)),
    "logsumexp(dim)": ([(F_, (2, 3))], lambda t, x: x.logsumexp(dim=1)),
    "softmax(dim)": ([(F_, (2, 3))], lambda t, x: t.softmax(x, dim=0)),
    "log_softmax(dim)": ([(F_, (2, 3))], lambda t, x: x.log_softmax(dim=-1)),
    "argmax(dim, keepdim)": ([(F_, (3, 4))], lambda t, x: x.argmax(dim=1, keepdim=True)),
    "stack(dim)": ([(F_, (2, 3)), (F_, (2, 3))], lambda t, a, b: t.stack([a, b], dim=1)),
    "cat(dim)": ([(F_, (2, 3)), (F_, (2, 1))], lambda t, a, b: t.cat([a, b], dim=1)),
    "squeeze(dim) of a size-1 dim": ([(F_, (3, 1, 2))], lambda t, x: x.squeeze(dim=1)),
    "squeeze(dim) of a larger dim": ([(F_, (3, 1, 2))], lambda t, x: x.squeeze(0)),
    "unsqueeze(dim)": ([(F_, (3, 2))], lambda t, x: x.unsqueeze(dim=-1)),
    "nn.Softmax(dim)": ([(F_, (2, 3))], lambda t, x: t.nn.Softmax(dim=0)(x)),
    "bitwise & | ^ ~ on ints": ([(I_, (5,)), (I_, (5,))],
                                lambda t, a, b: ((a - 2) & 3, a | b, a ^ b, ~a)),
    "& | ^ ~ on bools": ([(B_, (5,)), (B_, (5,))], lambda t, a, b: (a & b, a | b, a ^ b, ~a)),
    "int / int is float32": ([(I_, (4,))], lambda t, i: (i / 2, 3 / (i + 1))),
    "int ** float, int.exp()": ([(I_, (4,))], lambda t, i: (i ** 0.5, i.exp(), i.sqrt())),
    "int32 + float32": ([(I_, (4,))], lambda t, i: i.to(t.int32) + t.ones(4)),
    "maximum(int32, float32)": ([(I_, (4,))],
                                lambda t, i: t.maximum(i.to(t.int32), t.ones(4) * 1.5)),
    "arange position table": ([], lambda t: t.arange(6)[:, None] / 10000 ** (t.arange(0, 4, 2) / 4)),
    "full infers its dtype": ([], lambda t: (t.full((2,), 4), t.full((2,), True),
                                             t.full((2,), 0.5))),
    # -- the ops attention, decoding and training code is written with --------------
    "masked_fill": ([(F_, (3, 4)), (B_, (4,))], lambda t, x, m: x.masked_fill(m, -1e9)),
    "masked_fill -inf then softmax": ([(F_, (3, 3))], lambda t, x: x.masked_fill(
        t.tril(t.ones(3, 3)) == 0, float("-inf")).softmax(-1)),
    "tril / triu": ([(F_, (2, 3, 4))], lambda t, x: (t.tril(x), x.triu(1), x.tril(-1))),
    "flatten": ([(F_, (2, 3, 4, 2))], lambda t, x: (x.flatten(), x.flatten(1, 2))),
    "expand_as": ([(F_, (3, 1)), (F_, (2, 3, 4))], lambda t, a, b: a.expand_as(b)),
    "repeat": ([(F_, (2, 3))], lambda t, x: x.repeat(2, 1, 3)),
    "repeat_interleave": ([(F_, (2, 3))], lambda t, x: (x.repeat_interleave(2, dim=1),
                                                       x.repeat_interleave(2))),
    "repeat_interleave by counts": ([(F_, (3, 2))], lambda t, x: x.repeat_interleave(
        t.tensor([2, 0, 1]), dim=0)),
    "clone, contiguous": ([(F_, (3, 4))], lambda t, x: (x.clone(), x.mT.contiguous())),
    "bmm, matmul": ([(F_, (2, 3, 4)), (F_, (2, 4, 5))], lambda t, a, b: (t.bmm(a, b),
                                                                        a.matmul(b))),
    "einsum for attention": ([(F_, (2, 2, 3, 4)), (F_, (2, 2, 5, 4))],
                             lambda t, q, k: t.einsum("bhqd,bhkd->bhqk", q, k)),
    "einsum with ... and implicit output": ([(F_, (2, 3, 4)), (F_, (4, 5))],
                                            lambda t, a, b: t.einsum("...d,de", a, b)),
    "gather": ([(F_, (3, 4))], lambda t, x: x.gather(1, t.tensor([[0, 0], [3, 1], [2, 2]]))),
    "index_select": ([(F_, (4, 3))], lambda t, x: x.index_select(0, t.tensor([3, 0, 3]))),
    "topk": ([(F_, (3, 5))], lambda t, x: tuple(x.topk(2, dim=-1))),
    "topk smallest": ([(F_, (4, 3))], lambda t, x: tuple(t.topk(x, 2, dim=0, largest=False))),
    "sort, argsort": ([(F_, (3, 4))], lambda t, x: (*x.sort(dim=1, descending=True),
                                                   x.argsort(dim=0))),
    "one_hot": ([(I_, (2, 3))], lambda t, i: t.nn.functional.one_hot(i, 5)),
    "cumsum": ([(F_, (3, 4))], lambda t, x: (x.cumsum(1), t.cumsum(x, dim=0))),
    "pad": ([(F_, (2, 3))], lambda t, x: _fn(t).pad(x, (1, 2, 0, 1), value=0.5)),
    "norm": ([(F_, (3, 4))], lambda t, x: (x.norm(), x.norm(dim=1), x.norm(p=1, dim=0),
                                           x.norm(p=3, dim=1, keepdim=True))),
    "rsqrt": ([(P_, (3, 4))], lambda t, x: x.rsqrt()),
    "erf": ([(F_, (50,))], lambda t, x: (x * 3).erf()),
    "gelu exact and tanh": ([(F_, (3, 4))], lambda t, x: (_fn(t).gelu(x), _fn(t).gelu(
        x, approximate="tanh"), t.nn.GELU()(x))),
    "silu, softplus": ([(F_, (3, 4))], lambda t, x: (_fn(t).silu(x), _fn(t).softplus(x * 9),
                                                     _fn(t).softplus(x, beta=2, threshold=1))),
    "any, all": ([(B_, (3, 4))], lambda t, m: (m.any(), m.all(dim=1), t.any(m, dim=0))),
    "isnan, isinf, isfinite": ([(F_, (4,))], lambda t, x: (
        (x / 0).isnan(), t.isinf(x / 0), (x.log()).isfinite())),
    "allclose": ([(F_, (3,))], lambda t, x: (t.allclose(x, x + 1e-9), x.allclose(x + 1))),
    "eye, linspace, full_like": ([(F_, (2, 3))], lambda t, x: (t.eye(3), t.eye(2, 3),
                                                               t.linspace(0, 1, 5),
                                                               t.full_like(x, 7))),
    "nonzero": ([(B_, (3, 4))], lambda t, m: t.nonzero(m)),
    "size(), dim(), numel()": ([(F_, (2, 3))], lambda t, x: (tuple(x.size()), x.size(-1),
                                                             x.dim(), x.numel())),
    # -- nn.functional --------------------------------------------------------------
    "scaled_dot_product_attention causal": (
        [(F_, (2, 2, 4, 3)), (F_, (2, 2, 4, 3)), (F_, (2, 2, 4, 5))],
        lambda t, q, k, v: _fn(t).scaled_dot_product_attention(q, k, v, is_causal=True)),
    "scaled_dot_product_attention bool mask, scale": (
        [(F_, (2, 3, 4)), (F_, (2, 5, 4)), (F_, (2, 5, 2)), (B_, (3, 5))],
        lambda t, q, k, v, m: _fn(t).scaled_dot_product_attention(
            q, k, v, attn_mask=m | t.eye(3, 5, dtype=t.bool), scale=0.3)),
    "scaled_dot_product_attention float mask": (
        [(F_, (2, 3, 4)), (F_, (2, 5, 4)), (F_, (2, 5, 2)), (F_, (3, 5))],
        lambda t, q, k, v, m: _fn(t).scaled_dot_product_attention(q, k, v, attn_mask=m)),
    "cross_entropy with probabilities": (
        [(F_, (4, 5)), (F_, (4, 5))], lambda t, x, p: (
            _fn(t).cross_entropy(x, p.softmax(-1)),
            _fn(t).cross_entropy(x, p.softmax(-1), label_smoothing=0.2, reduction="sum"))),
    "cross_entropy with (N, C, d) logits": (
        [(F_, (2, 5, 3))], lambda t, x: _fn(t).cross_entropy(x, t.tensor([[0, 4, 1],
                                                                          [2, 2, 3]]))),
    "nll_loss with (N, C, d) scores": ([(F_, (2, 5, 3))], lambda t, x: _fn(t).nll_loss(
        x.log_softmax(1), t.tensor([[0, 4, -100], [2, 2, 3]]))),
    "nll_loss": ([(F_, (4, 5))], lambda t, x: (
        _fn(t).nll_loss(x.log_softmax(-1), t.tensor([1, -100, 4, 0])),
        _fn(t).nll_loss(x.log_softmax(-1), t.tensor([1, 2, 4, 0]), reduction="none"))),
    "binary_cross_entropy_with_logits": ([(F_, (3, 4)), (P_, (3, 4)), (C_, (4,))], lambda t, x, y, w: (
        _fn(t).binary_cross_entropy_with_logits(x * 30, y / 2),
        _fn(t).binary_cross_entropy_with_logits(x, y / 2, pos_weight=w, reduction="sum"),
        _fn(t).binary_cross_entropy_with_logits(x, y / 2, weight=w, reduction="none"))),
    "kl_div": ([(F_, (3, 4)), (F_, (3, 4))], lambda t, x, y: (
        _fn(t).kl_div(x.log_softmax(-1), y.softmax(-1), reduction="batchmean"),
        _fn(t).kl_div(x.log_softmax(-1), y.softmax(-1).masked_fill(y > 1, 0), reduction="sum"),
        _fn(t).kl_div(x.log_softmax(-1), y.log_softmax(-1), reduction="mean", log_target=True))),
    "layer_norm over the trailing dims": ([(F_, (2, 3, 4)), (F_, (3, 4)), (F_, (3, 4))],
                                          lambda t, x, w, b: (_fn(t).layer_norm(x, (4,)),
                                                              _fn(t).layer_norm(x, (3, 4), w, b))),
}


def _inputs(specs, lib, seed):
    rng = np.random.default_rng(seed)
    out = []
    for kind, shape in specs:
        if kind == F_:
            v = rng.standard_normal(shape)
        elif kind in (P_, C_):
            v = rng.uniform(0.5, 2.0, shape)
        elif kind == I_:
            v = rng.integers(0, 4, shape)
        else:
            v = rng.random(shape) < 0.5
        out.append(lib.tensor(v, requires_grad=kind in (F_, P_)))
    return out


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [r for item in result for r in _flat(item)]
    return [result]


def _compare(theirs, ours_value):
    if not isinstance(theirs, torch.Tensor):
        assert ours_value == theirs or math.isclose(ours_value, theirs, rel_tol=1e-12)
        return
    assert str(ours_value.dtype) == str(theirs.dtype).removeprefix("torch."), \
        f"dtype {ours_value.dtype} vs PyTorch's {theirs.dtype}"
    assert tuple(ours_value.shape) == tuple(theirs.shape)
    rtol, atol = (1e-6, 1e-7) if theirs.dtype == torch.float32 else (1e-9, 1e-12)
    np.testing.assert_allclose(ours_value.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", list(CASES))
def test_same_values_and_gradients_as_pytorch(name):
    specs, fn = CASES[name]
    theirs_in, ours_in = _inputs(specs, torch, 0), _inputs(specs, ours, 0)
    theirs_out, ours_out = _flat(fn(torch, *theirs_in)), _flat(fn(ours, *ours_in))
    assert len(theirs_out) == len(ours_out)
    for t_value, o_value in zip(theirs_out, ours_out):
        _compare(t_value, o_value)
    pairs = [(t, o) for t, o in zip(theirs_out, ours_out)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return
    rng = np.random.default_rng(1)
    cotangents = [rng.standard_normal(t.shape) for t, _ in pairs]
    torch.autograd.backward([t for t, _ in pairs],
                            [torch.tensor(c, dtype=t.dtype) for c, (t, _) in zip(cotangents, pairs)])
    wrt = [o for o in ours_in if o.requires_grad]
    grads = ours.grad([o for _, o in pairs], wrt,
                      [ours.tensor(c, dtype=o.dtype) for c, (_, o) in zip(cotangents, pairs)],
                      allow_unused=True)
    theirs_wrt = [t for t in theirs_in if t.requires_grad]
    for t_in, g in zip(theirs_wrt, grads):
        if t_in.grad is None or g is None:
            assert (t_in.grad is None or not t_in.grad.any()) and (g is None or not g.numpy().any())
        else:
            _compare(t_in.grad, g)
