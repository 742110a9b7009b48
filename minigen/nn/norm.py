"""Normalisation layers: BatchNorm1d/2d, InstanceNorm2d, LayerNorm.

All compute y = (x - mean) / sqrt(var + eps) * weight + bias; they differ in which
elements share a mean and variance (see ``minigen.nn.functional.norm``).
"""
import numpy as np

from . import functional as F
from .module import Module, Parameter
from ..tensor import Tensor


def _check_num_features(layer, num_features):
    if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) or num_features < 1:
        raise ValueError(f"{layer}: num_features={num_features!r} must be a positive integer")


def _check_eps(layer, eps):
    if not eps > 0:
        raise ValueError(f"{layer}: eps={eps} must be positive (it keeps 1/sqrt(var + eps) finite)")


def _affine(module, shape, affine):
    """weight = 1 and bias = 0 (the identity, PyTorch's init), or no parameters at all."""
    if affine:
        module.weight = Parameter(np.ones(shape, dtype=np.float32))
        module.bias = Parameter(np.zeros(shape, dtype=np.float32))
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class _BatchNorm(Module):
    """Statistics per channel over the batch (and H, W).

    Training: normalise with the batch's mean and (biased) variance, and update the
    buffers running_mean <- (1 - momentum) running_mean + momentum * mean (likewise
    running_var, with the unbiased variance) and count the batch in ``num_batches_tracked``
    (an int64 scalar, PyTorch's buffer, so state dicts carry the same keys). Evaluation:
    normalise with the buffers.
    With track_running_stats=False there are no buffers and the batch statistics are
    used in both modes.
    """
    expected_dims = (2, 4)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        layer = type(self).__name__
        _check_num_features(layer, num_features)
        _check_eps(layer, eps)
        if momentum is None or not 0 <= momentum <= 1:
            raise ValueError(f"{layer}: momentum={momentum} must be a number in [0, 1] (the cumulative "
                             "average PyTorch uses for momentum=None is not supported)")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, num_features, affine)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x):
        if x.ndim not in self.expected_dims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): got input of shape {x.shape}, "
                             f"expected {self.expected_dims} dimensions with {self.num_features} "
                             "channels on axis 1")
        use_batch_stats = self.training or not self.track_running_stats
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=use_batch_stats, momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs; weight, bias and buffers of shape (C,)."""
    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, statistics per channel over N, H, W."""
    expected_dims = (4,)


class InstanceNorm2d(Module):
    """Instance norm: each sample's each channel normalised over its own H, W, in training
    and evaluation alike (style transfer and CycleGAN use it: one image's contrast should
    not depend on the others in the batch). PyTorch's defaults: affine=False, no running
    statistics; affine=True adds weight and bias of shape (C,)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False):
        super().__init__()
        _check_num_features("InstanceNorm2d", num_features)
        _check_eps("InstanceNorm2d", eps)
        if track_running_stats:
            raise ValueError("InstanceNorm2d: track_running_stats=True is not supported; "
                             "instance norm here always uses each image's own statistics")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, False
        _affine(self, num_features, affine)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"InstanceNorm2d({self.num_features}): got input of shape {x.shape}, "
                             f"expected (N, {self.num_features}, H, W)")
        return F.instance_norm(x, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise each sample over its last axes ``normalized_shape`` (e.g. (C, H, W));
    weight and bias have shape ``normalized_shape`` (elementwise_affine=True)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        super().__init__()
        shape = normalized_shape
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if not shape or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape={normalized_shape!r} must be a positive int "
                             "or a tuple of them")
        _check_eps("LayerNorm", eps)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine(self, self.normalized_shape, elementwise_affine)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
