"""Datasets and batches, as PyTorch's ``torch.utils.data``: ``Dataset``,
``TensorDataset`` and ``DataLoader`` (batching, shuffling with a seeded
``autograd.Generator``, ``drop_last``, ``collate_fn``). The loader's
``state_dict`` holds its generator's state and its place in the epoch, so a
run resumed from a checkpoint sees exactly the batches it would have seen."""
from __future__ import annotations

import autograd as ag
from autograd import backend


class Dataset:
    """A map-style dataset: ``dataset[i]`` is one sample, ``len(dataset)`` their number."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __len__")


class TensorDataset(Dataset):
    """Sample i is ``(t[i] for t in tensors)``; all tensors share their first axis."""

    def __init__(self, *tensors):
        if not tensors or any(t.ndim == 0 or t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError(f"TensorDataset: needs tensors with one first dimension, got "
                             f"shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def default_collate(samples):
    """A list of samples as one batch: tensors and numbers stacked along a new
    first axis; tuples (as lists, like PyTorch), lists and dicts element by
    element; anything else left as a list."""
    first = samples[0]
    if isinstance(first, ag.Tensor):
        return ag.stack(samples)
    if isinstance(first, (bool, int, float)) or backend.is_array(first):
        return ag.stack([ag.tensor(s) for s in samples])
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        columns = [default_collate(list(column)) for column in zip(*samples)]
        return type(first)(*columns) if hasattr(first, "_fields") else columns
    return list(samples)


class DataLoader:
    """Batches of ``batch_size`` samples of ``dataset``, in order or (``shuffle``)
    in an order drawn each epoch from ``generator``. Without one, a shuffling
    loader makes its own, seeded from the global CPU generator when it is
    built, so ``ag.manual_seed`` fixes its orders."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, num_workers=0):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if num_workers:
            raise ValueError("DataLoader: only num_workers=0 (loading in this process)")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        if shuffle and generator is None:
            generator = ag.Generator().manual_seed(
                int(backend.generator("cpu").integers(2 ** 62)))
        self.generator = generator
        self._states = (self._generator_state(), self._generator_state())  # epoch start, now
        self._done = 0          # batches handed out in the current epoch
        self._skip = 0          # batches to skip at the next epoch's start (a resume)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        order = self._order()
        start, self._skip = self._skip, 0
        self._done = start
        for b in range(start, len(self)):
            self._done = b + 1
            yield self._fetch(order[b * self.batch_size:(b + 1) * self.batch_size])

    def _order(self):
        """This epoch's sample order; the generator's states before and after
        drawing it are kept for ``state_dict``."""
        if not self.shuffle:
            return list(range(len(self.dataset)))
        before = self._generator_state()
        order = ag.randperm(len(self.dataset), generator=self.generator).tolist()
        self._states = (before, self._generator_state())
        return order

    def _fetch(self, indices):
        if self.collate_fn is default_collate and isinstance(self.dataset, TensorDataset):
            index = ag.tensor(indices, dtype=ag.int64)          # one gather per tensor
            return [t[index] for t in self.dataset.tensors]
        return self.collate_fn([self.dataset[i] for i in indices])

    def _generator_state(self):
        return None if self.generator is None else self.generator.get_state()

    def state_dict(self) -> dict:
        """Where the loader is: its generator's state at the start of this
        epoch and now, and how many batches of the epoch it has handed out."""
        return {"epoch_start_state": self._states[0], "generator_state": self._states[1],
                "batches_done": self._done}

    def load_state_dict(self, state):
        """Continue from ``state``: the next epoch starts where the saved one
        left off (the same order, minus the batches already handed out)."""
        mid_epoch = 0 < state["batches_done"] < len(self)
        saved = state["epoch_start_state"] if mid_epoch else state["generator_state"]
        if self.generator is not None and saved is not None:
            self.generator.set_state(saved)
        self._skip = state["batches_done"] if mid_epoch else 0
        self._done = self._skip
