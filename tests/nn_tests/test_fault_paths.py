"""Every error path of nn, reached the way a user would reach it, with a
message that names the culprit: the layer, the argument, the shapes, the
keys, the file."""
import json
import os
import re
import zipfile

import numpy as np
import pytest

import autograd as ag
import nn
from nn.optim import (SGD, Adam, AdamW, ConstantSchedule, LRSchedule, NoamSchedule, Optimizer,
                      WarmupCosineSchedule)


def param(*shape):
    return nn.Parameter(ag.zeros(*shape))


# -- layers called with the wrong input ---------------------------------------------

def test_linear_with_the_wrong_input_width_names_both_shapes():
    with pytest.raises(ag.OpError, match=r"linear: input of shape \(2, 5\) does not fit a "
                                         r"weight of shape \(3, 4\) \(expected \(\.\.\., 4\)"):
        nn.Linear(4, 3)(ag.zeros(2, 5))


@pytest.mark.parametrize("make,name", [(lambda: nn.Linear(4, 3), "Linear"),
                                       (lambda: nn.LayerNorm(4), "LayerNorm"),
                                       (nn.GELU, "Gelu")])
def test_a_layer_given_a_numpy_array_names_the_op_and_the_input(make, name):
    with pytest.raises(TypeError, match=rf"^{name}: input 0 is a ndarray, not a Tensor "
                                        r"\(wrap it with autograd.tensor\(\)\)"):
        make()(np.ones((2, 4), dtype=np.float32))


@pytest.mark.parametrize("shape", [(2, 5), ()])
def test_layer_norm_with_the_wrong_last_dim_names_its_size_and_the_shape(shape):
    with pytest.raises(ValueError, match=rf"LayerNorm: expected the last axis of size 4, got "
                                         rf"input of shape {re.escape(str(shape))}"):
        nn.LayerNorm(4)(ag.zeros(*shape))
    with pytest.raises(ValueError, match=r"LayerNorm: expected the last axis of size 4"):
        nn.LayerNorm(4, elementwise_affine=False)(ag.zeros(*shape))


@pytest.mark.parametrize("ids,dtype", [(ag.tensor([1.0, 2.0]), "float32"),
                                       (np.array([[1.0]]), "float64"),
                                       (ag.tensor([True]), "bool")])
def test_embedding_with_non_integer_ids_names_their_dtype(ids, dtype):
    with pytest.raises(ag.OpError, match=rf"^embedding: ids must be integers, got {dtype}$"):
        nn.Embedding(5, 2)(ids)


@pytest.mark.parametrize("ids,bad", [([1, 9], 9), ([[0, -2]], -2), (ag.tensor([5]), 5)])
def test_embedding_with_ids_out_of_range_names_the_id_and_the_range(ids, bad):
    with pytest.raises(ag.OpError, match=rf"^embedding: ids contain {bad}, outside the valid "
                                         r"range \[0, 4\]$"):
        nn.Embedding(5, 2)(ids)


def test_embedding_padding_idx_out_of_range_names_it_and_the_range():
    with pytest.raises(ValueError, match=r"Embedding: padding_idx -6 is outside \[0, 5\)"):
        nn.Embedding(5, 3, padding_idx=-6)


@pytest.mark.parametrize("p", [1.5, -0.5])
def test_dropout_probability_is_named(p):
    with pytest.raises(ValueError, match=rf"^Dropout: p must be in \[0, 1\], got {p}$"):
        nn.Dropout(p)


def test_a_sequential_of_mismatched_layers_names_the_shapes_where_they_meet():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1))
    with pytest.raises(ag.OpError, match=r"linear: input of shape \(1, 3\) does not fit a "
                                         r"weight of shape \(1, 4\)"):
        model(ag.ones(1, 2))


# -- containers -------------------------------------------------------------------------

def test_containers_name_what_they_were_given():
    with pytest.raises(TypeError, match=r"^Sequential holds Modules, got function$"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match=r"^ModuleList holds Modules, got int$"):
        nn.ModuleList([nn.ReLU()]).insert(0, 3)


