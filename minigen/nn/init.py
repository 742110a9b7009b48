"""Weight initialisation, in place (PyTorch's ``torch.nn.init``).

Each function overwrites a tensor's values without recording a graph (under
``no_grad``) and bumps its version, so a graph that saved the old values notices.
Every draw comes from minigen's seeded CPU generator (``minigen.random.generator()``)
and is then copied to the tensor's device: ``mg.manual_seed(s)`` gives the same
weights whether the model lives on the CPU or the GPU.

fan_in of a weight (out, in, kh, kw) is in * kh * kw: how many inputs each output sums.
For a transposed convolution's (in, out, kh, kw) weight the same rule (dim 1 times the
kernel size) is applied, which is PyTorch's convention.

Each accepts a Tensor or its array, so PyTorch's ``nn.init.normal_(m.weight.data, 0.0, 0.02)``
works too (``.data`` is the array in minigen).
"""
import math

import numpy as np

from .. import backend
from ..random import generator
from ..tensor import Tensor, no_grad


def _fill(t, values):
    """t[...] = values (a host array), in place, on t's device, in t's dtype."""
    if not isinstance(t, Tensor):  # an array, e.g. param.data: filled in place all the same
        t[...] = backend.to_device(np.asarray(values, dtype=t.dtype), backend.device_of(t))
        return t
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


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """t ~ N(0, std^2), std = gain / sqrt(fan) (He et al. 2015); gain and fan as in
    kaiming_uniform_."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_normal_: mode={mode!r} must be 'fan_in' or 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"kaiming_normal_: cannot initialise a weight of shape {t.shape} (its {mode} is 0)")
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(t, gain=1.0):
    """t ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a)


def xavier_normal_(t, gain=1.0):
    """t ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """t ~ N(mean, std^2) conditioned on a <= t <= b (absolute bounds, PyTorch's), by redrawing
    the values that fall outside until none do."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    rng = generator()
    values = rng.normal(mean, std, size=t.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(t, values)


def orthogonal_(t, gain=1.0):
    """t (rows, cols) with orthonormal rows or columns, scaled by ``gain`` (Saxe et al. 2014):
    the Q of a QR decomposition of a Gaussian matrix, its signs fixed by R's diagonal so that
    Q is uniformly distributed. A weight with more dims is viewed as (shape[0], rest)."""
    if len(t.shape) < 2:
        raise ValueError(f"orthogonal_: needs a weight with at least 2 dimensions, got shape {t.shape}")
    rows = t.shape[0]
    cols = int(np.prod(t.shape[1:]))
    flat = generator().normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, (gain * q).reshape(t.shape))


def eye_(t):
    """The identity matrix (ones on the diagonal of a 2-D weight)."""
    if len(t.shape) != 2:
        raise ValueError(f"eye_: needs a 2-D weight, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))


def default_layer_init_(weight, bias=None):
    """PyTorch's default for Linear and the convolutions: weight by kaiming_uniform_(a=sqrt(5)),
    which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias by the same uniform bound."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)


def _dcgan_one(module):
    # By class name, as the DCGAN tutorial's weights_init does (classname.find("Conv")):
    # init is below the layers in the import tree, so it does not import them.
    kinds = {cls.__name__ for cls in type(module).__mro__}
    if kinds & {"Conv2d", "ConvTranspose2d"}:
        normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            zeros_(module.bias)
    elif "_BatchNorm" in kinds and module.weight is not None:
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
