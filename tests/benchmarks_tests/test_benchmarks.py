"""The benchmark harness's arithmetic, its gradformer worker and the
op-overhead baseline (no timings: those belong in ``python -m benchmarks``,
never in tests)."""
import argparse
import math
import shutil
import sys

import pytest

from benchmarks.common import (CONFIGS, ROOT, BenchConfig, forward_flops, git_revision, header,
                               token_batch, train_step_flops)
from benchmarks.gradformer_side import GradformerTrainer
from benchmarks.op_overhead import OpChain, baseline_checkout, run_op_overhead


def _matmul_flops(shapes):
    """2 m k n per (m, k) @ (k, n) product."""
    return sum(2 * m * k * n for m, k, n in shapes)


def test_flop_count_of_the_tiny_config_matches_a_hand_count():
    c = CONFIGS["tiny"]
    B, S, T, d, f, V = 32, 16, 16, 64, 256, 1000
    assert (c.batch, c.src_len, c.tgt_len, c.d_model, c.d_ff, c.vocab) == (B, S, T, d, f, V)
    h, dk = 4, 16
    encoder_layer = (
        [(B * S, d, d)] * 4                       # W_q, W_k, W_v, W_o on every source token
        + [(S, dk, S)] * (B * h)                  # scores per sentence and head
        + [(S, S, dk)] * (B * h)                  # weights @ V
        + [(B * S, d, f), (B * S, f, d)])         # feed-forward
    decoder_layer = (
        [(B * T, d, d)] * 4 + [(T, dk, T)] * (B * h) + [(T, T, dk)] * (B * h)   # self-attention
        + [(B * T, d, d)] * 2 + [(B * S, d, d)] * 2                          # cross: Q, O; K, V
        + [(T, dk, S)] * (B * h) + [(T, S, dk)] * (B * h)
        + [(B * T, d, f), (B * T, f, d)])
    output = [(B * T, d, V)]
    by_hand = 2 * _matmul_flops(encoder_layer) + 2 * _matmul_flops(decoder_layer) + \
        _matmul_flops(output)
    assert by_hand == 312_999_936
    assert forward_flops(c) == by_hand
    assert train_step_flops(c) == 3 * by_hand


def test_gradformer_worker_runs_one_training_step():
    micro = BenchConfig("micro", d_model=8, n_heads=2, n_encoder_layers=1, n_decoder_layers=1,
                        d_ff=12, vocab=20, batch=2, src_len=5, tgt_len=4)
    trainer = GradformerTrainer(micro)
    before = {n: p.numpy().copy() for n, p in trainer.model.named_parameters()}
    seconds, loss, phases = trainer.step()
    assert seconds > 0 and len(phases) == 3 and min(phases) >= 0
    assert math.isclose(sum(phases), seconds, rel_tol=1e-6)
    assert math.isfinite(loss) and 0 < loss < 2 * math.log(micro.vocab)
    changed = [n for n, p in trainer.model.named_parameters()
               if (p.numpy() != before[n]).any()]
    assert len(changed) == len(before)        # Adam moved every parameter
    info = trainer.info()
    assert info["params"] == sum(v.size for v in before.values())


def test_token_batches_repeat_and_header_starts_with_the_command():
    c = CONFIGS["tiny"]
    src, tgt = token_batch(c, seed=3)
    assert (src, tgt) == token_batch(c, seed=3)
    assert len(src) == c.batch and {len(r) for r in src} == {c.src_len}
    assert {len(r) for r in tgt} == {c.tgt_len + 1} and {r[0] for r in tgt} == {1}
    assert min(min(r) for r in src) >= 3          # no padding in the benchmark batches
    text = header(["--configs", "tiny"])
    assert text.splitlines()[0] == "$ python -m benchmarks --configs tiny"
    assert "Python" in text and "NumPy" in text and "date:" in text


def _copy_of_autograd(folder):
    """A second checkout holding only a copy of this one's autograd (not a git tree)."""
    shutil.copytree(ROOT + "/autograd", folder / "autograd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return str(folder)


def test_a_baseline_must_be_a_gradformer_checkout(tmp_path):
    with pytest.raises(argparse.ArgumentTypeError, match="no autograd/__init__.py"):
        baseline_checkout(str(tmp_path))
    assert baseline_checkout(_copy_of_autograd(tmp_path)) == str(tmp_path.resolve())
    text = header(["--only", "ops"], baselines=[ROOT])
    assert f"# baseline gradformer: git {git_revision(ROOT)} at {ROOT}" in text.splitlines()


def test_the_op_chain_refuses_an_autograd_from_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))     # OpChain puts the checkout first
    root = _copy_of_autograd(tmp_path)                   # but autograd is already imported here
    with pytest.raises(RuntimeError, match=f"autograd was to come from {root}, but was "
                                           f"imported from {ROOT}"):
        OpChain("gradformer", 4, root=root)


