"""End to end: small models learn, from a fixed seed, in a bounded number of
steps, and the same seed gives the same run."""
import numpy as np

import autograd as ag
import nn

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def train_xor(steps, seed=0):
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    x, y = ag.tensor(XOR_X), ag.tensor(XOR_Y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def test_an_mlp_learns_xor():
    model, losses = train_xor(200)
    assert losses[0] > 0.6                   # about ln 2 at the start: nothing known
    assert losses[-1] < 0.02
    model.eval()
    with ag.no_grad():
        predicted = model(ag.tensor(XOR_X)).numpy().argmax(-1)
    np.testing.assert_array_equal(predicted, XOR_Y)
    assert all(p.dtype == ag.float32 for p in model.parameters())


def test_the_same_seed_repeats_the_run_bit_for_bit():
    a, losses_a = train_xor(20, seed=3)
    b, losses_b = train_xor(20, seed=3)
    assert losses_a == losses_b
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=na)
    _, losses_c = train_xor(20, seed=4)
    assert losses_c != losses_a


def test_a_small_regression_reaches_its_target_loss():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 3)).astype(np.float32)
    w_true = np.array([[2.0], [-1.0], [0.5]], dtype=np.float32)
    y = np.sin(x @ w_true) + 0.3 * x[:, :1] ** 2
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.GELU(), nn.Linear(16, 1))
    opt = nn.optim.Adam(model.parameters(), lr=0.02)
    xt, yt = ag.tensor(x), ag.tensor(y)
    first = None
    for step in range(400):
        opt.zero_grad()
        loss = nn.mse_loss(model(xt), yt)
        loss.backward()
        nn.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        first = loss.item() if first is None else first
    final = nn.mse_loss(model(xt), yt).item()
    assert final < 2e-3 and final < first / 100