def test_module_list_assignment_out_of_range_names_index_and_length():
    ml = nn.ModuleList([nn.ReLU(), nn.GELU()])
    with pytest.raises(IndexError, match=r"^ModuleList assignment index 2 out of range for "
                                         r"length 2$"):
        ml[2] = nn.Tanh()
    with pytest.raises(IndexError, match=r"assignment index -3 out of range for length 2"):
        ml[-3] = nn.Tanh()


# -- losses -------------------------------------------------------------------------------

def test_mse_loss_reduction_is_named():
    with pytest.raises(ValueError, match=r"mse_loss: reduction must be one of \('mean', 'sum', "
                                         r"'none'\), got 'avg'"):
        nn.MSELoss(reduction="avg")(ag.ones(2), ag.ones(2))


@pytest.mark.parametrize("targets,pattern", [
    (ag.tensor([True, False]), r"targets must be integer class ids or class probabilities, "
                               r"got bool"),
    (ag.tensor([0.0, 1.0]), r"class probabilities of shape \(2,\) do not match logits of "
                            r"shape \(2, 3\)"),
    (ag.tensor([0, 3]), r"targets contain 3, outside the valid range \[0, 2\]"),
    (ag.tensor([[0, 1]]), r"targets of shape \(1, 2\) do not match logits of shape \(2, 3\)"),
    ([0, 1, 1], r"targets of shape \(3,\) do not match logits of shape \(2, 3\) "
                r"\(expected \(2,\)"),
])
def test_cross_entropy_loss_with_bad_targets_names_them(targets, pattern):
    with pytest.raises(ag.OpError, match=r"^cross_entropy: " + pattern):
        nn.CrossEntropyLoss()(ag.zeros(2, 3), targets)


def test_cross_entropy_loss_ignores_only_the_ignore_index():
    with pytest.raises(ag.OpError, match=r"cross_entropy: targets contain 5, outside the "
                                         r"valid range \[0, 2\]"):
        nn.CrossEntropyLoss(ignore_index=0)(ag.zeros(2, 3), ag.tensor([0, 5]))


# -- init ---------------------------------------------------------------------------------

def test_fan_based_init_of_a_vector_names_its_shape():
    for init in (nn.init.xavier_uniform_, nn.init.xavier_normal_, nn.init.kaiming_normal_):
        with pytest.raises(ValueError, match=r"fan in/out need a tensor of at least 2 "
                                             r"dimensions, got shape \(5,\)"):
            init(param(5))


def test_kaiming_with_an_unknown_nonlinearity_names_it_and_the_choices():
    with pytest.raises(ValueError, match=r"kaiming init: unknown nonlinearity 'relu6'; choose "
                                         r"one of relu, linear, tanh, leaky_relu"):
        nn.init.kaiming_uniform_(param(3, 3), nonlinearity="relu6")


# -- optimizers and schedules -----------------------------------------------------------------

@pytest.mark.parametrize("opt", [SGD, Adam, AdamW])
def test_an_empty_parameter_list_names_the_optimizer(opt):
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: got an empty parameter list$"):
        opt([], lr=0.1)


@pytest.mark.parametrize("params,what", [
    ([nn.Parameter(ag.zeros(2)), ag.zeros(3, 2)],
     r"parameter 1 of group 0 is a tensor of shape \(3, 2\) that does not require grad"),
    ([[1.0]], r"parameter 0 of group 0 is a list"),
    (nn.Sequential(nn.Tanh()), r"parameter 0 of group 0 is a Tanh"),
    ([{"params": [nn.Parameter(ag.zeros(1))]}, {"params": [ag.zeros(4)]}],
     r"parameter 0 of group 1 is a tensor of shape \(4,\)"),
])
def test_what_cannot_be_optimised_is_named(params, what):
    with pytest.raises(ValueError, match=r"^SGD: can only optimise tensors that require grad; "
                                         + what):
        SGD(params, lr=0.1)


@pytest.mark.parametrize("params,kind", [(nn.Tanh(), "Tanh"),
                                         (nn.Parameter(ag.zeros(2)), "Parameter"),
                                         (None, "NoneType")])
def test_passing_a_module_or_a_tensor_instead_of_parameters_is_named(params, kind):
    with pytest.raises(TypeError, match=rf"^Adam: params must be an iterable of tensors .*"
                                        rf"model.parameters\(\).*got {kind}$"):
        Adam(params)


