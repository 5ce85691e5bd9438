"""Every error path of autograd, reached through the public API, with a
message that names the culprit: the op, the argument, the shapes, the dtype,
the tensor."""
import re

import numpy as np
import pytest

import autograd as ag
import autograd.functional as F


def f64(*shape, grad=True):
    return ag.ones(*shape, dtype=ag.float64, requires_grad=grad)


# -- axes --------------------------------------------------------------------

@pytest.mark.parametrize("axis", ["a", 1.0, (0, None)])
def test_an_axis_that_is_not_an_int_names_the_op_and_the_axis(axis):
    with pytest.raises(ag.OpError, match=rf"sum: axis must be an int or a tuple of ints, "
                                         rf"got {re.escape(repr(axis))}"):
        ag.ones(2, 3).sum(axis=axis)


@pytest.mark.parametrize("op,axis,fn", [
    ("sum", 2, lambda x: x.sum(axis=2)),
    ("mean", -3, lambda x: x.mean(axis=(0, -3))),
    ("max", -4, lambda x: x.max(axis=-4)),
    ("min", 2, lambda x: x.min(axis=2)),
    ("var", 2, lambda x: x.var(axis=2)),
    ("logsumexp", 3, lambda x: x.logsumexp(axis=3)),
    ("softmax", 5, lambda x: ag.softmax(x, axis=5)),
    ("log_softmax", 2, lambda x: ag.log_softmax(x, axis=2)),
    ("argmax", 3, lambda x: x.argmax(axis=3)),
    ("argmin", -3, lambda x: x.argmin(axis=-3)),
    ("swapaxes", 2, lambda x: x.swapaxes(0, 2)),
    ("squeeze", 5, lambda x: x.squeeze(5)),
    ("unsqueeze", 4, lambda x: x.unsqueeze(4)),
    ("concatenate", 2, lambda x: ag.concatenate([x, x], axis=2)),
    ("split", 2, lambda x: x.split(2, axis=2)),
])
def test_an_axis_out_of_range_names_the_op_the_axis_and_the_rank(op, axis, fn):
    ndim = 3 if op == "unsqueeze" else 2
    with pytest.raises(ag.OpError, match=rf"^{op}: axis {axis} is out of range for a tensor "
                                         rf"of {ndim} dimensions$"):
        fn(ag.ones(2, 3))


def test_a_repeated_axis_is_named():
    with pytest.raises(ag.OpError, match=r"sum: axis 1 repeated in \(1, -1\)"):
        ag.ones(2, 3).sum(axis=(1, -1))


@pytest.mark.parametrize("fn", [lambda x: x.sum(axis=2), lambda x: x.mean(axis=(0, -3)),
                                lambda x: ag.softmax(x, axis=5), lambda x: x.max(axis=-4)])
def test_invalid_axis(fn):
    with pytest.raises(ValueError, match="out of range for a tensor of 2 dimensions"):
        fn(ag.ones(2, 3))


# -- elementwise and comparison ops with shapes that do not broadcast --------

@pytest.mark.parametrize("name,fn", [
    ("Add", lambda a, b: a + b), ("Sub", lambda a, b: a - b), ("Mul", lambda a, b: a * b),
    ("Div", lambda a, b: a / b), ("Pow", lambda a, b: a ** b), ("Maximum", ag.maximum),
    ("Minimum", ag.minimum),
])
def test_binary_ops_name_the_op_and_both_shapes(name, fn):
    with pytest.raises(ag.OpError, match=rf"^{name}: .*\(input shapes: \(3, 4\), \(5,\)\)$"):
        fn(ag.ones(3, 4), ag.ones(5))


def test_a_numpy_array_meeting_a_tensor_names_the_op_and_both_shapes():
    with pytest.raises(ag.OpError, match=r"^Sub: .*\(input shapes: \(5,\), \(3, 4\)\)$"):
        np.ones(5) - ag.ones(3, 4)


def test_where_names_the_op_and_the_three_shapes():
    with pytest.raises(ag.OpError, match=r"^Where: .*\(input shapes: \(2,\), \(3,\), \(3,\)\)"):
        ag.where(ag.ones(2) > 0, ag.ones(3), ag.ones(3))


