"""Linear and Embedding layers."""
import math

import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter
from ..tensor import Tensor


class Linear(Module):
    """y = x @ weight^T + bias; weight (out_features, in_features), PyTorch's layout and init."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"Linear: {name}={v!r} must be a positive integer")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        self.bias = Parameter(np.empty(out_features, dtype=np.float32)) if bias else None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: integer indices (any shape) -> rows of weight (num_embeddings, embedding_dim)."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.float32))
        init.normal_(self.weight)

    def forward(self, indices):
        idx = indices.data if isinstance(indices, Tensor) else indices
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        return self.weight[idx]

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
