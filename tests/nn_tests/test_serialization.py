"""nn.save / nn.load: exact round trips on every device, model state dicts,
and every way a file or a state dict can be wrong."""
import json
import os
import zipfile

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import backend
from nn import serialization

from .helpers import assert_same_state, snapshot


def assert_same_tree(got, expected, device="cpu"):
    """Same structure, same Python types, same values, dtypes and shapes."""
    if isinstance(expected, ag.Tensor):
        assert isinstance(got, ag.Tensor)
        assert got.device.split(":")[0] == device
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        assert not got.requires_grad
    elif isinstance(expected, np.ndarray):
        assert isinstance(got, ag.Tensor) and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected)
        for k in expected:
            assert type(k) is type(next(g for g in got if g == k))
            assert_same_tree(got[k], expected[k], device)
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same_tree(g, e, device)
    else:
        assert type(got) is type(expected) and got == expected


def nested(device="cpu"):
    ag.manual_seed(0)
    return {
        "weights": ag.randn(3, 4, device=device),
        "double": ag.tensor([0.1, 1 / 3, -1e-300, 1e300], dtype=ag.float64, device=device),
        "ids": ag.tensor([[1, 2], [3, 4]], device=device),
        "mask": ag.tensor([True, False], device=device),
        "scalar": ag.tensor(2.5, device=device),
        "empty": ag.zeros(0, 3, device=device),
        "host": np.arange(5, dtype=np.int32),
        "config": {"d_model": 512, "lr": 0.1, "third": 1 / 3, "name": "base", "pre_norm": False,
                   "extra": None, "betas": (0.9, 0.98), "layers": [1, [2, 3], ()]},
        7: "an int key",
        "list_of_tensors": [ag.ones(2, device=device), (ag.zeros(1, device=device), "x")],
        "unicode": "héllo ✓",
    }


@pytest.mark.parametrize("save_from", ["cpu", "emu"])
def test_round_trip_is_exact(save_from, device, tmp_path):
    obj = nested(save_from)
    nn.save(obj, tmp_path / "x.npz")
    loaded = nn.load(tmp_path / "x.npz", device=device)
    assert_same_tree(loaded, obj, device)


def test_load_defaults_to_cpu(tmp_path):
    nn.save({"w": ag.ones(2, device="emu")}, tmp_path / "x.npz")
    assert nn.load(tmp_path / "x.npz")["w"].device == "cpu"


def test_top_level_values_of_any_kind(tmp_path):
    for obj in ([1, 2.0], (None,), "text", 3, ag.ones(2), None):
        nn.save(obj, tmp_path / "x.npz")
        expected = obj
        assert_same_tree(nn.load(tmp_path / "x.npz"), expected)


def test_the_file_is_npz_without_pickle(tmp_path):
    nn.save(nested(), tmp_path / "x.npz")
    with np.load(tmp_path / "x.npz", allow_pickle=False) as f:
        assert "__meta__" in f.files
        for name in f.files:
            assert f[name].dtype != object
        meta = json.loads(str(f["__meta__"]))
    assert meta["format"] == "gradformer" and meta["version"] == serialization.VERSION