@pytest.mark.parametrize("name,fn", [
    ("less", lambda a, b: a < b), ("less_equal", lambda a, b: a <= b),
    ("greater", lambda a, b: a > b), ("greater_equal", lambda a, b: a >= b),
    ("equal", lambda a, b: a == b), ("not_equal", lambda a, b: a != b),
    ("bitwise_and", lambda a, b: (a > 0) & (b > 0)), ("bitwise_or", lambda a, b: (a > 0) | (b > 0)),
    ("bitwise_xor", lambda a, b: (a > 0) ^ (b > 0)), ("logical_and", ag.logical_and),
])
def test_comparisons_name_the_comparison_and_both_shapes(name, fn):
    with pytest.raises(ag.OpError, match=rf"^{name}: shapes \(3, 4\) and \(5,\) cannot be "
                                         r"broadcast together$"):
        fn(ag.ones(3, 4), ag.ones(5))


@pytest.mark.parametrize("value,kind", [(np.ones((2, 4)), "ndarray"), ([[1.0] * 4], "list")])
def test_an_op_given_something_that_is_not_a_tensor_names_the_op_and_the_input(value, kind):
    with pytest.raises(TypeError, match=rf"^Linear: input 0 is a {kind}, not a Tensor"):
        ag.linear(value, ag.ones(3, 4))
    with pytest.raises(TypeError, match=rf"^Relu: input 0 is a {kind}, not a Tensor"):
        ag.relu(value)


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(3, 4\).*\(5,\)"):
        ag.ones(3, 4) + ag.ones(5)


# -- shape ops -----------------------------------------------------------------

def test_transpose_with_axes_that_are_not_a_permutation():
    with pytest.raises(ag.OpError, match=r"transpose: axes \(0, 2\) are not a permutation of "
                                         r"the 2 axes of a tensor of shape \(3, 4\)"):
        ag.ones(3, 4).transpose((0, 2))
    with pytest.raises(ag.OpError, match=r"^transpose: axis 2 is out of range for a tensor of "
                                         r"2 dimensions$"):
        ag.ones(3, 4).transpose(0, 2)                 # two axes: a swap, as in PyTorch
    with pytest.raises(ag.OpError, match=r"transpose: axes \(0, 1, 2\) .* shape \(3, 4\)"):
        ag.ones(3, 4).permute(0, 1, 2)


def test_broadcast_to_a_shape_that_does_not_fit():
    with pytest.raises(ag.OpError, match=r"broadcast_to: cannot broadcast shape \(3, 4\) to "
                                         r"\(5, 4\)"):
        ag.ones(3, 4).broadcast_to(5, 4)
    with pytest.raises(ag.OpError, match=r"broadcast_to: cannot broadcast shape \(3, 4\)"):
        ag.ones(3, 4).expand(5, -1)


def test_stack_of_different_shapes_names_both():
    with pytest.raises(ag.OpError, match=r"stack: all tensors need one shape, got \(2, 3\) "
                                         r"and \(3, 3\)"):
        ag.stack([ag.ones(2, 3), ag.ones(3, 3)])


def test_concatenate_of_different_ranks_names_both_shapes():
    with pytest.raises(ag.OpError, match=r"concatenate: shapes \(2, 3\) and \(3,\) differ "
                                         r"outside axis 0"):
        ag.concatenate([ag.ones(2, 3), ag.ones(3)])


@pytest.mark.parametrize("op", ["concatenate", "stack"])
def test_joining_no_tensors_names_the_op(op):
    with pytest.raises(ag.OpError, match=rf"^{op}: needs at least one tensor$"):
        getattr(ag, op)([])


@pytest.mark.parametrize("n", [0, -1])
def test_split_into_pieces_of_no_size_names_the_size_and_points_to_chunk(n):
    with pytest.raises(ag.OpError, match=rf"split: the size of a piece must be positive, got {n} "
                                         r"\(split takes piece sizes, as in PyTorch; chunk takes "
                                         r"a count\)"):
        ag.ones(5).split(n)