def test_sgd_nesterov_names_momentum_and_dampening():
    with pytest.raises(ValueError, match=r"SGD: Nesterov momentum needs momentum > 0 and "
                                         r"dampening = 0, got momentum=0.9, dampening=0.1"):
        SGD([param(2)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


@pytest.mark.parametrize("opt", [Adam, AdamW])
def test_adam_betas_are_named(opt):
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: betas must be in \[0, 1\), "
                                         r"got \(0.9, 1.0\)$"):
        opt([param(2)], betas=(0.9, 1.0))


def test_an_optimizer_state_of_other_groups_names_both_layouts():
    a, b = param(2), param(3)
    saved = Adam([a]).state_dict()
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: the saved parameter groups do "
                                         r"not match .*saved \[1\] parameters per group, this "
                                         r"optimizer has \[2\]"):
        Adam([a, b]).load_state_dict(saved)


def test_warmup_cosine_names_both_step_counts():
    with pytest.raises(ValueError, match=r"WarmupCosineSchedule: total_steps must exceed "
                                         r"warmup_steps, got total_steps=5, warmup_steps=10"):
        WarmupCosineSchedule(SGD([param(2)], lr=0.1), warmup_steps=10, total_steps=5)


@pytest.mark.parametrize("peak_lr", [None, 1e-3])
def test_noam_without_warmup_names_it(peak_lr):
    with pytest.raises(ValueError, match=r"^NoamSchedule: warmup_steps must be at least 1, "
                                         r"got 0$"):
        NoamSchedule(SGD([param(2)], lr=0.1), d_model=8, warmup_steps=0, peak_lr=peak_lr)


@pytest.mark.parametrize("schedule", [WarmupCosineSchedule, ConstantSchedule])
def test_a_negative_warmup_is_named(schedule):
    opt = SGD([param(2)], lr=0.1)
    extra = dict(total_steps=10) if schedule is WarmupCosineSchedule else {}
    with pytest.raises(ValueError, match=rf"^{schedule.__name__}: warmup_steps must be at least "
                                         r"0, got -1$"):
        schedule(opt, warmup_steps=-1, **extra)


@pytest.mark.parametrize("opt", [SGD, Adam, AdamW])
@pytest.mark.parametrize("lr", [-1.0, float("nan"), float("inf")])
def test_a_negative_or_nan_learning_rate_is_refused(opt, lr):
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: lr must be a finite number >= 0, "
                                         rf"got {lr}$"):
        opt([param(2)], lr=lr)


def test_a_bad_learning_rate_in_a_parameter_group_names_the_group():
    with pytest.raises(ValueError, match=r"^Adam: lr of group 1 must be a finite number >= 0, "
                                         r"got -0.5$"):
        Adam([{"params": [param(2)]}, {"params": [param(1)], "lr": -0.5}])


