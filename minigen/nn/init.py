"""Weight initialisation, in place (PyTorch's ``torch.nn.init``).

Every draw uses minigen's seeded generator, so ``mg.manual_seed`` makes models
reproducible. fan_in of a weight (out, in, kh, kw) is in * kh * kw; for a transposed
convolution's (in, out, kh, kw) weight it is likewise dim 1 times the kernel size,
which is PyTorch's convention.
"""
import math

import numpy as np

from ..random import generator
from ..tensor import no_grad


def _fill_like(t, values):
    from .. import backend
    with no_grad():
        t.data[...] = backend.to_device(np.asarray(values, dtype=t.dtype), t.device)
        t._version += 1
    return t


def uniform_(t, a=0.0, b=1.0):
    """t ~ U(a, b)."""
    return _fill_like(t, generator().uniform(a, b, size=t.shape))


def normal_(t, mean=0.0, std=1.0):
    """t ~ N(mean, std^2)."""
    return _fill_like(t, generator().normal(mean, std, size=t.shape))


def constant_(t, value):
    return _fill_like(t, np.full(t.shape, value))


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def calculate_fan_in_and_fan_out(t):
    if t.ndim < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The std multiplier that keeps activations' variance steady through a nonlinearity."""
    if nonlinearity in ("linear", "conv2d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """t ~ U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al. 2015).

    The layers' default is a = sqrt(5), which gives bound = 1/sqrt(fan_in), PyTorch's."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def xavier_uniform_(t, gain=1.0):
    """t ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def _dcgan_one(m):
    from .conv import Conv2d, ConvTranspose2d
    from .norm import _BatchNorm
    if isinstance(m, (Conv2d, ConvTranspose2d)):
        normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            zeros_(m.bias)
    elif isinstance(m, _BatchNorm) and m.weight is not None:
        normal_(m.weight, 1.0, 0.02)
        zeros_(m.bias)


def dcgan_init_(module):
    """Radford et al.'s init: conv weights ~ N(0, 0.02), batch-norm weights ~ N(1, 0.02),
    biases 0. Works as ``model.apply(dcgan_init_)`` and as ``dcgan_init_(model)``."""
    module.apply(_dcgan_one)
    return module
