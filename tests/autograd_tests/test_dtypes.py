"""float32 stays float32 end to end, whatever Python or NumPy scalars it
meets (NumPy 2 promotes float32 * np.float64 scalars to float64)."""
import numpy as np

import autograd as ag


def test_defaults():
    assert ag.tensor([1.0, 2.0]).dtype == ag.float32
    assert ag.tensor([1, 2]).dtype == ag.int64
    assert ag.tensor(np.zeros(2)).dtype == ag.float64          # arrays keep their dtype
    assert ag.tensor([1.0], dtype=ag.float64).dtype == ag.float64
    assert ag.tensor([1.0], dtype="float64").dtype == ag.float64


def test_scalars_take_the_tensor_dtype():
    x = ag.ones(3)
    for y in (x * 2.0, x * np.sqrt(4.0), x * np.array(2.0), np.float64(2.0) * x,
              x + np.float64(1), x / 3, 1 - x, x ** 2, x ** np.float64(0.5),
              ag.maximum(x, 0.5), ag.where(x > 0, x, 0.0), x.clip(0, 1)):
        assert y.dtype == ag.float32, y


def test_integer_tensor_with_a_float_scalar_becomes_float32():
    assert (ag.tensor([1, 2]) * 0.5).dtype == ag.float32


def test_a_float32_model_stays_float32_forward_and_backward():
    ag.manual_seed(0)
    w1 = ag.randn(8, 16, requires_grad=True)
    b1 = ag.zeros(16, requires_grad=True)
    g = ag.ones(16, requires_grad=True)
    beta = ag.zeros(16, requires_grad=True)
    emb = ag.randn(10, 8, requires_grad=True)
    w2 = ag.randn(16, 10, requires_grad=True)
    ids = ag.tensor([[1, 2, 3], [4, 5, 0]])
    h = ag.embedding(ids, emb) * np.sqrt(8.0)
    h = ag.layer_norm(ag.gelu(h @ w1 + b1), g, beta)
    h = ag.dropout(h, 0.1)
    att = ag.softmax(h @ h.swapaxes(-1, -2) / np.sqrt(16.0))
    logits = (att @ h).relu() @ w2
    loss = ag.cross_entropy(logits, ids, ignore_index=0, label_smoothing=0.1)
    assert loss.dtype == ag.float32
    loss.backward()
    for p in (w1, b1, g, beta, emb, w2):
        assert p.grad.dtype == ag.float32
    # Every intermediate in the graph is float32 too.
    seen, stack = set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for ref in fn.outputs:
            if ref() is not None and ref().dtype.kind == "f":
                assert ref().dtype == ag.float32, fn
        stack.extend(x.grad_fn for x in (fn.inputs or ()))
