"""Optimizers against their formulas on known numbers, parameter groups,
gradient clipping, learning-rate schedules, and exact resume."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.optim import (SGD, Adam, AdamW, ConstantSchedule, NoamSchedule,
                      WarmupCosineSchedule)

P0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, -1.0, 2.0])
G2 = np.array([-0.25, 0.75, 1.0])


def param(values=P0, device="cpu", dtype=ag.float64):
    return nn.Parameter(ag.tensor(values, dtype=dtype, device=device))


def set_grad(p, g):
    p.grad = ag.tensor(g, dtype=p.dtype, device=p.device)


def run(opt, p, grads):
    for g in grads:
        set_grad(p, g)
        opt.step()
    return p.numpy()


# -- SGD ---------------------------------------------------------------------

def test_sgd_plain_step():
    p = param()
    np.testing.assert_allclose(run(SGD([p], lr=0.1), p, [G1]), P0 - 0.1 * G1, rtol=1e-14)


def test_sgd_step_from_a_real_backward():
    p = param()
    c = ag.tensor([3.0, 1.0, -2.0], dtype=ag.float64)
    ((p * c).sum() + (p * p).sum()).backward()
    SGD([p], lr=0.01).step()
    np.testing.assert_allclose(p.numpy(), P0 - 0.01 * (c.numpy() + 2 * P0), rtol=1e-14)


def test_sgd_momentum_two_steps():
    p = param()
    got = run(SGD([p], lr=0.1, momentum=0.9), p, [G1, G2])
    p1 = P0 - 0.1 * G1                  # the buffer starts as the first gradient
    buf = 0.9 * G1 + G2
    np.testing.assert_allclose(got, p1 - 0.1 * buf, rtol=1e-14)


def test_sgd_momentum_with_dampening():
    p = param()
    got = run(SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p, [G1, G2])
    buf = 0.9 * G1 + 0.5 * G2
    np.testing.assert_allclose(got, P0 - 0.1 * G1 - 0.1 * buf, rtol=1e-14)


def test_sgd_nesterov_two_steps():
    p = param()
    got = run(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [G1, G2])
    p1 = P0 - 0.1 * (G1 + 0.9 * G1)
    buf = 0.9 * G1 + G2
    np.testing.assert_allclose(got, p1 - 0.1 * (G2 + 0.9 * buf), rtol=1e-14)


def test_sgd_weight_decay_adds_to_the_gradient():
    p = param()
    got = run(SGD([p], lr=0.1, weight_decay=0.01), p, [G1, G2])
    p1 = P0 - 0.1 * (G1 + 0.01 * P0)
    np.testing.assert_allclose(got, p1 - 0.1 * (G2 + 0.01 * p1), rtol=1e-14)


def test_sgd_momentum_and_weight_decay_together():
    p = param()
    got = run(SGD([p], lr=0.1, momentum=0.5, weight_decay=0.1), p, [G1, G2])
    d1 = G1 + 0.1 * P0
    p1 = P0 - 0.1 * d1
    d2 = G2 + 0.1 * p1
    np.testing.assert_allclose(got, p1 - 0.1 * (0.5 * d1 + d2), rtol=1e-14)


def test_sgd_checks_its_settings():
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([param()], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="require grad"):
        SGD([ag.zeros(2)], lr=0.1)


# -- Adam, AdamW -------------------------------------------------------------

def adam_reference(p, grads, lr, b1, b2, eps, wd=0.0, decoupled=False):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def test_adam_first_step_moves_each_weight_by_lr_against_its_gradient_sign():
    p = param()
    got = run(Adam([p], lr=0.01), p, [G1])
    # m_hat = g and v_hat = g^2 after one step: the update is lr * g / (|g| + eps).
    np.testing.assert_allclose(got, P0 - 0.01 * G1 / (np.abs(G1) + 1e-8), rtol=1e-14)


def test_adam_three_steps_match_the_formula():
    p = param()
    grads = [G1, G2, G1 * 0.3]
    got = run(Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6), p, grads)
    np.testing.assert_allclose(got, adam_reference(P0, grads, 0.01, 0.8, 0.99, 1e-6), rtol=1e-13)


def test_adam_weight_decay_is_l2_on_the_gradient():
    p = param()
    got = run(Adam([p], lr=0.01, weight_decay=0.1), p, [G1, G2])
    np.testing.assert_allclose(got, adam_reference(P0, [G1, G2], 0.01, 0.9, 0.999, 1e-8, wd=0.1),
                               rtol=1e-13)


def test_adamw_decay_is_decoupled():
    p = param()
    got = run(AdamW([p], lr=0.01, weight_decay=0.1), p, [G1, G2])
    expected = adam_reference(P0, [G1, G2], 0.01, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    # One step by hand: shrink first, then the Adam step.
    q = param()
    got = run(AdamW([q], lr=0.01, weight_decay=0.1), q, [G1])
    np.testing.assert_allclose(got, P0 * (1 - 0.001) - 0.01 * G1 / (np.abs(G1) + 1e-8),
                               rtol=1e-14)
    assert not np.allclose(expected, adam_reference(P0, [G1, G2], 0.01, 0.9, 0.999, 1e-8,
                                                    wd=0.1))


@pytest.mark.parametrize("make", [
    lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99)),
    lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
    lambda ps: AdamW(ps, lr=0.01, weight_decay=0.1),
], ids=["adam", "adam-l2", "adamw"])
def test_adam_in_chunks_over_threads_is_bit_for_bit_one_parameter_at_a_time(make):
    """step() updates a group in cache-sized chunks spread over the CPU
    threads; the plain formula, one whole parameter after another, gives the
    same bits (sizes around and above a chunk, a non-contiguous gradient)."""
    chunk = ag.backend.CHUNK
    shapes = [(3 * chunk + 5,), (7,), (2, chunk // 2 + 3), (4, 5)]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    grads[1][3] = np.asfortranarray(grads[1][3])
    chunked = [param(v, dtype=ag.float32) for v in values]
    plain = [param(v, dtype=ag.float32) for v in values]
    opt_chunked, opt_plain = make(chunked), make(plain)
    for step in grads:
        for p, q, g in zip(chunked, plain, step):
            p.grad, q.grad = ag.tensor(g), ag.tensor(g)
        opt_chunked.step()
        with ag.no_grad():
            for q in plain:
                opt_plain._update(q, q.grad.data, opt_plain.state.setdefault(id(q), {}),
                                  opt_plain.param_groups[0])
    for p, q in zip(chunked, plain):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(opt_chunked.state[id(p)][name],
                                          opt_plain.state[id(q)][name])


def test_adam_updates_a_parameter_listed_twice_twice():
    p, q = param(), param()
    run(Adam([p, p], lr=0.01), p, [G1])
    opt = Adam([q], lr=0.01)
    set_grad(q, G1)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_adam_checks_betas():
    with pytest.raises(ValueError, match="betas"):
        Adam([param()], betas=(0.9, 1.0))


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.01, weight_decay=0.01),
    lambda ps: AdamW(ps, lr=0.01),
], ids=["sgd", "adam", "adamw"])
def test_optimizers_on_every_device_match_cpu_and_keep_float32(make, device):
    results = {}
    for dev in ("cpu", device):
        p = param(device=dev, dtype=ag.float32)
        run(make([p]), p, [G1, G2, G1])
        assert p.dtype == ag.float32 and p.device.split(":")[0] == dev
        results[dev] = p.numpy()
    expected = results["cpu"]
    np.testing.assert_allclose(results[device], expected, rtol=1e-6)


def test_parameters_without_gradient_are_left_alone():
    a, b = param(), param()
    opt = Adam([a, b], lr=0.1)
    set_grad(a, G1)
    opt.step()
    np.testing.assert_array_equal(b.numpy(), P0)
    assert not np.array_equal(a.numpy(), P0)
    assert opt.state_dict()["state"].keys() == {0}


# -- parameter groups, zero_grad ---------------------------------------------

def test_parameter_groups_have_their_own_settings():
    a, b = param(), param()
    opt = SGD([{"params": [a], "lr": 0.5}, {"params": [b], "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    for g in (G1, G2):
        set_grad(a, g)
        set_grad(b, g)
        opt.step()
    np.testing.assert_allclose(a.numpy(), P0 - 0.5 * G1 - 0.5 * G2, rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), P0 - 0.1 * G1 - 0.1 * (0.9 * G1 + G2), rtol=1e-14)


def test_zero_grad():
    a, b = param(), param()
    opt = SGD([a, b], lr=0.1)
    set_grad(a, G1)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    set_grad(a, G1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), 0)
    assert b.grad is None
    opt.step()                           # a zero gradient moves nothing
    np.testing.assert_array_equal(a.numpy(), P0)


# -- clip_grad_norm_ ---------------------------------------------------------

def grads_with_norm_13(device="cpu"):
    a = param([0.0, 0.0], device=device)
    b = param([0.0], device=device)
    set_grad(a, [3.0, 4.0])
    set_grad(b, [12.0])
    return a, b


def test_clip_returns_the_norm_before_clipping_and_scales_to_max_norm(device):
    a, b = grads_with_norm_13(device)
    norm = nn.clip_grad_norm_([a, b], max_norm=6.5)
    assert norm.shape == () and norm.device == a.device
    assert float(norm) == pytest.approx(13.0, rel=1e-15)
    np.testing.assert_allclose(a.grad.numpy(), [1.5, 2.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [6.0], rtol=1e-6)
    total = math.sqrt((a.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum())
    assert total == pytest.approx(6.5, rel=1e-6)
    assert a.grad.dtype == ag.float64


def test_clip_below_max_norm_changes_nothing():
    a, b = grads_with_norm_13()
    norm = nn.clip_grad_norm_(iter([a, b]), max_norm=13.5)
    assert float(norm) == pytest.approx(13.0, rel=1e-15)
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [12.0])


def test_clip_skips_parameters_without_gradient_and_takes_one_tensor():
    a, b = grads_with_norm_13()
    c = param([1.0])
    assert float(nn.clip_grad_norm_([a, b, c], 100.0)) == pytest.approx(13.0)
    assert c.grad is None
    assert float(nn.clip_grad_norm_(b, 3.0)) == pytest.approx(12.0)
    np.testing.assert_allclose(b.grad.numpy(), [3.0], rtol=1e-6)
    assert float(nn.clip_grad_norm_([c], 1.0)) == 0.0


def test_clip_keeps_float32_gradients_float32():
    p = param([0.0, 0.0], dtype=ag.float32)
    set_grad(p, [30.0, 40.0])
    nn.clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == ag.float32
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


# -- schedules ---------------------------------------------------------------

def noam(step, d_model, warmup):
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def test_noam_schedule_is_the_papers_lrate_step_by_step():
    p = param([0.0])
    opt = SGD([p], lr=1.0)
    sched = NoamSchedule(opt, d_model=512, warmup_steps=40)
    for step in range(1, 201):
        # The lr of update number `step` (counted from 1) is the paper's lrate(step).
        assert opt.param_groups[0]["lr"] == pytest.approx(noam(step, 512, 40), rel=1e-12)
        before = p.numpy()[0]
        set_grad(p, [1.0])
        opt.step()
        assert before - p.numpy()[0] == pytest.approx(noam(step, 512, 40), rel=1e-9)
        sched.step()
    lrs = [noam(s, 512, 40) for s in range(1, 201)]
    assert int(np.argmax(lrs)) + 1 == 40              # the peak is at the end of warmup
    assert sched.get_last_lr() == [pytest.approx(noam(201, 512, 40), rel=1e-12)]


def test_noam_schedule_with_a_peak_lr_keeps_the_papers_shape():
    opt = Adam([param()], lr=2.0)
    sched = NoamSchedule(opt, d_model=64, warmup_steps=10, peak_lr=0.5)
    for step in range(1, 30):
        assert opt.param_groups[0]["lr"] == pytest.approx(0.5 * noam(step, 64, 10) /
                                                          noam(10, 64, 10))
        sched.step()


@pytest.mark.parametrize("peak_lr", [None, 3e-3])
def test_noam_schedule_peaks_at_the_end_of_warmup(peak_lr):
    opt = Adam([param()], lr=2.0)                       # not used: Noam sets the peak itself
    sched = NoamSchedule(opt, d_model=64, warmup_steps=10, peak_lr=peak_lr)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    expected = 64 ** -0.5 * 10 ** -0.5 if peak_lr is None else peak_lr
    assert lrs[10 - 1] == expected                     # exactly, at step == warmup
    assert max(lrs) == expected and lrs.index(expected) == 10 - 1


def test_warmup_cosine_schedule_step_by_step():
    opt = SGD([param()], lr=0.5)
    sched = WarmupCosineSchedule(opt, warmup_steps=5, total_steps=25, min_factor=0.1)
    for step in range(1, 40):
        if step <= 5:
            f = step / 5
        else:
            progress = min((step - 5) / 20, 1.0)
            f = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))
        assert sched.get_last_lr() == [pytest.approx(0.5 * f, rel=1e-12)], step
        sched.step()
    assert sched.get_last_lr() == [pytest.approx(0.05)]
    with pytest.raises(ValueError, match="total_steps must exceed warmup_steps"):
        WarmupCosineSchedule(opt, warmup_steps=5, total_steps=5)


@pytest.mark.parametrize("warmup, expected", [(0, [1, 1, 1, 1, 1]),
                                              (4, [0.25, 0.5, 0.75, 1, 1])])
def test_constant_schedule(warmup, expected):
    opt = SGD([param()], lr=0.2)
    sched = ConstantSchedule(opt, warmup_steps=warmup)
    got = []
    for _ in expected:
        got.append(opt.param_groups[0]["lr"])
        sched.step()
    np.testing.assert_allclose(got, [0.2 * e for e in expected], rtol=1e-14)


def test_schedules_apply_to_every_group_from_its_own_initial_lr():
    opt = SGD([{"params": [param()], "lr": 1.0}, {"params": [param()], "lr": 0.1}], lr=0.5)
    sched = ConstantSchedule(opt, warmup_steps=2)
    assert sched.get_last_lr() == [0.5, 0.05]
    sched.step()
    assert sched.get_last_lr() == [1.0, 0.1]


def test_a_peak_lr_replaces_every_groups_initial_lr():
    opt = SGD([{"params": [param()], "lr": 1.0}, {"params": [param()], "lr": 0.1}], lr=0.5)
    sched = WarmupCosineSchedule(opt, warmup_steps=2, total_steps=6, peak_lr=0.02)
    assert sched.get_last_lr() == [0.01, 0.01]
    sched.step()
    assert sched.get_last_lr() == [0.02, 0.02]


@pytest.mark.parametrize("make", [
    lambda opt: NoamSchedule(opt, d_model=32, warmup_steps=7),
    lambda opt: WarmupCosineSchedule(opt, warmup_steps=3, total_steps=12),
    lambda opt: ConstantSchedule(opt, warmup_steps=6),
], ids=["noam", "cosine", "constant"])
def test_schedule_state_dict_resumes(make, tmp_path):
    opt = SGD([param()], lr=1.0)
    sched = make(opt)
    for _ in range(5):
        sched.step()
    nn.save({"sched": sched.state_dict()}, tmp_path / "s.npz")
    rest = []
    for _ in range(10):
        rest.append(opt.param_groups[0]["lr"])
        sched.step()

    opt2 = SGD([param()], lr=1.0)
    sched2 = make(opt2)
    sched2.load_state_dict(nn.load(tmp_path / "s.npz")["sched"])
    assert sched2.last_step == 5
    resumed = []
    for _ in range(10):
        resumed.append(opt2.param_groups[0]["lr"])
        sched2.step()
    assert resumed == rest


# -- exact resume ------------------------------------------------------------

def make_model():
    return nn.Sequential(nn.Linear(3, 8), nn.GELU(), nn.Dropout(0.2), nn.Linear(8, 2))


BATCHES = [(np.random.default_rng(i).standard_normal((6, 3)).astype(np.float32),
            np.random.default_rng(100 + i).integers(0, 2, 6)) for i in range(8)]


def train_steps(model, opt, sched, batches):
    for x, y in batches:
        opt.zero_grad()
        loss = nn.cross_entropy(model(ag.tensor(x)), ag.tensor(y))
        loss.backward()
        nn.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()


@pytest.mark.parametrize("make_opt", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: Adam(ps, lr=0.01),
    lambda ps: AdamW([{"params": ps[:2], "weight_decay": 0.0}, {"params": ps[2:]}], lr=0.01),
], ids=["sgd", "adam", "adamw-groups"])
def test_save_and_load_mid_training_resumes_bit_for_bit(make_opt, tmp_path):
    ag.manual_seed(0)
    model = make_model()
    opt = make_opt(list(model.parameters()))
    sched = WarmupCosineSchedule(opt, warmup_steps=2, total_steps=8)
    train_steps(model, opt, sched, BATCHES)
    straight = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    ag.manual_seed(0)
    model = make_model()
    opt = make_opt(list(model.parameters()))
    sched = WarmupCosineSchedule(opt, warmup_steps=2, total_steps=8)
    train_steps(model, opt, sched, BATCHES[:4])
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "schedule": sched.state_dict(), "rng": ag.get_rng_state()}, tmp_path / "ckpt.npz")
    del model, opt, sched

    ag.manual_seed(12345)                 # a different start, all of it overwritten by the load
    model = make_model()
    opt = make_opt(list(model.parameters()))
    sched = WarmupCosineSchedule(opt, warmup_steps=2, total_steps=8)
    ckpt = nn.load(tmp_path / "ckpt.npz")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["schedule"])
    ag.set_rng_state(ckpt["rng"])
    train_steps(model, opt, sched, BATCHES[4:])
    resumed = {k: v.numpy() for k, v in model.state_dict().items()}
    for k in straight:
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)


def test_resume_without_the_optimizer_state_differs():
    # The check above can fail: dropping the Adam moments changes the result.
    ag.manual_seed(0)
    model = make_model()
    opt = Adam(model.parameters(), lr=0.01)
    sched = ConstantSchedule(opt)
    train_steps(model, opt, sched, BATCHES)
    straight = model.state_dict()["0.weight"].numpy().copy()
    ag.manual_seed(0)
    model = make_model()
    opt = Adam(model.parameters(), lr=0.01)
    train_steps(model, opt, ConstantSchedule(opt), BATCHES[:4])
    opt = Adam(model.parameters(), lr=0.01)
    train_steps(model, opt, ConstantSchedule(opt), BATCHES[4:])
    assert not np.array_equal(model.state_dict()["0.weight"].numpy(), straight)


def test_optimizer_state_dict_shape_and_errors():
    a, b = param(), param()
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    set_grad(a, G1)
    set_grad(b, G2)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]
    assert sd["state"][0]["step"] == 1
    np.testing.assert_allclose(sd["state"][1]["exp_avg"].numpy(), 0.1 * G2, rtol=1e-14)
    with pytest.raises(ValueError, match="parameter groups do not match"):
        Adam([a, b]).load_state_dict(sd)


def test_optimizer_state_loads_onto_the_parameters_device(device, tmp_path):
    p = param()
    opt = Adam([p], lr=0.1)
    set_grad(p, G1)
    opt.step()
    nn.save(opt.state_dict(), tmp_path / "o.npz")
    q = param(p.numpy(), device=device)
    opt2 = Adam([q], lr=0.1)
    opt2.load_state_dict(nn.load(tmp_path / "o.npz"))
    set_grad(q, G2)
    opt2.step()
    set_grad(p, G2)
    opt.step()
    np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-14)


def test_optimizer_state_of_the_wrong_shape_is_refused_and_nothing_changes():
    import nn as _nn
    a = _nn.Linear(3, 2)
    opt = _nn.optim.Adam(a.parameters(), lr=0.1)
    a(ag.ones(1, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    b = _nn.Linear(4, 2)
    opt_b = _nn.optim.Adam(b.parameters(), lr=0.5)
    with pytest.raises(ValueError, match=r"exp_avg.*shape \(2, 3\).*\(2, 4\)"):
        opt_b.load_state_dict(saved)
    assert opt_b.state == {} and opt_b.param_groups[0]["lr"] == 0.5