@pytest.mark.parametrize("opt,settings,pattern", [
    (Adam, dict(betas=(float("nan"), 0.9)), r"betas must be in \[0, 1\), got \(nan, 0.9\)"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas must be in \[0, 1\), got \(0.9, -0.1\)"),
    (AdamW, dict(eps=-1e-8), r"eps must be a finite number >= 0, got -1e-08"),
    (Adam, dict(weight_decay=-0.1), r"weight_decay must be a finite number >= 0, got -0.1"),
    (SGD, dict(lr=0.1, momentum=-0.9), r"momentum must be a finite number >= 0, got -0.9"),
    (SGD, dict(lr=0.1, weight_decay=float("nan")),
     r"weight_decay must be a finite number >= 0, got nan"),
])
def test_invalid_optimizer_settings_are_named(opt, settings, pattern):
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: {pattern}$"):
        opt([param(2)], **settings)


def test_an_optimizer_or_schedule_without_its_rule_names_the_class():
    class Bare(Optimizer):
        pass

    p = param(2)
    p.grad = ag.ones(2)
    with pytest.raises(NotImplementedError, match=r"^Bare has no _update\(p, grad, state, "
                                                  r"group\)$"):
        Bare([p], {"lr": 0.1}).step()
    with pytest.raises(NotImplementedError, match=r"^LRSchedule has no factor\(step\)$"):
        LRSchedule(SGD([p], lr=0.1))


# -- functional_call ------------------------------------------------------------------------

def test_functional_call_with_unknown_names_lists_them():
    with pytest.raises(KeyError, match=r"functional_call: no parameters named \['nope', "
                                       r"'w'\]"):
        nn.functional_call(nn.Linear(2, 2), {"w": ag.zeros(1), "nope": ag.zeros(1)},
                           ag.zeros(1, 2))


# -- state dicts and files ------------------------------------------------------------------

def test_a_state_dict_with_wrong_keys_names_them():
    lin = nn.Linear(2, 3)
    with pytest.raises(nn.StateDictError, match=r"cannot load state dict into Linear \(nothing "
                                                r"was changed\): missing keys: bias \| "
                                                r"unexpected keys: bais"):
        lin.load_state_dict({"weight": ag.zeros(3, 2), "bais": ag.zeros(3)})


def test_save_names_a_bad_key_and_where_it_is(tmp_path):
    with pytest.raises(TypeError, match=r"save: dict keys must be str or int, got \(1, 2\) at "
                                        r"top"):
        nn.save({(1, 2): 3}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"save: dict keys must be str or int, got True at "
                                        r"/model"):
        nn.save({"model": {True: 3}}, tmp_path / "x.npz")


def test_loading_a_file_that_is_not_npz_names_it(tmp_path):
    npy = tmp_path / "weights.npy"
    np.save(npy, np.ones(3))
    text = tmp_path / "notes.npz"
    text.write_text("just some text\n")
    for path in (npy, text, tmp_path / "empty.npz"):
        path.touch()
        with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: not a gradformer "
                                                     r"checkpoint \(not an .npz file\)$") as e:
            nn.load(path)
        assert "pickle" not in str(e.value)


def test_loading_a_folder_a_fifo_or_a_device_says_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for path, kind in ((tmp_path, "a directory"), (fifo, "a FIFO"), ("/dev/null", "a device")):
        with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: not a regular "
                                                     rf"file \({kind}\)$"):
            nn.load(path)                  # never opened: a FIFO would block here


def test_an_entry_the_metadata_does_not_name_is_refused_before_it_is_inflated(tmp_path,
                                                                              monkeypatch):
    path = tmp_path / "bomb.npz"
    nn.save({"w": ag.ones(3)}, path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.npy", b"\0" * (1 << 24))              # 16 MiB of zeros, deflated tiny
    assert path.stat().st_size < 1 << 20
    inflated = []                          # every zip entry opened for reading
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *args, **kwargs:
                        inflated.append(getattr(name, "filename", name)) or
                        real_open(self, name, *args, **kwargs))
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: unknown entries "
                                                 r"\['zeros.npy'\] \(not named by its "
                                                 r"metadata\)$"):
        nn.load(path)
    assert "zeros.npy" not in inflated


def test_save_refuses_object_arrays_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"^save: cannot store an array of dtype object at "
                                        r"/model/w \(it would need pickle\)$"):
        nn.save({"model": {"w": np.array([1, "a"], dtype=object)}}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def _npz_with_meta(path, meta_text, **arrays):
    np.savez(path, __meta__=np.array(meta_text), **arrays)
    return path


def test_metadata_that_is_not_json_names_the_file(tmp_path):
    path = _npz_with_meta(tmp_path / "bad.npz", "{not json")
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: corrupted "
                                                 r"metadata: Expecting"):
        nn.load(path)


@pytest.mark.parametrize("meta,kind", [([1, 2], "list"), (5, "int")])
def test_metadata_that_is_not_a_json_object_names_the_file(tmp_path, meta, kind):
    path = _npz_with_meta(tmp_path / "odd.npz", json.dumps(meta))
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: corrupted "
                                                 rf"metadata \(a JSON {kind}, not an object\)$"):
        nn.load(path)


@pytest.mark.parametrize("tree,culprit", [({"array": "a9"}, "'a9'"), ({"bogus": 1}, "'value'"),
                                          ([1], "list indices")])
def test_metadata_whose_tree_does_not_fit_the_arrays_names_the_file(tmp_path, tree, culprit):
    meta = {"format": "gradformer", "version": 1, "sha256": {}, "tree": tree}
    path = _npz_with_meta(tmp_path / "tree.npz", json.dumps(meta))
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: corrupted metadata "
                                                 rf"\(the tree does not fit the arrays: .*"
                                                 rf"{culprit}"):
        nn.load(path)
