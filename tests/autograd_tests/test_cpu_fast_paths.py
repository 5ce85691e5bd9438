"""The CPU fast paths of the backend against the plain computation they
replace: the same bits where the arithmetic is the same."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd as ag
from autograd import backend, threads


@pytest.fixture
def thread_count():
    """Set the CPU thread count for one test, restored afterwards."""
    before = threads.get_num_threads()
    yield threads.set_num_threads
    threads.set_num_threads(before)


def _attention_operands(B=16, h=4, T=8, d_k=8, seed=0):
    """q and k as attention has them: strided head-split views of one projection."""
    x = np.random.default_rng(seed).standard_normal((B, T, 2 * h * d_k)).astype(np.float32)
    q = x[..., :h * d_k].reshape(B, T, h, d_k).transpose(0, 2, 1, 3)      # (B, h, T, d_k)
    k = x[..., h * d_k:].reshape(B, T, h, d_k).transpose(0, 2, 1, 3)
    return q, k


@pytest.mark.parametrize("n", [2, 3])
def test_a_stack_of_small_products_split_over_threads_is_bit_for_bit_numpys(
        n, thread_count, monkeypatch):
    thread_count(n)
    monkeypatch.setattr(backend, "_WORTH_SPLITTING", 0)     # split even these small stacks
    q, k = _attention_operands()
    cases = [(q, k.swapaxes(-1, -2)),                               # scores: q @ k^T
             (np.ascontiguousarray(q), np.ascontiguousarray(k.swapaxes(-1, -2))),
             (q[:5].astype(np.float64), k[:5].swapaxes(-1, -2).astype(np.float64))]
    for a, b in cases:
        assert backend._split_of(a, b) == "stack"
        got = backend.matmul(a, b)
        assert got.dtype == a.dtype and got.shape == np.matmul(a, b).shape
        np.testing.assert_array_equal(got, np.matmul(a, b))


def test_products_the_split_does_not_fit_go_to_numpy_unchanged(monkeypatch):
    monkeypatch.setattr(backend, "_WORTH_SPLITTING", 0)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 5)).astype(np.float32)
    others = [rng.standard_normal((5, 2)).astype(np.float32),           # 2-D weight
              rng.standard_normal((1, 5, 2)).astype(np.float32),        # broadcast batch
              rng.standard_normal((4, 5, 2))]                           # float64 with float32
    for b in others:
        assert backend._split_of(a, b) is None
        np.testing.assert_array_equal(backend.matmul(a, b), np.matmul(a, b))
    ints = np.arange(24).reshape(2, 3, 4)
    assert backend._split_of(ints, ints.swapaxes(-1, -2)) is None


@pytest.mark.parametrize("n", [2, 3])
def test_a_large_product_cut_into_row_blocks_is_the_product_and_repeats_exactly(
        n, thread_count, monkeypatch):
    """Row blocks over the threads: BLAS's rounding for a given thread count
    (as with BLAS's own threads), the same bits on every call, and with one
    thread NumPy's own call."""
    thread_count(n)
    monkeypatch.setattr(backend, "_WORTH_ROW_BLOCKS", 1 << 20)    # cut even these products
    rng = np.random.default_rng(6)
    a = rng.standard_normal((1100, 96)).astype(np.float32)
    w = rng.standard_normal((40, 96)).astype(np.float32)
    x3 = rng.standard_normal((5, 220, 96)).astype(np.float32)
    for left, right in [(a, w.T), (a.T.copy().T, w.T), (x3, w.T)]:
        assert backend._split_of(left, right) == "rows"
        got = backend.matmul(left, right)
        assert got.shape == np.matmul(left, right).shape and got.dtype == np.float32
        np.testing.assert_allclose(got, np.matmul(left.astype(np.float64), right), rtol=1e-4,
                                   atol=1e-4)
        np.testing.assert_array_equal(got, backend.matmul(left, right))
    thread_count(1)
    assert backend._split_of(a, w.T) is None
    np.testing.assert_array_equal(backend.matmul(a, w.T), np.matmul(a, w.T))


def test_one_thread_never_splits(thread_count, monkeypatch):
    thread_count(1)
    monkeypatch.setattr(backend, "_WORTH_SPLITTING", 0)
    q, k = _attention_operands()
    assert backend._split_of(q, k.swapaxes(-1, -2)) is None


def test_attention_through_autograd_matches_the_plain_product_and_its_gradient(monkeypatch):
    monkeypatch.setattr(backend, "_WORTH_SPLITTING", 0)
    q, k = _attention_operands(seed=2)
    tq, tk = ag.tensor(q, requires_grad=True), ag.tensor(k, requires_grad=True)
    scores = tq @ tk.swapaxes(-1, -2)
    g = np.random.default_rng(3).standard_normal(scores.shape).astype(np.float32)
    (scores * ag.tensor(g)).sum().backward()
    kt = k.swapaxes(-1, -2)
    np.testing.assert_array_equal(scores.numpy(), np.matmul(q, kt))
    np.testing.assert_array_equal(tq.grad.numpy(), np.matmul(g, kt.swapaxes(-1, -2)))
    np.testing.assert_array_equal(tk.grad.numpy(),
                                  np.matmul(q.swapaxes(-1, -2), g).swapaxes(-1, -2))


def test_threads_run_every_job_once_and_raise_their_errors(thread_count):
    thread_count(2)
    done = []
    threads.run([lambda i=i: done.append(i) for i in range(5)])
    assert sorted(done) == list(range(5))

    def fail():
        raise KeyError("job 2")
    with pytest.raises(KeyError, match="job 2"):
        threads.run([lambda: None, fail])
    assert threads.split(5, 2) == [slice(0, 2), slice(2, 5)]
    assert threads.split(1, 3) == [slice(0, 1)]
    with pytest.raises(ValueError, match="set_num_threads"):
        threads.set_num_threads(0)


def test_elementwise_in_chunks_is_the_whole_call_and_leaves_strided_arrays_whole(
        thread_count, monkeypatch):
    thread_count(2)
    monkeypatch.setattr(backend, "CHUNK", 7)
    calls = []

    def axpy(y, x):                       # y = 2 y + x, in place
        calls.append(y.size)
        y *= 2
        y += x
    rng = np.random.default_rng(4)
    y, x = rng.standard_normal((10, 5)), rng.standard_normal((10, 5))
    strided = rng.standard_normal((6, 4))
    expected, expected_strided = 2 * y + x, 2 * strided + strided
    backend.elementwise_in_chunks([(axpy, (y, x)), (axpy, (strided.T, strided.T.copy()))])
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(strided, expected_strided)
    assert sorted(calls) == sorted([7] * 7 + [1] + [24])      # 50 in chunks of 7; one whole


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_the_dropout_mask_keeps_each_value_with_probability_one_minus_p(p):
    ag.manual_seed(0)
    n = 1_000_001                                         # odd: half a 64-bit draw left over
    keep = backend.keep_mask(np.empty(n, np.float32), p)
    assert keep.dtype == bool and keep.shape == (n,)
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(keep.mean() - (1 - p)) < 5 * sigma
    ag.manual_seed(0)
    np.testing.assert_array_equal(backend.keep_mask(np.empty(n, np.float32), p), keep)
    assert backend.keep_mask(np.empty((0, 3)), p).shape == (0, 3)


@pytest.mark.skipif(not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"),
                    reason="keep_freed_memory tunes glibc's malloc; this libc is not glibc")
def test_freed_memory_is_reused_without_page_faults():
    """After importing autograd, a 64 MiB array freed and made again costs no
    page faults (with GRADFORMER_KEEP_FREED_MEMORY=0 it costs at least 32)."""
    script = textwrap.dedent("""
        import resource
        import numpy as np
        import autograd
        def faults():
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(2):
            a = np.ones(1 << 24, np.float32); del a
        before = faults()
        a = np.ones(1 << 24, np.float32)
        print(faults() - before)
        """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    counts = {}
    for setting in ("1", "0"):
        env = dict(os.environ, GRADFORMER_KEEP_FREED_MEMORY=setting)
        run = subprocess.run([sys.executable, "-c", script], cwd=root, env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        counts[setting] = int(run.stdout)
    assert counts["1"] < 8 and counts["0"] >= 32, counts


@pytest.mark.parametrize("n", [2, 3])
def test_a_large_mask_drawn_by_threads_is_the_one_thread_mask(n, thread_count):
    """Each thread draws its piece of one random stream (PCG64 jumps ahead
    exactly): the same mask, and the generator left in the same state."""
    masks, states = [], []
    for count in (1, n):
        thread_count(count)
        ag.manual_seed(7)
        masks.append(backend.keep_mask(np.empty((3, backend.CHUNK + 1), np.float32), 0.25))
        states.append(backend.generator("cpu").bit_generator.state)
        masks.append(ag.rand(5).numpy())                  # the stream goes on alike
    np.testing.assert_array_equal(masks[0], masks[2])
    np.testing.assert_array_equal(masks[1], masks[3])
    assert states[0] == states[1]


def test_scatter_add_of_whole_rows_is_add_at_bit_for_bit():
    rng = np.random.default_rng(5)
    index = np.array([3, 0, 3, -1, 2, 3, 0])                 # repeats and a negative index
    values = rng.standard_normal((7, 4, 5)).astype(np.float32)
    target = rng.standard_normal((6, 4, 5)).astype(np.float32)
    expected = target.copy()
    np.add.at(expected, index, values)
    backend.scatter_add(target, index, values)
    np.testing.assert_array_equal(target, expected)
