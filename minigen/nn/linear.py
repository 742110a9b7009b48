"""Linear and Embedding layers."""

import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter
from .. import backend
from ..tensor import Tensor


def _check_positive_int(layer, name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{layer}: {name}={value!r} must be a positive integer")


class Linear(Module):
    """y = x @ weight^T + bias: x (..., in_features) -> y (..., out_features).

    weight (out_features, in_features) and bias (out_features,), PyTorch's layout and
    default init: weight by kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    bias U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _check_positive_int("Linear", "in_features", in_features)
        _check_positive_int("Linear", "out_features", out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: integer indices of any shape S -> rows of weight, shape S + (embedding_dim,).

    weight (num_embeddings, embedding_dim) ~ N(0, 1), PyTorch's init. The lookup is
    indexing (``weight[indices]``), so the gradient adds each output row's gradient into
    the row it came from; an index used twice gets both.
    """

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        _check_positive_int("Embedding", "num_embeddings", num_embeddings)
        _check_positive_int("Embedding", "embedding_dim", embedding_dim)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.float32))
        init.normal_(self.weight)

    def forward(self, indices):
        idx = indices.data if isinstance(indices, Tensor) else indices
        if not hasattr(idx, "dtype"):
            idx = np.asarray(idx)
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        # NumPy would silently wrap a negative index around, PyTorch refuses it; so do we.
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= self.num_embeddings):
            raise IndexError(f"Embedding: indices must lie in [0, {self.num_embeddings}), got values "
                             f"from {int(idx.min())} to {int(idx.max())}")
        return self.weight[backend.to_device(idx, self.weight.device)]

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