def test_split_sizes_that_do_not_add_up_name_them_and_the_axis():
    with pytest.raises(ag.OpError, match=r"split: sizes \[2, 2\] do not add up to the size 5 "
                                         r"of axis 0"):
        ag.ones(5).split([2, 2])


@pytest.mark.parametrize("n", [0, 2.5])
def test_chunk_into_a_count_that_is_not_positive_names_it(n):
    with pytest.raises(ag.OpError, match=rf"chunk: the number of chunks must be a positive int, "
                                         rf"got {n}"):
        ag.ones(5).chunk(n)


def test_getitem_out_of_range_names_the_index_and_the_shape():
    x = ag.ones(3, 4)
    with pytest.raises(ag.OpError, match=r"getitem: index 9 is out of bounds for axis 1 with "
                                         r"size 4 \(tensor of shape \(3, 4\)\)"):
        x[0, 9]
    with pytest.raises(ag.OpError, match=r"getitem: index 7 .* \(tensor of shape \(3, 4\)\)"):
        x[ag.tensor([0, 7])]
    with pytest.raises(ag.OpError, match=r"getitem: too many indices .* \(tensor of shape "
                                         r"\(3, 4\)\)"):
        x[0, 0, 0]


def test_reshape_to_an_impossible_shape():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        ag.ones(2, 3).reshape(4)


def test_getitem_out_of_bounds():
    with pytest.raises(ValueError, match=r"getitem.*\(3,\)"):
        ag.ones(3)[5]


def test_concatenate_shapes():
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\) and \(2, 4\)"):
        ag.concatenate([ag.ones(2, 3), ag.ones(2, 4)])


# -- reductions ------------------------------------------------------------------

@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_of_an_empty_tensor_name_the_op_and_the_shape(op):
    with pytest.raises(ag.OpError, match=rf"{op}: reduction over an empty tensor of shape "
                                         r"\(0, 3\)"):
        getattr(ag.zeros(0, 3), op)()


def test_sum_to_a_shape_it_cannot_reach_names_both_shapes():
    with pytest.raises(ag.OpError, match=r"sum_to: cannot sum shape \(2, 3\) down to \(4,\)"):
        ag.sum_to(ag.ones(2, 3), (4,))


# -- linear algebra and fused nn ops ----------------------------------------------

def test_matmul_of_a_0d_operand_names_both_shapes():
    with pytest.raises(ag.OpError, match=r"matmul: operands must have at least 1 dimension, "
                                         r"got shapes \(\) and \(3,\)"):
        ag.matmul(ag.tensor(2.0), ag.ones(3))


def test_matmul_batch_dimensions_name_both_shapes():
    with pytest.raises(ag.OpError, match=r"matmul: batch dimensions of \(2, 3, 4\) and "
                                         r"\(3, 4, 5\) cannot be broadcast together"):
        ag.ones(2, 3, 4) @ ag.ones(3, 4, 5)


def test_linear_with_a_wrong_bias_names_bias_and_weight_shapes():
    with pytest.raises(ag.OpError, match=r"linear: bias of shape \(2,\) does not fit a weight "
                                         r"of shape \(3, 4\)"):
        ag.linear(ag.ones(2, 4), ag.ones(3, 4), ag.ones(2))


def test_layer_norm_of_a_0d_tensor():
    with pytest.raises(ag.OpError, match=r"layer_norm: needs a tensor of at least 1 dimension"
                                         r".*got shape \(\)"):
        ag.layer_norm(ag.tensor(1.0))


def test_embedding_with_float_ids_names_the_dtype():
    with pytest.raises(ag.OpError, match=r"embedding: ids must be integers, got float32"):
        ag.embedding(ag.tensor([1.0]), ag.ones(5, 2))


def test_embedding_with_negative_ids_names_the_id_and_the_range():
    with pytest.raises(ag.OpError, match=r"embedding: ids contain -1, outside the valid range "
                                         r"\[0, 4\]"):
        ag.embedding([0, -1], ag.ones(5, 2))


