"""DataLoader: a dataset cut into shuffled mini-batches, epoch after epoch.

Reproducible and resumable by construction: the order of epoch e is the
permutation drawn by ``np.random.default_rng(seed + e)``, a function of
(seed, epoch) alone. So a run that saved ``loader.state_dict()`` (epoch and
batch position) and is restarted sees exactly the batches it would have seen
had it never stopped; no random state needs saving.
"""
import math

import numpy as np


class DataLoader:
    """Iterate over ``(images, labels)`` batches of a dataset.

    dataset:    a ``Dataset`` (``.images`` uint8 (N, C, H, W), ``.labels`` (N,) or None),
                a bare array of images, or any PyTorch-style map-style data set: an object
                with ``__len__`` and ``__getitem__(i)`` returning one sample, e.g. a
                ``TensorDataset`` or a tuple ``(image, label)`` (see ``collate``).
    batch_size: B, images per batch (PyTorch's default 1).
    shuffle:    draw a fresh order each epoch (else 0, 1, ..., N-1 every epoch). Default
                False, as in PyTorch: a training loop asks for shuffling explicitly.
    drop_last:  skip the last, smaller batch when B does not divide N, so every
                batch has shape (B, C, H, W) (batch statistics stay comparable).
                Default False, as in PyTorch.
    seed:       epoch e uses ``np.random.default_rng(seed + e)``.
    transform:  function applied to each NumPy batch, e.g. ``to_symmetric``;
                None passes the stored uint8 pixels through.
    device:     "cpu" or "cuda": where the batch tensors are created.
    as_tensor:  False yields NumPy arrays instead of tensors (plotting, tests).
    num_workers, pin_memory, collate_fn, persistent_workers: PyTorch's, accepted; batches
                are assembled in this process (an in-memory batch is a copy, not worth a
                worker), ``collate_fn`` replaces ``collate`` for map-style data sets.

    Each iteration yields ``images``, a ``minigen.Tensor`` of the transformed
    batch, and ``labels``, an int64 ``Tensor`` of shape (B,) on ``device``, or None for
    unlabelled data. ``len(loader)`` is the number of batches per epoch: floor(N / B) with
    ``drop_last``, else ceil(N / B).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=0,
                 transform=None, device="cpu", as_tensor=True, num_workers=0, pin_memory=False,
                 collate_fn=None, persistent_workers=False, **ignored):
        images = getattr(dataset, "images", dataset)
        n = len(images)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r}: expected a positive integer")
        if drop_last and batch_size > n:
            raise ValueError(f"batch_size={batch_size} is larger than the dataset ({n} images) "
                             "and drop_last=True, so an epoch would have no batch; use a "
                             "smaller batch_size or drop_last=False")
        self.dataset = dataset
        self.images = images
        self.labels = getattr(dataset, "labels", None)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.transform = transform
        self.device = device
        self.as_tensor = as_tensor
        self.num_workers, self.pin_memory, self.collate_fn = num_workers, pin_memory, collate_fn
        self.epoch = 0   # the epoch being iterated (or the next one to start)
        self.batch = 0   # batches of that epoch already handed out

    def __len__(self):
        n = len(self.images)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def order(self, epoch):
        """The permutation of 0..N-1 that epoch ``epoch`` visits, shape (N,)."""
        n = len(self.images)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng(self.seed + epoch).permutation(n)

    def state_dict(self):
        """Where the loader stands: ``{"epoch", "batch", "seed"}`` (plain ints)."""
        return {"epoch": self.epoch, "batch": self.batch, "seed": self.seed}

    def load_state_dict(self, state):
        """Resume at ``state``: the next batch is batch ``state["batch"]`` of its epoch."""
        self.epoch, self.batch = int(state["epoch"]), int(state["batch"])
        self.seed = int(state.get("seed", self.seed))

    def __iter__(self):
        """Yield the remaining batches of the current epoch, then move to the next.

        ``self.batch`` is advanced *before* each yield, so a ``state_dict()``
        saved inside the loop body already counts the batch being trained on.
        """
        if self.batch >= len(self):  # a loop that broke after the last batch
            self.epoch, self.batch = self.epoch + 1, 0
        order = self.order(self.epoch)
        while self.batch < len(self):
            index = order[self.batch * self.batch_size:(self.batch + 1) * self.batch_size]
            self.batch += 1
            yield self._make_batch(index)
        self.epoch, self.batch = self.epoch + 1, 0

    def _make_batch(self, index):
        if not (hasattr(self.dataset, "images") or isinstance(self.dataset, np.ndarray)):
            samples = [self.dataset[int(i)] for i in index]  # a map-style data set
            return (self.collate_fn or collate)(samples)
        images = self.images[index]
        if self.transform is not None:
            images = self.transform(images)
        labels = None if self.labels is None else self.labels[index]
        if not self.as_tensor:
            return images, labels
        import minigen  # here, not at the top: minigen.data must import without the engine
        from minigen import backend
        if labels is not None:
            labels = minigen.tensor(labels, device=self.device)
        return minigen.tensor(images, device=self.device), labels


def collate(samples):
    """PyTorch's default collate: a list of samples -> one batch. Tensors and arrays are
    stacked along a new axis 0, numbers become a 1-D tensor (ints int64, floats float32),
    tuples and dicts are collated field by field."""
    import minigen
    first = samples[0]
    if isinstance(first, tuple) or isinstance(first, list):
        return type(first)(collate(list(field)) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: collate([s[key] for s in samples]) for key in first}
    if isinstance(first, minigen.Tensor):
        return minigen.stack([s.detach() for s in samples])
    if first is None:
        return None
    return minigen.tensor(np.stack([np.asarray(s) for s in samples]))
