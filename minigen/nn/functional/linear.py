"""Fully connected layer (PyTorch's ``F.linear``)."""
from ...tensor import as_tensor


def linear(x, weight, bias=None):
    """y = x @ weight^T + bias, x (..., in), weight (out, in), bias (out,) -> y (..., out)."""
    x, weight = as_tensor(x), as_tensor(weight)
    if weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input shape {x.shape} needs weight of shape (out, {x.shape[-1]}), "
                         f"got {weight.shape}")
    y = x @ weight.T
    return y if bias is None else y + bias
