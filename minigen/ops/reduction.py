"""Reductions: sum, mean, var, max, min, argmax, argmin, logsumexp, log_softmax, softmax.

Arguments: PyTorch's ``dim`` and ``keepdim`` or NumPy's ``axis`` and ``keepdims`` (an int,
a tuple, or None for all axes). A reduction's backward broadcasts the gradient back over
the reduced axes.
"""
import builtins
import functools
from collections import namedtuple

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


def pytorch_names(fn):
    """Let ``fn(x, axis=..., keepdims=...)`` also be called as ``fn(x, dim=..., keepdim=...)``."""
    @functools.wraps(fn)
    def wrapper(*args, dim=None, keepdim=None, **kwargs):
        if dim is not None:
            if kwargs.get("axis") is not None:
                raise TypeError(f"{fn.__name__}: pass dim= or axis=, not both")
            kwargs["axis"] = dim
        if keepdim is not None:
            kwargs["keepdims"] = keepdim
        return fn(*args, **kwargs)
    return wrapper


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


@pytorch_names
def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = as_tensor(x)
    return Sum(_normalize_axis(axis, x.ndim, "sum"), keepdims)(x)


@pytorch_names
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean: sum / (number of elements reduced)."""
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim, "mean")
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return sum(x, axes, keepdims) / n


@pytorch_names
def var(x, axis=None, keepdims=False, ddof=None, unbiased=None, correction=None):
    """Variance: sum((x - mean(x))^2) / (n - ddof).

    PyTorch's default: the unbiased estimate, ddof = 1 (``unbiased=True``, ``correction=1``).
    ``ddof=0`` (or ``unbiased=False``) is the biased (population) variance that batch norm
    normalises with."""
    given = [v is not None for v in (ddof, unbiased, correction)]
    if builtins.sum(given) > 1:
        raise TypeError("var: pass at most one of ddof=, unbiased=, correction=")
    ddof = (ddof if ddof is not None else int(unbiased) if unbiased is not None
            else correction if correction is not None else 1)
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


# What max/min over one dim return (PyTorch's ``torch.return_types.max``).
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def max(x, dim=None, keepdim=False, axis=None, keepdims=None):  # noqa: A001
    """PyTorch's three forms: ``max(x)`` the largest element; ``max(x, dim)`` the named
    pair ``(values, indices)`` along ``dim``; ``max(x, other)`` the elementwise maximum.
    NumPy's ``max(x, axis=...)`` gives the values alone (a tuple of axes allowed)."""
    x = as_tensor(x)
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(x, dim)
    if x.numel() == 0:
        raise ValueError("max: the tensor is empty")
    if dim is None:
        keep = keepdim if keepdims is None else keepdims
        return Max(_normalize_axis(axis, x.ndim, "max"), keep)(x)
    values = Max(_normalize_axis(dim, x.ndim, "max"), keepdim)(x)
    return ValuesIndices(values, argmax(x, dim, keepdim))


def min(x, dim=None, keepdim=False, axis=None, keepdims=None):  # noqa: A001
    """min(x) = -max(-x), sharing Max's backward; the same three forms as ``max``."""
    x = as_tensor(x)
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(x, dim)
    if dim is None:
        return -max(-x, axis=axis, keepdims=keepdim if keepdims is None else keepdims)
    return ValuesIndices(-max(-x, axis=dim, keepdims=keepdim), argmin(x, dim, keepdim))


def _arg_reduce(name, x, dim, keepdim):
    x = as_tensor(x)
    xp = backend.get_array_module(x.data)
    if dim is None:  # PyTorch: the index into the flattened tensor
        out = getattr(xp, name)(x.data.reshape(-1))
        return Tensor(xp.asarray(out, dtype=np.int64).reshape((1,) * x.ndim if keepdim else ()))
    axis = _normalize_axis(dim, x.ndim, name)[0]
    return Tensor(getattr(xp, name)(x.data, axis=axis, keepdims=keepdim).astype(np.int64))


def argmax(x, dim=None, keepdim=False):
    """Index of the largest element along ``dim`` (of the flattened tensor for None), int64;
    the first one among ties, as PyTorch. Not differentiable (indices are integers)."""
    return _arg_reduce("argmax", x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest element along ``dim``; see ``argmax``."""
    return _arg_reduce("argmin", x, dim, keepdim)


@pytorch_names
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


@pytorch_names
def log_softmax(x, axis=-1):
    x = as_tensor(x)
    return LogSoftmax(_normalize_axis(axis, x.ndim, "log_softmax"))(x)


@pytorch_names
def softmax(x, axis=-1):
    x = as_tensor(x)
    return Softmax(_normalize_axis(axis, x.ndim, "softmax"))(x)
