"""Bad input gets an error that names the op and the problem."""
import pytest

import autograd as ag


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        ag.ones(3, 4) @ ag.ones(5, 2)


def test_matmul_batch_mismatch():
    with pytest.raises(ValueError, match=r"matmul: batch dimensions"):
        ag.ones(2, 3, 4) @ ag.ones(3, 4, 5)


def test_matmul_of_a_scalar():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ag.matmul(ag.tensor(2.0), ag.ones(3))


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"Add.*\(3, 4\).*\(5,\)"):
        ag.ones(3, 4) + ag.ones(5)


@pytest.mark.parametrize("fn", [lambda x: x.sum(axis=2), lambda x: x.mean(axis=(0, -3)),
                                lambda x: ag.softmax(x, axis=5), lambda x: x.max(axis=-4)])
def test_invalid_axis(fn):
    with pytest.raises(ValueError, match="out of range for a tensor of 2 dimensions"):
        fn(ag.ones(2, 3))


def test_grad_on_an_integer_tensor_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        ag.tensor([1, 2, 3], requires_grad=True)
    t = ag.tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad = True


def test_reshape_to_an_impossible_shape():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        ag.ones(2, 3).reshape(4)


def test_embedding_ids_out_of_range():
    with pytest.raises(ValueError, match=r"embedding: ids contain 7.*\[0, 4\]"):
        ag.embedding(ag.tensor([1, 7]), ag.ones(5, 2))


def test_embedding_float_ids():
    with pytest.raises(ValueError, match="must be integers"):
        ag.embedding(ag.tensor([1.0]), ag.ones(5, 2))


def test_cross_entropy_target_out_of_range_and_shape():
    with pytest.raises(ValueError, match=r"targets contain 4"):
        ag.cross_entropy(ag.ones(2, 4), [0, 4])
    with pytest.raises(ValueError, match=r"targets of shape \(3,\).*\(2, 4\)"):
        ag.cross_entropy(ag.ones(2, 4), [0, 1, 2])


def test_layer_norm_parameter_shape():
    with pytest.raises(ValueError, match=r"layer_norm.*\(4,\)"):
        ag.layer_norm(ag.ones(2, 4), ag.ones(3), ag.zeros(3))


def test_getitem_out_of_bounds():
    with pytest.raises(ValueError, match=r"getitem.*\(3,\)"):
        ag.ones(3)[5]


def test_concatenate_shapes():
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\) and \(2, 4\)"):
        ag.concatenate([ag.ones(2, 3), ag.ones(2, 4)])


def test_dropout_probability():
    with pytest.raises(ValueError, match="p must be in"):
        ag.dropout(ag.ones(3), 1.5)


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        ag.zeros(2, device="tpu")


def test_squeeze_a_non_unit_axis():
    with pytest.raises(ValueError, match="axis 0 has size 2"):
        ag.ones(2, 1).squeeze(0)
