"""Module: registration, dotted names, walking the tree, modes, devices,
buffers, tied weights, and the module path recorded on every op."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.grad_mode import state as grad_state


# -- a small encoder with the paper's names ----------------------------------

class SelfAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.d = d
        self.w_q = nn.Linear(d, d, bias=False)
        self.w_k = nn.Linear(d, d, bias=False)
        self.w_v = nn.Linear(d, d, bias=False)
        self.w_o = nn.Linear(d, d, bias=False)

    def forward(self, x):
        q, k, v = self.w_q(x), self.w_k(x), self.w_v(x)
        weights = ag.softmax(q @ k.swapaxes(-1, -2) / math.sqrt(self.d), axis=-1)
        return self.w_o(weights @ v)


class FeedForward(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w1 = nn.Linear(d, 2 * d)
        self.w2 = nn.Linear(2 * d, d)

    def forward(self, x):
        return self.w2(ag.relu(self.w1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.self_attn = SelfAttention(d)
        self.ff = FeedForward(d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        x = self.norm1(x + self.dropout(self.self_attn(x)))
        return self.norm2(x + self.dropout(self.ff(x)))


class Encoder(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(d) for _ in range(n)])
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class Model(nn.Module):
    def __init__(self, vocab=7, d=4, n=2):
        super().__init__()
        self.d = d
        self.embed = nn.Embedding(vocab, d)
        self.encoder = Encoder(d, n)
        self.out = nn.Linear(d, vocab)

    def forward(self, ids):
        return self.out(self.encoder(self.embed(ids) * math.sqrt(self.d)))


def layer_names(i):
    p = f"encoder.layers.{i}."
    return [p + "self_attn.w_q.weight", p + "self_attn.w_k.weight", p + "self_attn.w_v.weight",
            p + "self_attn.w_o.weight", p + "ff.w1.weight", p + "ff.w1.bias", p + "ff.w2.weight",
            p + "ff.w2.bias", p + "norm1.weight", p + "norm1.bias", p + "norm2.weight",
            p + "norm2.bias"]


def test_named_parameters_are_dotted_paths_in_registration_order():
    model = Model()
    names = [n for n, _ in model.named_parameters()]
    assert names == (["embed.weight"] + layer_names(0) + layer_names(1)
                     + ["encoder.norm.weight", "encoder.norm.bias", "out.weight", "out.bias"])
    params = dict(model.named_parameters())
    w_q = model.encoder.layers[0].self_attn.w_q
    assert params["encoder.layers.0.self_attn.w_q.weight"] is w_q.weight
    assert list(model.parameters()) == list(params.values())
    assert list(model.state_dict()) == names        # no buffers here: the same keys


def test_registration_on_assignment():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ag.zeros(2))
            self.sub = nn.Linear(2, 2)
            self.scale = 3.0
            self.plain = ag.zeros(2)          # a plain tensor: neither parameter nor buffer

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert list(net.children()) == [net.sub]
    assert net.scale == 3.0 and net.plain.shape == (2,)
    assert "plain" not in net.state_dict() and "scale" not in net.state_dict()
    assert net.w.name == "w" and net.w.requires_grad

    net.w = nn.Parameter(ag.ones(3))          # replacing
    assert net.w.shape == (3,) and dict(net.named_parameters())["w"] is net.w
    net.sub = nn.Linear(2, 5)
    assert net.sub.out_features == 5 and list(net.children()) == [net.sub]
    net.sub = None                            # a module replaced by a plain value
    assert net.sub is None and list(net.children()) == []
    del net.w
    assert [n for n, _ in net.named_parameters()] == []
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'w'"):
        net.w


def test_a_parameter_assigned_over_a_plain_attribute_is_the_one_read():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None
    lin.bias = nn.Parameter(ag.ones(2))
    assert lin.bias is not None and lin.bias is dict(lin.named_parameters())["bias"]
    np.testing.assert_allclose(lin(ag.zeros(1, 3)).numpy(), [[1.0, 1.0]])
    holder = nn.Module()
    holder.block = "not yet"
    holder.block = nn.ReLU()
    assert isinstance(holder.block, nn.ReLU) and list(holder.children()) == [holder.block]


def test_assigning_before_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)
            super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) before assigning 'lin'"):
        Bad()


def test_registration_inside_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.ModuleList([nn.Linear(3, 1)]))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.0.weight",
                                                      "2.0.bias"]
    seq[2].append(nn.LayerNorm(1))
    assert [n for n, _ in seq.named_parameters()][-2:] == ["2.1.weight", "2.1.bias"]


def test_children_and_modules():
    model = Model(n=1)
    assert [n for n, _ in model.named_children()] == ["embed", "encoder", "out"]
    assert list(model.children()) == [model.embed, model.encoder, model.out]
    names = [n for n, _ in model.named_modules()]
    assert names == ["", "embed", "encoder", "encoder.layers", "encoder.layers.0",
                     "encoder.layers.0.self_attn", "encoder.layers.0.self_attn.w_q",
                     "encoder.layers.0.self_attn.w_k", "encoder.layers.0.self_attn.w_v",
                     "encoder.layers.0.self_attn.w_o", "encoder.layers.0.ff",
                     "encoder.layers.0.ff.w1", "encoder.layers.0.ff.w2",
                     "encoder.layers.0.norm1", "encoder.layers.0.norm2",
                     "encoder.layers.0.dropout", "encoder.norm", "out"]
    modules = list(model.modules())
    assert modules[0] is model and len(modules) == len(names)
    assert [m.path for m in modules] == names
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited.count("Linear") == 7


def test_a_shared_module_is_walked_once():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = self.a

    m = Shared()
    assert len(list(m.modules())) == 2
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias"]


def test_paths_follow_where_a_module_is_attached():
    layer = EncoderLayer(4)
    assert layer.path == "" and layer.ff.w1.path == "ff.w1"
    model = Model(n=1)
    model.encoder.layers.append(layer)
    assert layer.path == "encoder.layers.1"
    assert layer.self_attn.w_q.path == "encoder.layers.1.self_attn.w_q"


def test_train_and_eval_reach_every_submodule():
    model = Model()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert not model.encoder.layers[1].dropout.training
    model.train()
    assert all(m.training for m in model.modules())
    model.encoder.layers[0].eval()           # a subtree only
    assert not model.encoder.layers[0].ff.training
    assert model.encoder.layers[1].ff.training and model.training


def test_zero_grad_clears_every_gradient():
    ag.manual_seed(0)
    model = Model()
    model(ag.tensor([[1, 2, 3]])).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_num_parameters():
    assert nn.Linear(4, 3).num_parameters() == 15
    model = Model(vocab=7, d=4, n=2)
    per_layer = 4 * 16 + (4 * 8 + 8) + (8 * 4 + 4) + 4 * 4
    assert model.num_parameters() == 7 * 4 + 2 * per_layer + 8 + (4 * 7 + 7)
    model.out.weight.requires_grad = False
    assert model.num_parameters(trainable_only=True) == model.num_parameters() - 28


def test_repr_is_a_tree():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(),
                          nn.ModuleList([nn.Dropout(0.1), nn.LayerNorm(3)]),
                          nn.Embedding(10, 3, padding_idx=0))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): ModuleList(\n"
        "    (0): Dropout(p=0.1)\n"
        "    (1): LayerNorm(3, eps=1e-05)\n"
        "  )\n"
        "  (3): Embedding(10, 3, padding_idx=0)\n"
        ")")


def test_forward_hooks_see_and_may_replace_the_output():
    lin = nn.Linear(2, 2)
    seen = []
    handle = lin.register_forward_hook(lambda m, args, out: seen.append((m, args[0].shape)))
    lin(ag.zeros(3, 2))
    assert seen == [(lin, (3, 2))]
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0)
    np.testing.assert_array_equal(lin(ag.ones(1, 2)).numpy(), 0)
    handle.remove()
    h2.remove()
    lin(ag.zeros(3, 2))
    assert len(seen) == 2


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(ag.zeros(1))


# -- tied weights ------------------------------------------------------------

class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.out = nn.Linear(3, 5, bias=False)
        self.out.weight = self.emb.weight

    def forward(self, ids):
        return self.out(self.emb(ids))


def test_tied_parameters_are_listed_once_and_saved_under_each_name():
    model = Tied()
    assert [n for n, _ in model.named_parameters()] == ["emb.weight"]
    assert model.num_parameters() == 15
    sd = model.state_dict()
    assert set(sd) == {"emb.weight", "out.weight"}
    np.testing.assert_array_equal(sd["emb.weight"].numpy(), sd["out.weight"].numpy())


def test_tied_parameters_get_the_gradient_of_both_uses_and_one_update():
    ag.manual_seed(0)
    model = Tied().to(dtype=ag.float64)
    W = model.emb.weight.numpy().copy()
    ids = np.array([0, 3, 3, 1])
    G = np.random.default_rng(0).standard_normal((4, 5))
    y = model(ag.tensor(ids))
    np.testing.assert_allclose(y.numpy(), W[ids] @ W.T, rtol=1e-12)
    (y * ag.tensor(G)).sum().backward()
    expected = G.T @ W[ids]                  # as the output projection
    np.add.at(expected, ids, G @ W)          # as the embedding table
    np.testing.assert_allclose(model.emb.weight.grad.numpy(), expected, rtol=1e-12)
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    np.testing.assert_allclose(model.out.weight.numpy(), W - 0.1 * expected, rtol=1e-12)


# -- buffers -----------------------------------------------------------------

class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("pos", ag.arange(3).astype(ag.float32))
        self.register_buffer("count", ag.tensor([0]))
        self.register_buffer("cache", ag.zeros(2), persistent=False)
        self.lin = nn.Linear(3, 2)

    def forward(self, x):
        return self.lin(x + self.pos)


def test_buffers_are_in_state_dict_but_not_in_parameters():
    m = WithBuffers()
    assert [n for n, _ in m.named_parameters()] == ["lin.weight", "lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["pos", "count", "cache"]
    assert list(m.state_dict()) == ["pos", "count", "lin.weight", "lin.bias"]
    assert "cache" not in m.state_dict()
    assert not m.pos.requires_grad
    np.testing.assert_array_equal(m.state_dict()["pos"].numpy(), [0, 1, 2])
    m.pos = ag.tensor([5.0, 6.0, 7.0])         # reassigning keeps it a buffer
    np.testing.assert_array_equal(m.state_dict()["pos"].numpy(), [5, 6, 7])
    assert m.num_parameters() == 8


def test_buffers_load_and_non_persistent_ones_are_not_required():
    a, b = WithBuffers(), WithBuffers()
    a.pos = ag.tensor([9.0, 8.0, 7.0])
    b.cache = ag.ones(2)
    missing, unexpected = b.load_state_dict(a.state_dict())
    assert missing == [] and unexpected == []
    np.testing.assert_array_equal(b.pos.numpy(), [9, 8, 7])
    np.testing.assert_array_equal(b.cache.numpy(), [1, 1])     # untouched
    assert b.pos.dtype == ag.float32


def test_buffer_registered_over_a_plain_attribute():
    m = nn.Module()
    m.mask = None
    m.register_buffer("mask", ag.ones(2))
    assert m.mask is not None and "mask" in m.state_dict()


def test_to_dtype_casts_floating_parameters_and_buffers_only():
    m = WithBuffers().to(dtype=ag.float64)
    assert m.lin.weight.dtype == ag.float64 and m.pos.dtype == ag.float64
    assert m.cache.dtype == ag.float64 and m.count.dtype == ag.int64


def test_to_device_moves_parameters_buffers_and_gradients(device):
    ag.manual_seed(0)
    m = WithBuffers()
    x = ag.randn(4, 3)
    m(x).sum().backward()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    grads = [p.grad.numpy().copy() for p in m.parameters()]
    params = list(m.parameters())
    assert m.to(device) is m
    assert list(m.parameters()) == params          # the same Parameter objects, moved
    for t in list(m.parameters()) + list(m.buffers()) + [p.grad for p in m.parameters()]:
        assert t.device.split(":")[0] == device
    assert m.device.split(":")[0] == device
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    y = m(x.to(device))
    assert y.device.split(":")[0] == device
    m.zero_grad()
    y.sum().backward()
    for p, g in zip(m.parameters(), grads):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-6)
    m.to("cpu")
    for k, v in m.state_dict().items():
        assert v.device == "cpu"
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_to_device_keeps_an_optimizer_working(device):
    ag.manual_seed(0)
    m = nn.Linear(3, 1)
    opt = nn.optim.SGD(m.parameters(), lr=0.5)
    m.to(device)
    x = ag.ones(2, 3, device=device)
    w0 = m.weight.numpy().copy()
    m(x).sum().backward()
    opt.step()
    np.testing.assert_allclose(m.weight.numpy(), w0 - 0.5 * 2.0, rtol=1e-6)
    assert m.weight.device.split(":")[0] == device


# -- the module path of each recorded op -------------------------------------

def graph_ops(y):
    """Every op of the graph that produced y."""
    seen, stack, ops = set(), [y.grad_fn], []
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        ops.append(fn)
        stack.extend(t.grad_fn for t in fn.inputs)
    return ops


def test_ops_carry_the_path_of_the_module_that_made_them():
    ag.manual_seed(0)
    model = Model()
    ff = model.encoder.layers[0].ff
    y = ff(ag.randn(2, 4))
    assert y.grad_fn.module_path == "encoder.layers.0.ff.w2"
    relu = y.grad_fn.inputs[0].grad_fn
    assert relu.name == "Relu" and relu.module_path == "encoder.layers.0.ff"
    assert relu.inputs[0].grad_fn.module_path == "encoder.layers.0.ff.w1"


def test_every_op_of_a_forward_pass_knows_its_module():
    ag.manual_seed(0)
    model = Model()
    y = model(ag.tensor([[1, 2, 3]]))
    assert y.grad_fn.module_path == "out"
    paths = {fn.module_path for fn in graph_ops(y)}
    module_names = {n for n, _ in model.named_modules()}
    assert paths <= module_names
    for expected in ["", "embed", "encoder.layers.0.self_attn", "encoder.layers.0.self_attn.w_q",
                     "encoder.layers.0.ff", "encoder.layers.0", "encoder.layers.1.norm2",
                     "encoder.layers.1.dropout", "encoder.norm", "out"]:
        assert expected in paths, expected
    by_name = {}
    for fn in graph_ops(y):
        by_name.setdefault(fn.name, set()).add(fn.module_path)
    assert by_name["Softmax"] == {"encoder.layers.0.self_attn", "encoder.layers.1.self_attn"}
    assert by_name["Embedding"] == {"embed"}


def test_module_scope_is_restored_after_a_call_and_after_an_error():
    ag.manual_seed(0)
    model = Model()
    model(ag.tensor([[1, 2]]))
    assert grad_state.scope == ""
    x = ag.ones(2, requires_grad=True)
    assert (x * 2).grad_fn.module_path == ""
    with pytest.raises(ag.OpError):
        model(ag.tensor([[99]]))              # an id out of range, inside "embed"
    assert grad_state.scope == ""
    assert (x * 2).grad_fn.module_path == ""


def test_reassigning_a_parameter_keeps_its_place_in_the_order():
    import nn as _nn
    lin = _nn.Linear(3, 2)
    lin.weight = _nn.Parameter(ag.zeros(2, 3))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert list(lin.state_dict()) == ["weight", "bias"]


def test_add_module_registers_like_assignment():
    import nn as _nn
    root = _nn.Module()
    root.add_module("head", _nn.Linear(2, 3))
    assert [n for n, _ in root.named_parameters()] == ["head.weight", "head.bias"]
    assert root.head.path == "head"