def test_a_baseline_checkout_runs_the_chain_in_its_own_worker(tmp_path):
    root = _copy_of_autograd(tmp_path)
    lines = []
    times = run_op_overhead(20, 2, frameworks=("gradformer",), baselines=[root],
                            out=lines.append)
    assert list(times) == ["gradformer", "gradformer@unknown"]      # not a git checkout
    assert all(len(fw) == len(bw) == 2 for fw, bw in times.values())
    assert [line.split()[0] for line in lines[3:5]] == list(times)
    assert lines[-1].startswith("# gradformer / gradformer@unknown (total us/op): ")


def test_the_data_parallel_cost_model_matches_a_hand_count():
    from benchmarks.data_parallel import efficiency, predicted_step, ring_bytes
    G = 100 * 2**20                                   # 100 MiB of gradients
    assert ring_bytes(2, G) == G and ring_bytes(8, G) == 1.75 * G and ring_bytes(64, G) == \
        63 / 32 * G
    # 8 machines, 10 Gbit/s, no latency: 1.75 * 100 MiB * 8 bits / 1e10 bit/s = 0.1468 s
    assert math.isclose(predicted_step(8, 0.5, G, 10, 0.0), 0.5 + 1.75 * G * 8 / 1e10)
    assert math.isclose(predicted_step(8, 0.5, G, 10, 1e-5), 0.5 + 1.75 * G * 8 / 1e10 + 14e-5)
    assert predicted_step(1, 0.5, G, 10, 1e-5) == 0.5 and efficiency(1, 0.5, G, 10, 1e-5) == 1
    assert math.isclose(efficiency(64, 0.5, G, 100, 0.0), 0.5 / (0.5 + 63 / 32 * G * 8 / 1e11))


def test_every_lever_of_the_lever_benchmark_can_be_switched_off():
    """benchmarks.levers names each CPU fast path; switching each off (in a
    fresh interpreter: it changes the backend's globals) changes what it says."""
    import subprocess
    script = (
        "from benchmarks import levers\n"
        "from autograd import backend\n"
        "from nn.optim.adam import Adam\n"
        "before = (backend._WORTH_SPLITTING, backend._WORTH_ROW_BLOCKS, backend.CHUNK,\n"
        "          backend.keep_mask, Adam._update_group, backend.scatter_add)\n"
        "for lever in levers.LEVERS.values():\n"
        "    if lever != 'malloc default':\n"
        "        levers._switch_off(lever)\n"
        "after = (backend._WORTH_SPLITTING, backend._WORTH_ROW_BLOCKS, backend.CHUNK,\n"
        "         backend.keep_mask, Adam._update_group, backend.scatter_add)\n"
        "print(sum(a is not b for a, b in zip(before, after)))\n"
        "try:\n"
        "    levers._switch_off('no such lever')\n"
        "except ValueError as e:\n"
        "    print(e)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["6", "unknown lever 'no such lever'"]


def test_thread_wake_reports_latencies_and_a_steps_hand_offs(capsys):
    """benchmarks.thread_wake measures (no timing asserted: only that every
    figure is there, that a step's hand-offs are counted, and that
    threads.run is put back)."""
    from autograd import threads
    from benchmarks import thread_wake
    run = threads.run
    latencies = thread_wake.wake_latency(0.0, repeats=5)
    assert len(latencies) == 5 and min(latencies) > 0
    thread_wake.main(["--repeats", "3", "--step", "tiny"])
    out = capsys.readouterr().out
    assert out.startswith("$ python -m benchmarks.thread_wake --repeats 3 --step tiny")
    assert out.count("wake-up after") == len(thread_wake.IDLE_SECONDS)
    assert "hand-off: one half alone" in out
    step_line = next(line for line in out.splitlines() if line.startswith("tiny training step"))
    calls = int(step_line.split(", ")[1].split()[0])
    # tiny's cross-entropy rows (512 x 1000) are cut for the threads when there are two
    assert (calls > 0) == (threads.get_num_threads() > 1)
    assert "waiting for the other thread" in step_line
    assert threads.run is run
