"""``TensorDataset``: PyTorch's data set of equally long tensors, sample i = their i-th rows."""


class TensorDataset:
    """``TensorDataset(images, labels)``: ``ds[i] == (images[i], labels[i])``, ``len(ds) == N``.

    The map-style protocol every data set for ``DataLoader`` follows (``__len__`` and
    ``__getitem__``); write a class with those two methods and it plugs in the same way."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        n = len(tensors[0])
        for i, t in enumerate(tensors):
            if len(t) != n:
                raise ValueError(f"TensorDataset: tensor {i} has {len(t)} rows, tensor 0 has {n}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])