def test_save_writes_the_exact_path_and_makes_folders(tmp_path):
    target = tmp_path / "a" / "b" / "ckpt"           # no .npz suffix added
    nn.save({"x": 1}, target)
    assert sorted(os.listdir(tmp_path / "a" / "b")) == ["ckpt"]
    assert nn.load(str(target)) == {"x": 1}


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a object at /config/bad"):
        nn.save({"config": {"bad": object()}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        nn.save({(1, 2): 3}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


# -- model state dicts -------------------------------------------------------

def make_model():
    model = nn.Sequential(nn.Embedding(6, 4, padding_idx=0), nn.LayerNorm(4), nn.Linear(4, 3))
    model.register_buffer("step", ag.tensor([7]))
    return model


def test_model_state_dict_round_trip(tmp_path):
    ag.manual_seed(0)
    a = make_model()
    nn.save(a.state_dict(), tmp_path / "m.npz")
    ag.manual_seed(1)
    b = make_model()
    b.step = ag.tensor([0])
    assert not np.array_equal(a[2].weight.numpy(), b[2].weight.numpy())
    params = list(b.parameters())
    missing, unexpected = b.load_state_dict(nn.load(tmp_path / "m.npz"))
    assert missing == [] and unexpected == []
    assert list(b.parameters()) == params              # loaded in place
    assert_same_state(snapshot(b), snapshot(a))
    ids = ag.tensor([[0, 3, 5]])
    np.testing.assert_array_equal(b(ids).numpy(), a(ids).numpy())


def test_model_state_dict_loads_onto_the_emulated_device(tmp_path):
    ag.manual_seed(0)
    a = make_model()
    nn.save(a.state_dict(), tmp_path / "m.npz")
    sd = nn.load(tmp_path / "m.npz", device="emu")
    assert all(v.device == "emu:0" for v in sd.values())
    b = make_model().to("emu")
    b.load_state_dict(sd)
    assert b.device == "emu:0"
    assert_same_state(snapshot(b), snapshot(a))
    c = make_model()                               # and from the device back to a cpu model
    c.load_state_dict(b.state_dict())
    assert c.device == "cpu"
    assert_same_state(snapshot(c), snapshot(a))


def test_loading_casts_to_the_model_dtype_and_copies(tmp_path):
    a = make_model()
    b = make_model().to(dtype=ag.float64)
    sd = a.state_dict()
    b.load_state_dict(sd)
    assert b[2].weight.dtype == ag.float64
    b[2].weight.data[...] = 0                       # no memory shared with the source
    assert np.abs(sd["2.weight"].numpy()).sum() > 0


def test_non_strict_load_reports_and_skips():
    a = make_model()
    sd = dict(a.state_dict())
    del sd["1.bias"]
    sd["extra"] = ag.zeros(1)
    b = make_model()
    missing, unexpected = b.load_state_dict(sd, strict=False)
    assert missing == ["1.bias"] and unexpected == ["extra"]
    np.testing.assert_array_equal(b[2].weight.numpy(), a[2].weight.numpy())


# -- what can go wrong -------------------------------------------------------

def saved_model_file(tmp_path, name="m.npz"):
    ag.manual_seed(0)
    path = tmp_path / name
    nn.save(make_model().state_dict(), path)
    return path


def load_into_fresh_model(sd):
    ag.manual_seed(1)
    model = make_model()
    before = snapshot(model)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(sd)
    assert_same_state(snapshot(model), before)       # nothing changed
    return str(info.value)


def edited_file(tmp_path, edit):
    """A saved model state dict with ``edit(dict)`` applied, saved again."""
    src = saved_model_file(tmp_path, "src.npz")
    sd = dict(nn.load(src))
    edit(sd)
    path = tmp_path / "edited.npz"
    nn.save(sd, path)
    return path


def test_missing_keys_name_the_file_and_the_keys(tmp_path):
    path = edited_file(tmp_path, lambda sd: (sd.pop("2.bias"), sd.pop("step")))
    msg = load_into_fresh_model(nn.load(path))
    assert str(path) in msg
    assert "missing keys: step, 2.bias" in msg and "nothing was changed" in msg


def test_unexpected_keys_name_the_file_and_the_keys(tmp_path):
    path = edited_file(tmp_path, lambda sd: sd.update({"3.weight": ag.zeros(2)}))
    msg = load_into_fresh_model(nn.load(path))
    assert str(path) in msg and "unexpected keys: 3.weight" in msg


def test_mis_shaped_keys_name_both_shapes(tmp_path):
    path = edited_file(tmp_path, lambda sd: sd.update({"2.weight": ag.zeros(4, 3),
                                                       "0.weight": ag.zeros(7, 4)}))
    msg = load_into_fresh_model(nn.load(path))
    assert str(path) in msg
    assert "2.weight: file (4, 3) vs model (3, 4)" in msg
    assert "0.weight: file (7, 4) vs model (6, 4)" in msg


def test_every_problem_is_reported_at_once(tmp_path):
    def edit(sd):
        sd.pop("1.weight")
        sd["2.weight"] = ag.zeros(1)
        sd["junk"] = 1.0
    msg = load_into_fresh_model(nn.load(edited_file(tmp_path, edit)))
    assert "1.weight" in msg and "2.weight" in msg and "junk" in msg


def test_a_problem_in_an_in_memory_dict_names_the_keys_only():
    sd = dict(make_model().state_dict())
    sd.pop("1.weight")
    msg = load_into_fresh_model(sd)
    assert msg.startswith("cannot load state dict into Sequential") and "1.weight" in msg


def test_nested_dicts_from_a_file_know_the_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"model": {"w": ag.zeros(2)}, "optimizer": {}}, path)
    loaded = nn.load(path)
    assert loaded.source == str(path) and loaded["model"].source == str(path)
    msg = load_into_fresh_model(loaded["model"])
    assert str(path) in msg and "unexpected keys: w" in msg


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        nn.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("keep", [0.5, 0.99, 10])
def test_truncated_file(tmp_path, keep):
    path = saved_model_file(tmp_path)
    data = path.read_bytes()
    cut = keep if isinstance(keep, int) else int(len(data) * keep)
    path.write_bytes(data[:cut])
    with pytest.raises(nn.CheckpointError, match=str(path)):
        nn.load(path)


def array_region(path, values: np.ndarray):
    """(start, end) byte offsets of ``values``' raw bytes inside the file."""
    data = path.read_bytes()
    start = data.find(values.tobytes())
    assert start > 0
    return start, start + values.nbytes


def test_corrupted_byte_in_the_middle(tmp_path):
    path = tmp_path / "big.npz"
    big = np.random.default_rng(0).standard_normal(5000)
    nn.save({"small": ag.ones(3), "big": ag.tensor(big), "tail": "x"}, path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    start, end = array_region(path, big)
    assert start < middle < end            # the byte flipped below is array data
    data[middle] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(nn.CheckpointError, match=str(path)):
        nn.load(path)


def test_checksums_catch_an_array_changed_behind_the_zip(tmp_path):
    # Rewrite one array with a valid zip container: only the checksum can notice.
    path = tmp_path / "m.npz"
    nn.save({"w": ag.tensor([1.0, 2.0, 3.0])}, path)
    with np.load(path, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    entries["a0"] = entries["a0"].copy()
    entries["a0"][1] = 2.5
    np.savez(path, **entries)
    with pytest.raises(nn.CheckpointError, match=r"array a0 is corrupted \(checksum mismatch\)"):
        nn.load(path)


def rewrite_meta(path, change):
    with np.load(path, allow_pickle=False) as f:
        entries = {k: f[k] for k in f.files}
    meta = json.loads(str(entries["__meta__"]))
    change(meta)
    entries["__meta__"] = backend.string_array(json.dumps(meta))
    with open(path, "wb") as f:
        backend.save_npz(f, entries)


def test_a_file_of_another_format_version(tmp_path):
    path = saved_model_file(tmp_path)
    rewrite_meta(path, lambda meta: meta.update(version=serialization.VERSION + 1))
    with pytest.raises(nn.CheckpointError,
                       match=f"{path}: format version {serialization.VERSION + 1}, but this "
                             f"gradformer reads version {serialization.VERSION}"):
        nn.load(path)


def test_a_file_of_another_format(tmp_path):
    path = saved_model_file(tmp_path)
    rewrite_meta(path, lambda meta: meta.update(format="other"))
    with pytest.raises(nn.CheckpointError, match="format 'other'"):
        nn.load(path)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    with pytest.raises(nn.CheckpointError, match=f"{plain}: not a gradformer file"):
        nn.load(plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(nn.CheckpointError, match=str(text)):
        nn.load(text)


def test_an_array_listed_in_meta_but_absent(tmp_path):
    path = tmp_path / "m.npz"
    nn.save({"w": ag.ones(2), "v": ag.ones(3)}, path)
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist() if n != "a1.npy"}
    with zipfile.ZipFile(path, "w") as z:
        for n, b in kept.items():
            z.writestr(n, b)
    with pytest.raises(nn.CheckpointError, match="array a1 is missing"):
        nn.load(path)


# -- atomic save -------------------------------------------------------------

@pytest.mark.parametrize("crash", [OSError("disk full"), KeyboardInterrupt()])
def test_a_crash_while_saving_keeps_the_previous_file(tmp_path, monkeypatch, crash):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": ag.tensor([1.0, 2.0]), "step": 1}, path)
    previous = path.read_bytes()

    def crashing_save(fileobj, arrays):
        fileobj.write(b"PK\x03\x04 half a zip file")
        raise crash

    monkeypatch.setattr(backend, "save_npz", crashing_save)
    with pytest.raises(type(crash)):
        nn.save({"w": ag.tensor([3.0, 4.0]), "step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]         # no temporary file left behind
    assert path.read_bytes() == previous
    loaded = nn.load(path)
    assert loaded["step"] == 1
    np.testing.assert_array_equal(loaded["w"].numpy(), [1.0, 2.0])


def test_a_crash_on_the_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crashing_save(fileobj, arrays):
        fileobj.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(backend, "save_npz", crashing_save)
    with pytest.raises(OSError):
        nn.save({"w": ag.ones(2)}, tmp_path / "ckpt.npz")
    assert os.listdir(tmp_path) == []


def test_saving_over_a_file_replaces_it(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"step": 1}, path)
    nn.save({"step": 2, "w": ag.ones(1)}, path)
    assert nn.load(path)["step"] == 2
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_metadata_without_checksums_is_a_checkpoint_error(tmp_path):
    import json as _json
    from autograd import backend as _backend
    path = tmp_path / "bad.npz"
    meta = {"format": "gradformer", "version": 1, "tree": {"value": 1}}
    with open(path, "wb") as f:
        _backend.save_npz(f, {"__meta__": _backend.string_array(_json.dumps(meta))})
    with pytest.raises(nn.CheckpointError, match="bad.npz: corrupted metadata"):
        nn.load(path)


def test_saved_files_follow_the_umask_not_mkstemp(tmp_path):
    old = os.umask(0o022)
    try:
        nn.save({"w": ag.ones(2)}, tmp_path / "x.npz")
        nn.save({"w": ag.ones(3)}, tmp_path / "x.npz")               # over an existing file
    finally:
        os.umask(old)
    assert (tmp_path / "x.npz").stat().st_mode & 0o777 == 0o644