def test_embedding_weight_that_is_not_a_matrix_names_its_shape():
    with pytest.raises(ag.OpError, match=r"embedding: weight must be 2-D \(num_embeddings, "
                                         r"dim\), got shape \(5,\)"):
        ag.embedding(ag.tensor([1]), ag.ones(5))


@pytest.mark.parametrize("p", [1.5, -0.1])
def test_dropout_probability_is_named(p):
    with pytest.raises(ag.OpError, match=rf"dropout: p must be in \[0, 1\], got {p}"):
        ag.dropout(ag.ones(3), p)


def test_cross_entropy_settings_are_named():
    with pytest.raises(ag.OpError, match=r"cross_entropy: reduction must be one of "
                                         r"\('mean', 'sum', 'none'\), got 'avg'"):
        ag.cross_entropy(ag.ones(2, 3), [0, 1], reduction="avg")
    with pytest.raises(ag.OpError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], "
                                         r"got 1.5"):
        ag.cross_entropy(ag.ones(2, 3), [0, 1], label_smoothing=1.5)


def test_cross_entropy_targets_and_logits_of_wrong_dtypes():
    with pytest.raises(ag.OpError, match=r"cross_entropy: targets must be integer class ids or "
                                         r"class probabilities, got bool"):
        ag.cross_entropy(ag.ones(2, 3), ag.tensor([True, False]))
    with pytest.raises(ag.OpError, match=r"cross_entropy: class probabilities of shape \(2,\) "
                                         r"do not match logits of shape \(2, 3\)"):
        ag.cross_entropy(ag.ones(2, 3), ag.tensor([0.0, 1.0]))
    with pytest.raises(ag.OpError, match=r"cross_entropy: logits must be floating-point, "
                                         r"got int64"):
        ag.cross_entropy(ag.tensor([[1, 2, 3]]), [0])


def test_cross_entropy_negative_target_names_it_and_the_range():
    with pytest.raises(ag.OpError, match=r"cross_entropy: targets contain -1, outside the "
                                         r"valid range \[0, 2\]"):
        ag.cross_entropy(ag.ones(2, 3), [0, -1])


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        ag.ones(3, 4) @ ag.ones(5, 2)


def test_matmul_batch_mismatch():
    with pytest.raises(ValueError, match=r"matmul: batch dimensions"):
        ag.ones(2, 3, 4) @ ag.ones(3, 4, 5)


def test_matmul_of_a_scalar():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ag.matmul(ag.tensor(2.0), ag.ones(3))


def test_layer_norm_parameter_shape():
    with pytest.raises(ValueError, match=r"layer_norm.*\(4,\)"):
        ag.layer_norm(ag.ones(2, 4), ag.ones(3), ag.zeros(3))


def test_embedding_ids_out_of_range():
    with pytest.raises(ValueError, match=r"embedding: ids contain 7.*\[0, 4\]"):
        ag.embedding(ag.tensor([1, 7]), ag.ones(5, 2))


def test_embedding_float_ids():
    with pytest.raises(ValueError, match="must be integers"):
        ag.embedding(ag.tensor([1.0]), ag.ones(5, 2))


def test_dropout_probability():
    with pytest.raises(ValueError, match="p must be in"):
        ag.dropout(ag.ones(3), 1.5)


def test_cross_entropy_target_out_of_range_and_shape():
    with pytest.raises(ValueError, match=r"targets contain 4"):
        ag.cross_entropy(ag.ones(2, 4), [0, 4])
    with pytest.raises(ValueError, match=r"targets of shape \(3,\).*\(2, 4\)"):
        ag.cross_entropy(ag.ones(2, 4), [0, 1, 2])


# -- making tensors: data, dtypes, devices ---------------------------------------------

@pytest.mark.parametrize("data,kind", [("abc", r"<U3 \(str\)"), ([object()], r"object \(list\)")])
def test_data_that_cannot_be_a_tensor_names_its_type(data, kind):
    with pytest.raises(TypeError, match=rf"cannot make a tensor from data of type {kind}"):
        ag.tensor(data)


def test_an_object_array_is_refused_by_name():
    with pytest.raises(TypeError, match=r"cannot make a tensor from an array of dtype object"):
        ag.tensor(np.array([1, None], dtype=object))


