"""Weight initialisation, in place (PyTorch's ``torch.nn.init``).

Each function overwrites a tensor's values without recording a graph (under
``no_grad``) and bumps its version, so a graph that saved the old values notices.
Every draw comes from minigen's seeded CPU generator (``minigen.random.generator()``)
and is then copied to the tensor's device: ``mg.manual_seed(s)`` gives the same
weights whether the model lives on the CPU or the GPU.

fan_in of a weight (out, in, kh, kw) is in * kh * kw: how many inputs each output sums.
For a transposed convolution's (in, out, kh, kw) weight the same rule (dim 1 times the
kernel size) is applied, which is PyTorch's convention.
"""
import math

import numpy as np

from .. import backend
from ..random import generator
from ..tensor import no_grad


def _fill(t, values):
    """t[...] = values (a host array), in place, on t's device, in t's dtype."""
    with no_grad():
        t.data[...] = backend.to_device(np.asarray(values, dtype=t.dtype), t.device)
        t._version += 1
    return t


def uniform_(t, a=0.0, b=1.0):
    """t ~ U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    return _fill(t, generator().uniform(a, b, size=t.shape))


def normal_(t, mean=0.0, std=1.0):
    """t ~ N(mean, std^2)."""
    if not std >= 0:
        raise ValueError(f"normal_: std={std} must be >= 0")
    return _fill(t, generator().normal(mean, std, size=t.shape))


def constant_(t, value):
    """t = value everywhere."""
    return _fill(t, np.full(t.shape, value))


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def calculate_fan_in_and_fan_out(t):
    """(fan_in, fan_out) = (shape[1] * receptive field, shape[0] * receptive field),
    receptive field = product of shape[2:] (1 for a Linear weight)."""
    if t.ndim < 2:
        raise ValueError(f"fan in/out needs a weight with at least 2 dimensions, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through ``nonlinearity``:
    1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for ReLU and
    sqrt(2 / (1 + slope^2)) for leaky ReLU (slope ``param``, default 0.01)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "sigmoid"):
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
    """t ~ U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al. 2015), gain =
    calculate_gain(nonlinearity, a); fan is fan_in (keeps the forward pass's variance)
    or fan_out (the backward pass's).

    The layers' default a = sqrt(5) makes gain = sqrt(1/3), so bound = 1/sqrt(fan_in):
    PyTorch's default init, and std = bound / sqrt(3)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_uniform_: mode={mode!r} must be 'fan_in' or 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"kaiming_uniform_: cannot initialise a weight of shape {t.shape} (its {mode} is 0)")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def xavier_uniform_(t, gain=1.0):
    """t ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def default_layer_init_(weight, bias=None):
    """PyTorch's default for Linear and the convolutions: weight by kaiming_uniform_(a=sqrt(5)),
    which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias by the same uniform bound."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)


def _dcgan_one(module):
    from .conv import Conv2d, ConvTranspose2d
    from .norm import _BatchNorm
    if isinstance(module, (Conv2d, ConvTranspose2d)):
        normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            zeros_(module.bias)
    elif isinstance(module, _BatchNorm) and module.weight is not None:
        normal_(module.weight, 1.0, 0.02)
        zeros_(module.bias)


def dcgan_init_(module):
    """Radford et al. (2016)'s init: every Conv2d/ConvTranspose2d weight ~ N(0, 0.02) and
    bias 0, every batch-norm weight ~ N(1, 0.02) and bias 0; other layers untouched.
    Works as ``dcgan_init_(model)`` and as ``model.apply(dcgan_init_)``; returns ``module``.
    (Through ``apply`` each layer is redrawn once per enclosing module: the same
    distribution, more draws; ``dcgan_init_(model)`` draws each weight once.)"""
    module.apply(_dcgan_one)
    return module
