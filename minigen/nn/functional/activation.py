"""Activations and dropout (PyTorch's ``F.relu``, ``F.leaky_relu``, ``F.dropout``, ...).

leaky_relu's forward and backward are single fused passes (``minigen/ops/elementwise.py``,
and one CUDA kernel each on the GPU)."""
from ... import backend
from ...ops import elementwise
from ...random import generator
from ...tensor import Tensor, as_tensor

def relu(x, inplace=False):
    """y = max(x, 0). ``inplace`` is accepted and returns a new tensor (see nn.ReLU)."""
    return elementwise.relu(x)


tanh = elementwise.tanh
sigmoid = elementwise.sigmoid
softplus = elementwise.softplus


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """y = x if x > 0 else negative_slope * x. ``inplace`` is accepted (see nn.ReLU)."""
    return elementwise.leaky_relu(x, negative_slope)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: each element is zeroed with probability p and the survivors are
    scaled by 1/(1-p), so the expected value is unchanged and evaluation needs no rescaling."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p={p} must be a probability in [0, 1]")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = generator(x.device).random(x.shape) >= p
    xp = backend.get_array_module(x.data)
    mask = xp.asarray(keep, dtype=x.dtype) * x.dtype.type(1 / (1 - p))
    return x * Tensor(mask)
