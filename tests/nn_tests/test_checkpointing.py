"""Activation checkpointing: the same gradients, fewer stored activations."""
import numpy as np

import autograd as ag
import nn


def _block():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Dropout(0.3), nn.Linear(16, 6))


def _grads(use_checkpoint):
    block = _block()
    x = ag.randn(4, 6, requires_grad=True)
    ag.manual_seed(42)
    h = nn.checkpoint(block, x) if use_checkpoint else block(x)
    loss = (h * h).sum() + h.sum()
    loss.backward()
    return [x.grad.numpy()] + [p.grad.numpy() for p in block.parameters()], loss.item()


def test_gradients_are_identical_with_and_without_checkpointing():
    plain, loss_plain = _grads(False)
    ckpt, loss_ckpt = _grads(True)
    assert loss_plain == loss_ckpt
    for a, b in zip(plain, ckpt):
        np.testing.assert_array_equal(a, b)          # bit for bit: same masks replayed


def test_checkpointed_forward_keeps_no_inner_graph():
    block = _block()
    x = ag.randn(4, 6, requires_grad=True)
    h = nn.checkpoint(block, x)
    assert h.grad_fn.name == "Checkpoint"
    assert len(h.grad_fn.inputs) == 1 + len(list(block.parameters()))


def test_second_order_through_a_checkpoint():
    block = _block().to(dtype=ag.float64).eval()
    x = ag.randn(3, 6, dtype=ag.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda t: nn.checkpoint(block, t), [x])


def _dropout_block(x, w):
    return ag.dropout((x * w).tanh(), 0.3) * x


def test_gradcheck_through_a_checkpoint_with_dropout_inside():
    """Backward recomputes the block with the forward's random state, so the
    dropout masks are the same: exact gradients of first and second order."""
    ag.manual_seed(0)
    x = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)
    w = ag.randn(4, dtype=ag.float64, requires_grad=True)
    assert ag.checkpoint(_dropout_block, x, w).grad_fn.name == "Checkpoint"
    assert ag.gradcheck(lambda a, b: ag.checkpoint(_dropout_block, a, b), [x, w])
    assert ag.gradgradcheck(lambda a, b: ag.checkpoint(_dropout_block, a, b), [x, w])


def test_gradcheck_through_a_checkpointed_module_in_training_mode():
    block = _block().to(dtype=ag.float64).train()
    x = ag.randn(3, 6, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: nn.checkpoint(block, t), [x])
    assert ag.gradgradcheck(lambda t: nn.checkpoint(block, t), [x])
