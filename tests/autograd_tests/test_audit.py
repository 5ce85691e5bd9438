"""check_graph: every op of a real forward pass against finite differences."""
import pytest

import autograd as ag
import nn
import transformer as T
from autograd.function import Function


def _step_loss(train=True):
    c = T.TransformerConfig(src_vocab_size=11, tgt_vocab_size=13, d_model=8, n_heads=2,
                            n_encoder_layers=1, n_decoder_layers=1, d_ff=12, dropout=0.1,
                            attention_dropout=0.1, max_len=16)
    ag.manual_seed(0)
    model = T.Transformer(c).to(dtype=ag.float64).train(train)
    src = ag.tensor([[3, 4, 5, 6, 0], [7, 8, 9, 0, 0]])
    tgt = ag.tensor([[1, 4, 5, 6, 2], [1, 9, 2, 0, 0]])
    return model, ag.cross_entropy(model(src, tgt[:, :-1]), tgt[:, 1:], ignore_index=0,
                                   label_smoothing=0.1)


def test_a_transformer_training_step_passes_the_audit_in_training_mode():
    model, loss = _step_loss(train=True)
    report = ag.check_graph(loss)
    assert report.ok, str(report)
    names = {c.function.name for c in report.checks}
    assert {"Dropout", "Softmax", "LayerNorm", "Linear", "CrossEntropy", "Where"} <= names
    rows = report.by_op_and_module()
    assert ("Softmax", "encoder.layers.0.self_attn") in rows
    assert "ops checked" in str(report)
    loss.backward()                     # the audit left the graph usable


class _WrongTanh(Function, abstract=True):
    """tanh with a derivative off by 5%: a planted bug."""
    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y) * 1.05


class _Buggy(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return _WrongTanh()(self.lin(x))


def test_a_wrong_backward_is_found_and_located():
    ag.manual_seed(0)
    root = nn.Sequential(nn.Linear(3, 3), _Buggy())
    root.to(dtype=ag.float64)
    loss = root(ag.randn(2, 3, dtype=ag.float64)).sum()
    report = ag.check_graph(loss)
    assert not report.ok
    (bad,) = report.failures
    assert bad.function.name == "_WrongTanh" and bad.function.module_path == "1"
    assert bad.max_relative == pytest.approx(0.05, rel=0.05)
    assert "FAIL" in str(report)


def test_audit_after_backward_says_why_it_cannot():
    _, loss = _step_loss()
    loss.backward()
    with pytest.raises(RuntimeError, match="before calling backward"):
        ag.check_graph(loss)