def test_adding_none_names_its_type():
    with pytest.raises(TypeError, match=r"cannot make a tensor from data of type object "
                                        r"\(NoneType\)"):
        ag.ones(3) + None


def test_ragged_nested_lists_are_named():
    with pytest.raises(ValueError, match=r"^cannot make a tensor from this list: .*inhomogeneous"):
        ag.tensor([[1, 2], [3]])


def test_unknown_dtypes_are_named():
    with pytest.raises(TypeError, match=r"unknown dtype 'float128x'; expected one of .*float32"):
        ag.zeros(2, dtype="float128x")
    with pytest.raises(TypeError, match=r"^unknown dtype 5$"):
        ag.zeros(2, dtype=5)
    with pytest.raises(TypeError, match=r"unknown dtype 'foo'"):
        ag.ones(2).astype("foo")


@pytest.mark.parametrize("dtype", [object, str, np.complex64])
def test_dtypes_a_tensor_cannot_hold_are_refused_by_name(dtype):
    with pytest.raises(TypeError, match=rf"unsupported dtype {re.escape(repr(dtype))}"):
        ag.tensor([1], dtype=dtype)


def test_set_default_dtype_to_an_integer_type_is_refused():
    with pytest.raises(TypeError, match=r"set_default_dtype: expected a floating dtype, "
                                        r"got int64"):
        ag.set_default_dtype("int64")
    assert ag.default_dtype() == ag.float32


def test_a_bad_device_index_names_the_device():
    with pytest.raises(ValueError, match=r"bad device index in 'cpu:x'"):
        ag.zeros(2, device="cpu:x")
    with pytest.raises(ValueError, match=r"unknown device 'tpu'"):
        ag.ones(2).to("tpu")


def test_set_rng_state_with_an_unknown_device_names_it():
    with pytest.raises(ValueError, match=r"set_rng_state: unknown device 'tpu'"):
        ag.set_rng_state({"tpu:0": "{}"})


def test_data_replaced_by_a_non_array_is_named():
    t = ag.ones(2)
    t.data = [1.0, 2.0]
    with pytest.raises(TypeError, match=r"not an array of a known device: list"):
        t.device


def test_grad_on_an_integer_tensor_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        ag.tensor([1, 2, 3], requires_grad=True)
    t = ag.tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad = True


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        ag.zeros(2, device="tpu")


# -- tensor methods ------------------------------------------------------------------

def test_len_of_a_0d_tensor():
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(ag.tensor(1.0))


def test_item_and_truth_value_of_a_tensor_with_many_elements_name_the_count():
    with pytest.raises(ValueError, match=r"item\(\): the tensor has 3 elements, not 1"):
        ag.ones(3).item()
    with pytest.raises(ValueError, match=r"the truth value of a tensor with 3 elements is "
                                         r"ambiguous"):
        bool(ag.ones(3))


def test_implicit_numpy_conversion_off_the_host_names_the_device():
    with pytest.raises(TypeError, match=r"cannot convert a tensor on emu:0 to NumPy "
                                        r"implicitly; call .numpy\(\)"):
        np.asarray(ag.ones(2, device="emu"))


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = ag.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"requires_grad cannot be turned off on a non-leaf "
                                           r"tensor; use .detach\(\)"):
        y.requires_grad = False


def test_register_hook_on_a_tensor_without_grad_names_the_tensor():
    with pytest.raises(RuntimeError, match=r"register_hook: tensor 'w' does not require grad"):
        ag.tensor([1.0], name="w").register_hook(lambda g: g)


@pytest.mark.parametrize("method,fn", [
    ("add_", lambda t: t.add_(ag.ones(3))),
    ("mul_", lambda t: t.mul_(np.ones(3))),
    ("copy_", lambda t: t.copy_(ag.ones(3))),
])
def test_in_place_methods_with_a_value_of_the_wrong_shape_name_both_shapes(method, fn):
    t = ag.tensor([1.0, 2.0], name="w")
    with pytest.raises(ag.OpError, match=rf"^{method}: .*\(tensor 'w' of shape \(2,\), value "
                                         r"of shape \(3,\)\)$"):
        fn(t)


