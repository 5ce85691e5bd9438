"""nn.parallel: 2 ranks on shared memory against one process with the
concatenated batch (gradients, Adam steps), the broadcast of weights and
optimizer state, the digest check, the collective timeout, the README's
two-line change; and, without MPI, the one-line setup errors and the
buffer packing."""
import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import nn
from mpi_ranks import ROOT, run_on
from nn.parallel import flat, world

from .parallel_cases import adam_steps, full_batch, gradients, loss_of, micro_model

WORKER = pathlib.Path(__file__).with_name("parallel_worker.py")


def readme_program():
    """The data-parallel XOR loop of the README: its diff, applied."""
    text = (pathlib.Path(ROOT) / "README.md").read_text()
    (diff,) = re.findall(r"```diff\n(.*?)```", text, re.S)
    lines = diff.splitlines()
    assert sum(line.startswith("+") for line in lines) == 2       # "two lines"
    return "\n".join(line[1:] for line in lines if not line.startswith("-")) + "\n"


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("parallel")
    program = out / "xor_data_parallel.py"
    program.write_text(readme_program())
    proc = run_on(2, [str(WORKER), str(out), str(program)], timeout=120, cwd=str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ranks = [{"arrays": nn.load(out / f"rank{r}.npz"),
              **json.loads((out / f"rank{r}.json").read_text())} for r in range(2)]
    return ranks


def _numpy(tree):
    return {k: v.numpy() for k, v in tree.items()}


def _reference_gradients(dtype):
    model = micro_model(dtype)
    loss_of(model, full_batch(2)).backward()
    return gradients(model)


def test_two_ranks_average_to_the_gradient_of_the_concatenated_batch(two_ranks):
    ranks = two_ranks
    # Tolerances relative to the largest gradient of the model (some, such
    # as the key biases', are zero up to rounding): float64 to 1e-12, float32
    # to a few float32 roundings (eps = 1.2e-7).
    for dtype, tolerance in (("float64", 1e-12), ("float32", 1e-6)):
        one_process = _reference_gradients(dtype)
        scale = max(np.abs(g).max() for g in one_process.values())
        for r in ranks:
            got = _numpy(r["arrays"][f"grads_{dtype}"])
            assert got.keys() == one_process.keys()
            for name, g in one_process.items():
                assert got[name].dtype == g.dtype
                np.testing.assert_allclose(got[name], g, rtol=0, atol=tolerance * scale,
                                           err_msg=f"{dtype} {name}")
        a, b = (_numpy(r["arrays"][f"grads_{dtype}"]) for r in ranks)
        assert all((a[k] == b[k]).all() for k in a)               # identical on both ranks


def test_the_wrapper_averages_in_backward_and_adam_steps_match_one_process(two_ranks):
    ranks = two_ranks
    one_process = _reference_gradients("float64")
    reference = adam_steps(micro_model("float64"), full_batch(2))
    start = micro_model("float64")
    for r in ranks:
        grads = _numpy(r["arrays"]["ddp_grads"])
        scale = max(np.abs(g).max() for g in one_process.values())
        for name, g in one_process.items():
            np.testing.assert_allclose(grads[name], g, rtol=0, atol=1e-12 * scale, err_msg=name)
        after = _numpy(r["arrays"]["ddp_adam"])
        for name, p in reference.items():
            assert not np.array_equal(p, start.state_dict()[name].numpy())   # training moved it
            # 1e-9: Adam divides by sqrt(v) + 1e-8, which magnifies the rounding
            # noise of gradients that are zero in exact arithmetic (key biases).
            np.testing.assert_allclose(after[name], p, rtol=0, atol=1e-9, err_msg=name)
    a, b = (_numpy(r["arrays"]["ddp_adam"]) for r in ranks)
    assert all((a[k] == b[k]).all() for k in a)                   # replicas stay identical


def test_broadcast_gives_every_rank_rank_0s_weights_and_optimizer_state(two_ranks):
    r0, r1 = two_ranks
    before0, before1 = _numpy(r0["arrays"]["broadcast_before"]), _numpy(r1["arrays"]["broadcast_before"])
    assert not all(np.array_equal(before0[k], before1[k]) for k in before0)  # different inits
    for r in (r0, r1):
        after = _numpy(r["arrays"]["broadcast_after"])
        assert all(np.array_equal(after[k], before0[k]) for k in before0)
    m0, m1 = _numpy(r0["arrays"]["broadcast_moments"]), _numpy(r1["arrays"]["broadcast_moments"])
    assert sorted(m0) == sorted(m1) and len(m0) == 8         # exp_avg, exp_avg_sq of 4 tensors
    assert all(np.array_equal(m0[k], m1[k]) and np.abs(m0[k]).max() > 0 for k in m0)
    assert r0["optimizer_steps"] == r1["optimizer_steps"] == [1, 1, 1, 1]


def test_shards_are_disjoint_and_equal_in_size(two_ranks):
    r0, r1 = two_ranks
    assert (r0["shard"], r1["shard"]) == ([0, 2, 4], [1, 3, 5])


def test_ranks_that_disagree_get_one_line_naming_what_differs(two_ranks):
    r0, r1 = two_ranks
    assert r0["disagreement"] == r1["disagreement"]
    message = r0["disagreement"]
    assert "\n" not in message and "disagree on the vocabularies" in message
    assert "model configuration" not in message                  # that one agreed
    assert re.search(r"digest \w{12} on rank 0; digest \w{12} on rank 1", message)


def test_a_collective_that_a_rank_does_not_join_times_out(two_ranks):
    r0, r1 = two_ranks
    assert r0["timeout"] is not None and "waited 0.5 s for a sum" in r0["timeout"]
    assert "GRADFORMER_COLLECTIVE_TIMEOUT" in r0["timeout"]
    assert 0.5 <= r0["timeout_after_s"] < 3.0                       # before rank 1 came
    assert r1["timeout"] is None                                  # it joined, late


def test_the_readme_two_line_change_trains_on_two_ranks(two_ranks):
    r0, r1 = two_ranks
    assert r0["readme_prediction"] == r1["readme_prediction"] == [0, 1, 1, 0]
    a, b = (_numpy(r["arrays"]["readme_weights"]) for r in (r0, r1))
    assert all(np.array_equal(a[k], b[k]) for k in a)             # both ranks, one model


# -- without MPI -----------------------------------------------------------------------

def test_importing_the_library_and_the_training_command_loads_no_mpi4py():
    code = ("import sys, nn, transformer, transformer.train, transformer.trainer; "
            "print(sorted(m for m in sys.modules if m.startswith('mpi4py')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_init_without_mpi4py_says_how_to_install_it(no_world):
    no_world.setitem(sys.modules, "mpi4py", None)
    no_world.setenv("PMI_RANK", "0")
    with pytest.raises(nn.parallel.MPIUnavailableError, match=r'pip install -e "\.\[mpi\]"'):
        nn.parallel.init()


def test_init_outside_an_mpi_launcher_says_to_use_mpiexec(no_world):
    pytest.importorskip("mpi4py", reason="the launcher check comes after mpi4py's import")
    with pytest.raises(nn.parallel.NotUnderMPIError, match="mpiexec -n 2"):
        nn.parallel.init()
    assert not nn.parallel.is_initialized()


def test_a_bad_timeout_is_refused(no_world):
    no_world.setenv(world.TIMEOUT_VARIABLE, "soon")
    with pytest.raises(nn.parallel.ParallelError, match="GRADFORMER_COLLECTIVE_TIMEOUT='soon'"):
        nn.parallel.init()


def test_arrays_pack_into_one_buffer_per_dtype_in_order():
    arrays = [ag.randn(2, 3).data, ag.randn(4, dtype=ag.float64).data, ag.randn(5).data,
              ag.tensor(7.0).data]
    buckets = flat.packed(arrays)
    assert [(str(b.dtype), b.size) for b in buckets] == [("float32", 12), ("float64", 4)]
    assert [index for index, _, _ in buckets[0].members] == [0, 2, 3]
    assert buckets[0].buffer.shape == (12,)
    for b in buckets:
        for index, view in b.views():
            assert view.shape == arrays[index].shape
            np.testing.assert_array_equal(view, arrays[index])
    buckets[0].buffer[:] = 0                  # a view is the buffer, not a copy
    assert all((view == 0).all() for _, view in buckets[0].views())
