"""Batch norm, instance norm and layer norm: one normalisation, three groupings.

For each channel c, over the m values x_k in that channel (all axes but axis 1):

    mean = (1/m) sum_k x_k,   var = (1/m) sum_k (x_k - mean)^2       (biased)
    x_hat = (x - mean) / sqrt(var + eps),   y = weight * x_hat + bias

Closed-form backward (derived in the batch-norm lesson), one pass over the saved x_hat:

    dx = weight / (m * sqrt(var + eps)) * (m * dy - sum(dy) - x_hat * sum(dy * x_hat))
    dweight = sum(dy * x_hat),  dbias = sum(dy)

Instance norm is batch norm of x reshaped to (1, N*C, H*W): each (sample, channel) is its
own "channel". Layer norm is batch norm of x reshaped to (1, rows, features).
"""
import numpy as np

from ... import backend
from ...tensor import Function, Tensor, as_tensor, is_grad_enabled, no_grad


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _reduce_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _letters(ndim):
    return "abcdefghij"[:ndim]


def _channel_sum(a):
    """sum over all axes but 1 (NumPy's einsum runs this about 3x faster than
    a.sum(axis=(0, 2, 3)); CuPy's einsum plans its contraction in Python on every call, where
    a plain sum is one reduction kernel)."""
    xp = backend.get_array_module(a)
    if xp is not np:
        return a.sum(axis=_reduce_axes(a))
    return xp.einsum(f"{_letters(a.ndim)}->b", a)


def _channel_sum_of_products(a, b):
    """sum over all axes but 1 of a * b, without materialising the product on the CPU (on
    the GPU the product is one elementwise kernel, the sum one reduction)."""
    xp = backend.get_array_module(a)
    if xp is not np:
        return (a * b).sum(axis=_reduce_axes(a))
    letters = _letters(a.ndim)
    return xp.einsum(f"{letters},{letters}->b", a, b)


def _plane(v, x):
    """Per-channel values v (C,) spread over one sample's shape (C, H, W).

    Broadcasting x (N, C, H, W) against this plane loops over N only, with C*H*W
    contiguous elements inside; against v.reshape(1, C, 1, 1) NumPy would run one short
    inner loop per (n, c, h) row, about twice as slow at 14x14. Instance and layer norm's
    (1, rows, features) view needs no plane: a column (rows, 1) already broadcasts with
    contiguous inner loops, and the plane would be a full-size copy."""
    xp = backend.get_array_module(x)
    if x.shape[0] == 1 or xp is not np:  # a GPU kernel broadcasts at no cost: no copy
        return v.reshape((-1,) + (1,) * (x.ndim - 2))
    return xp.ascontiguousarray(xp.broadcast_to(v.reshape((-1,) + (1,) * (x.ndim - 2)), x.shape[1:]))


def batch_norm_forward_array(x, mean, inv_std, weight, bias, centered=None):
    """x_hat = (x - mean[c]) * inv_std[c];  y = x_hat * weight[c] + bias[c].
    x (N, C, ...); the rest (C,). Returns (y, x_hat). On CuPy: one fused kernel.
    CPU: ``centered``, x - mean already computed (for the variance), becomes x_hat in place,
    saving a pass over x and an array."""
    xp = backend.get_array_module(x)
    if xp is not np:
        from ...kernels import batch_norm_forward
        return batch_norm_forward(x, mean, inv_std, weight, bias)
    x_hat = x - _plane(mean, x) if centered is None else centered
    x_hat *= _plane(inv_std, x)
    y = x_hat * _plane(weight, x)
    y += _plane(bias, x)
    return y, x_hat


def batch_norm_backward_array(gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, m):
    """dx = weight[c] * inv_std[c] / m * (m * dy - sum_gy[c] - x_hat * sum_gy_xhat[c]).
    On CuPy: one fused kernel."""
    xp = backend.get_array_module(gy)
    if xp is not np:
        from ...kernels import batch_norm_backward
        return batch_norm_backward(gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, m)
    gx = x_hat * _plane(sum_gy_xhat / m, gy)
    gx += _plane(sum_gy / m, gy)
    np.subtract(gy, gx, out=gx)
    gx *= _plane(weight * inv_std, gy)
    return gx


