"""Reductions: sum, mean, var, max, min, logsumexp, log_softmax, softmax.

Arguments follow NumPy: ``axis`` (an int, a tuple, or None for all axes) and
``keepdims``. A reduction's backward broadcasts the gradient back over the reduced axes.
"""
import builtins

import numpy as np

from .. import backend
from ..tensor import Function, Tensor, as_tensor
from .shape import broadcast_to, reshape


def _normalize_axis(axis, ndim, op):
    """A sorted tuple of non-negative axes (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted({a % ndim for a in axes})) if ndim else ()


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over ``axes``;  dx = dy broadcast back over those axes."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        gy = reshape(gy, _keepdims_shape(x.shape, self.axes))
        return broadcast_to(gy, x.shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = as_tensor(x)
    return Sum(_normalize_axis(axis, x.ndim, "sum"), keepdims)(x)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean: sum / (number of elements reduced)."""
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim, "mean")
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return sum(x, axes, keepdims) / n


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance, NumPy's convention: mean((x - mean(x))^2) * n / (n - ddof).

    ``ddof=0`` is the biased (population) variance that batch norm normalises with;
    ``ddof=1`` the unbiased estimate its running average stores (PyTorch's default)."""
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim, "var")
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    centered = x - mean(x, axes, keepdims=True)
    return sum(centered * centered, axes, keepdims) / (n - ddof)


class Max(Function):
    """y = max of x over ``axes``;  dx = dy where x equals the max, shared evenly among
    ties (the subgradient PyTorch's amax uses)."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        kd = _keepdims_shape(x.shape, self.axes)
        y = self.output.data.reshape(kd)
        mask = (x.data == y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return broadcast_to(reshape(gy, kd), x.shape) * Tensor(mask)


def max(x, axis=None, keepdims=False):  # noqa: A001
    x = as_tensor(x)
    if x.size == 0:
        raise ValueError("max: the tensor is empty")
    return Max(_normalize_axis(axis, x.ndim, "max"), keepdims)(x)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """min(x) = -max(-x), sharing Max's backward."""
    return -max(-as_tensor(x), axis, keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m = max(x), so exp never
    overflows; m is a constant shift (its gradient contributions cancel exactly)."""
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim, "logsumexp")
    m = Tensor(x.data.max(axis=axes, keepdims=True))
    from .elementwise import exp, log
    out = log(sum(exp(x - m), axes, keepdims=True)) + m
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


class LogSoftmax(Function):
    """y = x - logsumexp(x, axis);  dx = dy - softmax(x) * sum(dy, axis)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.get_array_module(x)
        m = x.max(axis=self.axis, keepdims=True)
        shifted = x - m
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, gy):
        from .elementwise import exp
        return gy - exp(self.output) * sum(gy, self.axis, keepdims=True)


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max));  dx = y * (dy - sum(dy * y, axis))."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, gy):
        y = self.output
        return y * (gy - sum(gy * y, self.axis, keepdims=True))


def log_softmax(x, axis=-1):
    x = as_tensor(x)
    return LogSoftmax(_normalize_axis(axis, x.ndim, "log_softmax"))(x)


def softmax(x, axis=-1):
    x = as_tensor(x)
    return Softmax(_normalize_axis(axis, x.ndim, "softmax"))(x)