def test_setting_an_index_out_of_range_names_the_index_and_the_shape():
    with pytest.raises(ag.OpError, match=r"__setitem__: index 5 is out of bounds for axis 0 "
                                         r"with size 3 \(tensor of shape \(3,\)\)"):
        ag.ones(3)[5] = 1.0


def test_fill_with_a_string_names_the_method():
    with pytest.raises(ag.OpError, match=r"fill_: could not convert string to float.*"
                                         r"\(tensor of shape \(2,\)\)"):
        ag.ones(2).fill_("a")


# -- backward and grad ------------------------------------------------------------------

def test_backward_of_a_tensor_without_grad_names_the_tensor():
    with pytest.raises(RuntimeError, match=r"backward: tensor 0 does not require grad and has "
                                           r"no grad_fn"):
        ag.ones(2).sum().backward()


def test_backward_of_many_elements_without_grad_names_the_shape():
    with pytest.raises(RuntimeError, match=r"backward: a gradient can be implied only for a "
                                           r"single-element output; tensor 0 has shape \(2,\)"):
        (ag.ones(2, requires_grad=True) * 2).backward()


def test_backward_twice_names_the_op():
    y = (ag.ones(2, requires_grad=True) * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time "
                                           r"\(op Sum\)"):
        y.backward()


def test_grad_of_an_input_that_does_not_require_grad_names_its_position():
    x = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^grad: input 1 does not require grad$"):
        ag.grad((x * 2).sum(), [x, ag.ones(2)])


def test_grad_of_an_unused_input_names_its_position_and_shape():
    x, z = ag.ones(2, requires_grad=True), ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(3,\)\) was not used to "
                                           r"compute the outputs"):
        ag.grad((x * 2).sum(), [x, z])


def test_grad_with_more_gradients_than_outputs_names_both_counts():
    x = ag.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"^grad: 1 tensors but 2 gradients$"):
        ag.grad([(x * 2).sum()], [x], grad_outputs=[None, None])


def test_a_hook_returning_a_wrong_shape_names_the_tensor_and_both_shapes():
    x = ag.tensor([1.0, 2.0], requires_grad=True, name="x")
    x.register_hook(lambda g: ag.ones(3))
    with pytest.raises(RuntimeError, match=r"a hook on tensor 'x' of shape \(2,\) returned "
                                           r"\(3,\)"):
        (x * 2).sum().backward()


# Custom ops (``ag.Function`` subclasses) with a broken backward: the engine
# names the op. Defined in a test module, they stay out of the op tests.