class BatchNorm(Function):
    """Training-mode normalisation with the batch's own statistics (see module doc).

    Inputs: x (N, C, ...), weight (C,), bias (C,). After forward, ``self.batch_mean`` and
    ``self.batch_var`` (biased) hold the statistics for the running averages."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x, weight, bias):
        m = x.size // x.shape[1]
        mean = _channel_sum(x) / x.dtype.type(m)
        centered = x - _plane(mean, x)
        var = _channel_sum_of_products(centered, centered) / x.dtype.type(m)
        inv_std = 1 / backend.get_array_module(x).sqrt(var + x.dtype.type(self.eps))
        y, x_hat = batch_norm_forward_array(x, mean, inv_std, weight, bias, centered)
        self.batch_mean, self.batch_var = mean, var
        # x_hat is recomputed from x in the backward rather than kept: no second array the
        # size of x lives as long as the graph (PyTorch keeps only x, mean and inv_std too)
        self.saved_inv_std = inv_std
        return y

    def backward(self, gy):
        if is_grad_enabled():  # create_graph=True: a backward that is itself differentiable
            return self._differentiable_backward(gy)
        x, weight, _ = self.inputs
        g = gy.data
        m = g.size // g.shape[1]
        inv_std = self.saved_inv_std
        centered = x.data - _plane(self.batch_mean, g)  # x_hat / inv_std, one pass fewer than x_hat
        sum_gy = _channel_sum(g)
        sum_gy_centered = _channel_sum_of_products(g, centered)
        gx = None
        if self.needs_input_grad[0]:  # x_hat * sum_gy_xhat = centered * (inv_std^2 sum_gy_centered)
            gx = Tensor(batch_norm_backward_array(g, centered, weight.data, inv_std, sum_gy,
                                                  inv_std * inv_std * sum_gy_centered, m))
        return gx, Tensor(inv_std * sum_gy_centered), Tensor(sum_gy)

    def _differentiable_backward(self, gy):
        """The same closed form in Tensor ops, with mean and inv_std recomputed *from x* so
        that their dependence on x is differentiated too. (Treating the cached inverse
        standard deviation as a constant gives a right first and a wrong second derivative.)"""
        x, weight, _ = self.inputs
        axes, shape = _reduce_axes(x), _channel_shape(x)
        m = x.numel() // x.shape[1]
        centered = x - x.mean(axis=axes, keepdims=True)
        inv_std = ((centered * centered).mean(axis=axes, keepdims=True) + self.eps) ** -0.5
        x_hat = centered * inv_std
        sum_gy = gy.sum(axis=axes, keepdims=True)
        sum_gy_xhat = (gy * x_hat).sum(axis=axes, keepdims=True)
        gx = weight.reshape(shape) * inv_std / m * (m * gy - sum_gy - x_hat * sum_gy_xhat)
        return gx, sum_gy_xhat.reshape(-1), sum_gy.reshape(-1)


def _affine_or_identity(weight, bias, c, like):
    xp = backend.get_array_module(like.data)
    weight = Tensor(xp.ones(c, dtype=like.dtype)) if weight is None else as_tensor(weight)
    bias = Tensor(xp.zeros(c, dtype=like.dtype)) if bias is None else as_tensor(bias)
    return weight, bias


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation (PyTorch's ``F.batch_norm``) for x of shape (N, C) or (N, C, H, W).

    training=True: normalise with the batch statistics and update the running averages in
    place: running_mean <- (1 - momentum) running_mean + momentum * mean,
    running_var <- (1 - momentum) running_var + momentum * var * m/(m-1). The running
    variance uses the *unbiased* estimate because it estimates the population variance
    for evaluation; the batch itself is normalised with the biased one (PyTorch's rule).
    training=False: normalise with running_mean and running_var.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, H, W), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(t.shape)}, expected ({c},) for "
                             f"input shape {x.shape}")
    weight, bias = _affine_or_identity(weight, bias, c, x)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: training=False needs running_mean and running_var")
        shape = _channel_shape(x)
        scale = weight * _inv_std_tensor(running_var, eps)  # running stats are constants
        shift = bias - as_tensor(running_mean.data) * scale
        return x * scale.reshape(shape) + shift.reshape(shape)
    m = x.numel() // c
    if m < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input "
                         f"shape {x.shape}")
    fn = BatchNorm(eps)
    y = fn(x, weight, bias)
    if running_mean is not None:
        with no_grad():
            running_mean.mul_(1 - momentum).add_(fn.batch_mean, alpha=momentum)
    if running_var is not None:
        with no_grad():
            running_var.mul_(1 - momentum).add_(fn.batch_var * (m / (m - 1)), alpha=momentum)
    return y


def _inv_std_tensor(running_var, eps):
    xp = backend.get_array_module(running_var.data)
    return Tensor(1 / xp.sqrt(running_var.data + running_var.dtype.type(eps)))


def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalisation: each (sample, channel) plane of x (N, C, H, W) normalised by
    its own mean and variance, then scaled by weight[c] and shifted by bias[c]. Computed as
    batch norm of x viewed as (1, N*C, H*W): the same closed form and kernel."""
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, H, W), got {x.shape}")
    n, c = x.shape[:2]
    if x.numel() // (n * c) < 2:
        raise ValueError(f"instance_norm: needs more than one value per plane, got input shape {x.shape}")
    flat = x.reshape(1, n * c, -1)
    ones, zeros = _affine_or_identity(None, None, n * c, x)
    y = BatchNorm(eps)(flat, ones, zeros).reshape(x.shape)
    if weight is None and bias is None:
        return y
    shape = _channel_shape(x)
    if weight is not None:
        y = y * as_tensor(weight).reshape(shape)
    if bias is not None:
        y = y + as_tensor(bias).reshape(shape)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation: normalise over the last ``len(normalized_shape)`` axes of each
    sample, then y * weight + bias (both of shape normalized_shape). Batch norm of x viewed
    as (1, rows, features)."""
    x = as_tensor(x)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape={normalized_shape} does not match the last axes "
                         f"of input shape {x.shape}")
    rows = int(np.prod(x.shape[:x.ndim - k]))
    ones, zeros = _affine_or_identity(None, None, rows, x)
    y = BatchNorm(eps)(x.reshape(1, rows, -1), ones, zeros).reshape(x.shape)
    if weight is not None:
        y = y * as_tensor(weight)
    if bias is not None:
        y = y + as_tensor(bias)
    return y
