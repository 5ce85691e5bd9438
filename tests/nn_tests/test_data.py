"""nn.data: Dataset, TensorDataset and DataLoader as PyTorch's
torch.utils.data, with shuffling from a seeded Generator whose state is
saved and restored, so that a resumed run sees exactly the batches an
uninterrupted one would."""
import json

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import DataLoader, Dataset, TensorDataset


def _dataset(n=10):
    return TensorDataset(ag.arange(n * 2, dtype=ag.float32).reshape(n, 2), ag.arange(n))


def _labels(loader):
    return [y.tolist() for _, y in loader]


def test_tensor_dataset_indexes_every_tensor_and_checks_their_lengths():
    data = _dataset(4)
    x, y = data[2]
    assert len(data) == 4 and x.tolist() == [4.0, 5.0] and y.item() == 2
    with pytest.raises(ValueError, match=r"TensorDataset: needs tensors with one first "
                                         r"dimension, got shapes \[\(4, 2\), \(3,\)\]"):
        TensorDataset(ag.ones(4, 2), ag.ones(3))


def test_batches_in_order_with_a_smaller_last_one_or_dropped():
    loader = DataLoader(_dataset(10), batch_size=4)
    assert len(loader) == 3 and _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 2) and x.dtype == ag.float32 and y.dtype == ag.int64
    dropping = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(dropping) == 2 and _labels(dropping) == [[0, 1, 2, 3], [4, 5, 6, 7]]


class _Pairs(Dataset):
    """A map-style dataset of dicts and tuples of numbers."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"id": i, "pair": (float(i), ag.tensor([i, -i]))}


def test_default_collate_stacks_numbers_and_tensors_inside_dicts_and_tuples():
    batch = next(iter(DataLoader(_Pairs(), batch_size=3)))
    assert batch["id"].tolist() == [0, 1, 2] and batch["id"].dtype == ag.int64
    first, second = batch["pair"]
    assert first.tolist() == [0.0, 1.0, 2.0] and first.dtype == ag.float32
    assert second.tolist() == [[0, 0], [1, -1], [2, -2]]


def test_a_collate_fn_gets_the_list_of_samples():
    loader = DataLoader(_Pairs(), batch_size=2, collate_fn=lambda samples: [s["id"] for s in samples])
    assert list(loader) == [[0, 1], [2, 3], [4]]


def test_shuffling_covers_every_sample_once_per_epoch_in_a_new_order():
    loader = DataLoader(_dataset(12), batch_size=5, shuffle=True,
                        generator=ag.Generator().manual_seed(0))
    epochs = [sum(_labels(loader), []) for _ in range(3)]
    assert all(sorted(e) == list(range(12)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(12))


def test_the_same_seed_gives_the_same_orders():
    def orders(seed):
        loader = DataLoader(_dataset(12), batch_size=5, shuffle=True,
                            generator=ag.Generator().manual_seed(seed))
        return [_labels(loader) for _ in range(2)]
    assert orders(3) == orders(3) and orders(3) != orders(4)


def test_without_a_generator_the_global_seed_fixes_the_orders():
    def orders():
        ag.manual_seed(11)
        return [_labels(DataLoader(_dataset(8), batch_size=3, shuffle=True)) for _ in range(2)]
    assert orders() == orders()


def _run(loader, epochs, stop_after=None):
    """Labels of every batch seen over ``epochs``; with ``stop_after`` (epoch,
    batch), the loader's state_dict when that batch has been handed out."""
    seen = []
    for epoch in range(epochs):
        for b, (_, y) in enumerate(loader):
            seen.append(y.tolist())
            if stop_after == (epoch, b):
                return seen, json.loads(json.dumps(loader.state_dict()))   # as a checkpoint
    return seen, None


def _fresh(seed=5):
    return DataLoader(_dataset(11), batch_size=3, shuffle=True,
                      generator=ag.Generator().manual_seed(seed))


@pytest.mark.parametrize("stop_after", [(0, 1), (1, 0), (1, 3), (0, 3)],
                         ids=["mid-epoch", "first-batch", "end-of-epoch", "end-of-first"])
def test_a_resumed_loader_hands_out_exactly_the_batches_of_an_uninterrupted_one(stop_after):
    whole, _ = _run(_fresh(), 3)
    before, state = _run(_fresh(), 3, stop_after)
    resumed = _fresh(seed=99)                        # another seed: the state must win
    resumed.load_state_dict(state)
    epoch, batch = stop_after
    rest = []
    remaining = 3 - epoch - (1 if batch == len(resumed) - 1 else 0)
    for _ in range(remaining):
        rest.extend(y.tolist() for _, y in resumed)
    assert before + rest == whole


def test_a_generator_saves_and_restores_its_state():
    g = ag.Generator().manual_seed(1)
    state = g.get_state()
    first = ag.randperm(6, generator=g).tolist()
    g.set_state(state)
    assert ag.randperm(6, generator=g).tolist() == first
    assert ag.rand(3, generator=g).shape == (3,) and g.initial_seed() == 1


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be a positive int, "
                                         r"got 0"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(ValueError, match=r"only num_workers=0"):
        DataLoader(_dataset(), num_workers=2)


def test_nn_data_is_the_module_pytorch_code_calls_utils_data():
    assert nn.data.DataLoader is DataLoader and nn.data.TensorDataset is TensorDataset
    assert np.array_equal(next(iter(DataLoader(_dataset(3), batch_size=3)))[0].numpy(),
                          _dataset(3).tensors[0].numpy())