class _FaultTwoGrads(ag.Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return gy, gy


class _FaultNotATensor(ag.Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return 1.0


class _FaultBadShape(ag.Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return ag.ones(4, dtype=gy.dtype)


class _FaultIntGrad(ag.Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return ag.ones(*gy.shape, dtype=ag.int64)


class _FaultNoBackward(ag.Function):
    def forward(self, x):
        return x * 2


class _FaultNoForward(ag.Function):
    pass


@pytest.mark.parametrize("op,pattern", [
    (_FaultTwoGrads, r"_FaultTwoGrads.backward returned 2 gradients for 1 inputs"),
    (_FaultNotATensor, r"_FaultNotATensor.backward returned a float, not a Tensor"),
    (_FaultBadShape, r"_FaultBadShape: backward gave a gradient of shape \(4,\) for an input "
                     r"of shape \(3,\)"),
    (_FaultIntGrad, r"_FaultIntGrad: backward gave a int64 gradient for a float64 input"),
    (_FaultNoBackward, r"_FaultNoBackward has no backward"),
])
def test_a_custom_op_with_a_broken_backward_is_named(op, pattern):
    y = op()(f64(3)).sum()
    with pytest.raises((RuntimeError, TypeError, NotImplementedError), match=pattern):
        y.backward()


def test_a_custom_op_without_forward_is_named():
    with pytest.raises(NotImplementedError, match=r"^_FaultNoForward has no forward$"):
        _FaultNoForward()(f64(3))


def test_a_second_op_with_the_name_of_an_existing_one_is_refused():
    with pytest.raises(TypeError, match=r"^two ops named Add$"):
        class Add(ag.Function):       # noqa: F841  (the class statement is the test)
            pass
    assert ag.Function.registry["Add"].__module__ == "autograd.ops.arithmetic"


def test_the_same_op_defined_again_replaces_the_earlier_one():
    """As when a notebook cell defining an op runs twice."""
    source = ("import autograd as ag\n"
              "class Twice(ag.Function):\n"
              "    def forward(self, x):\n"
              "        return x * {k}\n")
    space = {"__name__": "notebook_cell"}
    exec(source.format(k=2), space)
    exec(source.format(k=3), space)
    try:
        assert ag.Function.registry["Twice"] is space["Twice"]
        assert space["Twice"]()(ag.tensor([1.0])).item() == 3.0
    finally:
        del ag.Function.registry["Twice"]


# -- graphs, gradcheck, functional transforms --------------------------------------------

def test_walking_a_freed_graph_names_the_op():
    y = (ag.ones(2, requires_grad=True) * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"op Sum was freed by a backward\(\) pass"):
        ag.check_graph(y)


def test_an_audit_asked_about_an_op_it_did_not_check_names_the_op():
    x = f64(2)
    report = ag.check_graph((x * 2).sum())
    other = x.exp()
    with pytest.raises(KeyError, match=r"Exp"):
        report[other.grad_fn]


def test_gradcheck_without_an_input_requiring_grad():
    with pytest.raises(ValueError, match=r"^gradcheck: no input requires grad$"):
        ag.gradcheck(lambda t: t * 2, [f64(2, grad=False)])


def test_gradcheck_of_a_float32_input_names_the_input_and_its_dtype():
    with pytest.raises(TypeError, match=r"gradcheck: input 1 is float32; finite differences "
                                        r"need float64"):
        ag.gradcheck(lambda a, b: a * b, [f64(2), ag.ones(2, requires_grad=True)])


def test_gradcheck_of_a_function_without_a_float_output():
    with pytest.raises(ValueError, match=r"^gradcheck: fn returned no floating-point tensor$"):
        ag.gradcheck(lambda t: t > 0, [f64(2)])


class _FaultScaledSquare(ag.Function):
    """x**2 with a backward 1% off: a deliberate bug."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * 2.02


def test_gradcheck_in_a_random_direction_names_both_values():
    x = (ag.rand(4, dtype=ag.float64) + 0.5).requires_grad_()
    with pytest.raises(ag.GradcheckError, match=r"gradcheck failed in a random direction: "
                                                r"analytic -?[0-9.e+-]+, numeric -?[0-9.e+-]+"):
        ag.gradcheck(lambda t: _FaultScaledSquare()(t), [x], elementwise_limit=0)


def test_functional_transforms_name_the_dtype_of_an_integer_input():
    with pytest.raises(TypeError, match=r"functional transforms need floating-point Tensor "
                                        r"inputs, got int64"):
        F.jacobian(lambda t: t, ag.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"got list"):
        F.vjp(lambda t: t, [[1.0]])


def test_hessian_and_hvp_of_a_function_with_many_outputs_name_the_shape():
    x = f64(3, grad=False)
    with pytest.raises(ValueError, match=r"hessian: func must return a single element, got "
                                         r"shape \(3,\)"):
        F.hessian(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"hvp: func must return a single element, got "
                                         r"shape \(3,\)"):
        F.hvp(lambda t: t * 2, x, f64(3, grad=False))


def test_vjp_and_hvp_with_a_v_of_the_wrong_shape_name_both_shapes():
    x = f64(3, grad=False)
    with pytest.raises(ValueError, match=r"vjp: v of shape \(2,\) does not match \(3,\)"):
        F.vjp(lambda t: t * 2, x, f64(2, grad=False))
    with pytest.raises(ValueError, match=r"hvp: v of shape \(2,\) does not match \(3,\)"):
        F.hvp(lambda t: (t * t).sum(), x, f64(2, grad=False))
