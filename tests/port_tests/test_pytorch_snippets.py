"""Real PyTorch code run on gradformer with no change but the imports
(snippets/: nanoGPT's block, the Annotated Transformer's attention,
multi-head attention and label smoothing, the PyTorch tutorial's training
loop over a DataLoader). Each runs on gradformer alone (its gradients
against finite differences) and, where PyTorch is installed, beside the same
file run on PyTorch from the same weights: outputs and gradients must agree."""
import re

import numpy as np
import pytest

import autograd as ag

from .loading import load


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: the snippets are not "
                                               "compared with it (they still run on gradformer)")


def _same_weights(theirs, ours):
    """Copy a PyTorch module's parameters and buffers into ours (same names)."""
    ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})


def _pair(torch, *shape, seed, dtype="float64"):
    """The same random values as a PyTorch tensor and a gradformer tensor."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return (torch.tensor(values, requires_grad=True),
            ag.tensor(values, requires_grad=True))


def _close(theirs, ours, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _compare_backward(theirs_out, ours_out, theirs_tensors, ours_tensors, seed=7):
    """Backpropagate the same random cotangent through both; compare the
    gradients of the given tensors (inputs and parameters by name)."""
    w = np.random.default_rng(seed).standard_normal(ours_out.shape)
    theirs_out.backward(theirs_out.new_tensor(w))
    ours_out.backward(ag.tensor(w, dtype=ours_out.dtype))
    for name in theirs_tensors:
        _close(theirs_tensors[name].grad, ours_tensors[name].grad)


# -- nanoGPT ----------------------------------------------------------------------

def _gpt_config(module, bias):
    return module.GPTConfig(block_size=8, n_head=2, n_embd=8, dropout=0.0, bias=bias)


def _blocks(torch, bias, flash, monkeypatch):
    """nanoGPT Blocks in both frameworks with PyTorch's weights, in float64;
    without ``flash``, built as nanoGPT builds them where PyTorch has no
    scaled_dot_product_attention (the hand-written attention path)."""
    theirs_code, ours_code = load("nanogpt", "pytorch"), load("nanogpt", "gradformer")
    if not flash:
        monkeypatch.delattr(torch.nn.functional, "scaled_dot_product_attention")
        monkeypatch.delattr(ours_code.F, "scaled_dot_product_attention")
    torch.manual_seed(0)
    theirs = theirs_code.Block(_gpt_config(theirs_code, bias)).double()
    ours = ours_code.Block(_gpt_config(ours_code, bias)).to(ag.float64)
    monkeypatch.undo()
    assert theirs.attn.flash is flash and ours.attn.flash is flash
    _same_weights(theirs, ours)
    return theirs, ours


@pytest.mark.parametrize("flash", [True, False], ids=["sdpa", "manual"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_nanogpt_block_matches_pytorch(torch, bias, flash, monkeypatch):
    theirs, ours = _blocks(torch, bias, flash, monkeypatch)
    x_t, x_o = _pair(torch, 2, 5, 8, seed=1)
    y_t, y_o = theirs(x_t), ours(x_o)
    _close(y_t, y_o)
    _compare_backward(y_t, y_o, {"x": x_t, **dict(theirs.named_parameters())},
                      {"x": x_o, **dict(ours.named_parameters())})


def test_nanogpt_block_gradients_match_finite_differences():
    code = load("nanogpt", "gradformer")
    ag.manual_seed(0)
    block = code.Block(_gpt_config(code, True)).to(ag.float64)
    x = ag.randn(1, 4, 8, dtype=ag.float64, requires_grad=True)
    assert block(x).shape == (1, 4, 8)
    assert ag.gradcheck(block, [x])


# -- the Annotated Transformer ----------------------------------------------------

def test_annotated_attention_and_mask_match_pytorch(torch):
    theirs, ours = load("annotated_transformer", "pytorch"), load("annotated_transformer",
                                                                  "gradformer")
    mask_t, mask_o = theirs.subsequent_mask(4), ours.subsequent_mask(4)
    assert mask_o.dtype == ag.bool_ and mask_o.tolist() == mask_t.tolist()
    inputs = [_pair(torch, 2, 4, 6, seed=s) for s in (1, 2, 3)]
    out_t, p_t = theirs.attention(*[t for t, _ in inputs], mask=mask_t)
    out_o, p_o = ours.attention(*[o for _, o in inputs], mask=mask_o)
    _close(out_t, out_o)
    _close(p_t, p_o)
    _compare_backward(out_t, out_o, {i: t for i, (t, _) in enumerate(inputs)},
                      {i: o for i, (_, o) in enumerate(inputs)})


@pytest.mark.parametrize("mask_kind", ["padding", "subsequent"])
def test_annotated_multi_headed_attention_matches_pytorch(torch, mask_kind):
    theirs_code = load("annotated_transformer", "pytorch")
    ours_code = load("annotated_transformer", "gradformer")
    torch.manual_seed(0)
    theirs = theirs_code.MultiHeadedAttention(2, 8, dropout=0.0).double()
    ours = ours_code.MultiHeadedAttention(2, 8, dropout=0.0).to(ag.float64)
    _same_weights(theirs, ours)
    (q_t, q_o), (m_t, m_o) = _pair(torch, 2, 5, 8, seed=1), _pair(torch, 2, 5, 8, seed=2)
    if mask_kind == "padding":                                  # (B, 1, T): the last key is padding
        keep = np.array([[[1, 1, 1, 1, 0]], [[1, 1, 1, 0, 0]]], dtype=bool)
        mask_t, mask_o = torch.tensor(keep), ag.tensor(keep)
    else:
        mask_t, mask_o = theirs_code.subsequent_mask(5), ours_code.subsequent_mask(5)
    y_t, y_o = theirs(q_t, m_t, m_t, mask_t), ours(q_o, m_o, m_o, mask_o)
    _close(y_t, y_o)
    _close(theirs.attn, ours.attn)
    _compare_backward(y_t, y_o, {"q": q_t, "m": m_t, **dict(theirs.named_parameters())},
                      {"q": q_o, "m": m_o, **dict(ours.named_parameters())})


@pytest.mark.parametrize("target", [[2, 1, 0, 3], [0, 4, 0, 1]], ids=["one-pad", "two-pads"])
def test_annotated_label_smoothing_matches_pytorch(torch, target):
    theirs_code = load("annotated_transformer", "pytorch")
    ours_code = load("annotated_transformer", "gradformer")
    theirs, ours = theirs_code.LabelSmoothing(5, 0, 0.4), ours_code.LabelSmoothing(5, 0, 0.4)
    logits_t, logits_o = _pair(torch, 4, 5, seed=3)
    x_t, x_o = logits_t.log_softmax(-1), logits_o.log_softmax(-1)
    loss_t = theirs(x_t, torch.tensor(target))
    loss_o = ours(x_o, ag.tensor(target))
    _close(theirs.true_dist, ours.true_dist)
    _close(loss_t, loss_o)
    loss_t.backward()
    loss_o.backward()
    _close(logits_t.grad, logits_o.grad)


def test_annotated_pieces_gradients_match_finite_differences():
    code = load("annotated_transformer", "gradformer")
    ag.manual_seed(0)
    mha = code.MultiHeadedAttention(2, 8, dropout=0.0).to(ag.float64)
    mask = code.subsequent_mask(3)
    x = ag.randn(1, 3, 8, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda v: mha(v, v, v, mask), [x])
    smoothing = code.LabelSmoothing(4, 0, 0.2)
    logits = ag.randn(3, 4, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda v: smoothing(v.log_softmax(-1), ag.tensor([1, 0, 3])), [logits])


# -- the PyTorch tutorial's training loop ----------------------------------------

def _fashion_like(framework, seed):
    """Random stand-ins for FashionMNIST: 192 training and 64 test images of
    1 x 28 x 28 in [0, 1), labels in 0..9, as DataLoaders of the tutorial's
    batch size (no shuffling, as the tutorial's)."""
    rng = np.random.default_rng(seed)
    data = framework.utils.data
    loaders = []
    for n in (192, 64):
        images = rng.random((n, 1, 28, 28), dtype=np.float32)
        labels = rng.integers(0, 10, n)
        loaders.append(data.DataLoader(data.TensorDataset(framework.tensor(images),
                                                          framework.tensor(labels)),
                                       batch_size=64))
    return loaders


def _train(code, framework):
    """The tutorial's epoch loop (its last cell), on the stand-in data."""
    train_dataloader, test_dataloader = _fashion_like(framework, seed=5)
    for t in range(code.epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        code.train_loop(train_dataloader, code.model, code.loss_fn, code.optimizer)
        code.test_loop(test_dataloader, code.model, code.loss_fn)
    print("Done!")


def _numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.\d+|-?\d+", text)]


def test_tutorial_training_loop_matches_pytorch(torch, capsys):
    import port_tests.torch_alias as alias
    torch.manual_seed(0)
    theirs = load("pytorch_tutorial", "pytorch")
    ours = load("pytorch_tutorial", "gradformer")
    _same_weights(theirs.model, ours.model)
    capsys.readouterr()
    _train(theirs, torch)
    printed_t = capsys.readouterr().out
    _train(ours, alias)
    printed_o = capsys.readouterr().out
    assert printed_o.count("Accuracy") == printed_t.count("Accuracy") == 5
    np.testing.assert_allclose(_numbers(printed_o), _numbers(printed_t), rtol=2e-4, atol=2e-4)
    for name, p in theirs.model.named_parameters():
        _close(p, dict(ours.model.named_parameters())[name], rtol=1e-4, atol=1e-6)


def test_tutorial_training_loop_lowers_the_loss_on_gradformer(capsys):
    import port_tests.torch_alias as alias
    ag.manual_seed(0)
    code = load("pytorch_tutorial", "gradformer")
    train_dataloader, _ = _fashion_like(alias, seed=5)
    code.optimizer = alias.optim.SGD(code.model.parameters(), lr=0.5)
    first = code.loss_fn(code.model(train_dataloader.dataset.tensors[0]),
                         train_dataloader.dataset.tensors[1]).item()
    for _ in range(5):
        code.train_loop(train_dataloader, code.model, code.loss_fn, code.optimizer)
    last = code.loss_fn(code.model(train_dataloader.dataset.tensors[0]),
                        train_dataloader.dataset.tensors[1]).item()
    assert last < 0.95 * first
    assert "loss:" in capsys.readouterr().out
