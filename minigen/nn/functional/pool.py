"""Pooling: max_pool2d and avg_pool2d (PyTorch's ``F.max_pool2d``, ``F.avg_pool2d``).

Both slide a kH x kW window with a stride over x (N, C, H, W):

    H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1   (stride defaults to kH)

* max:  y[n, c, p, q] = max over the window of x_pad (padding is -inf, never the max);
        dx gets dy at the window's argmax only (the first one among ties, as PyTorch),
        so a window of equal values, say zeros after a ReLU, sends its gradient to one input.
* avg:  y[n, c, p, q] = (1 / (kH kW)) sum over the window of x_pad (padding counts as 0,
        PyTorch's count_include_pad=True): a depthwise conv2d with a constant kernel, so its
        gradients of every order are conv2d's.
"""
import numpy as np

from ... import backend
from ...tensor import Function, Tensor, as_tensor
from .conv import _pair, conv2d, conv_output_size


def _pool_args(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported (outputs use floor)")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == () else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got shape {x.shape}")
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise ValueError(f"{op}: padding={padding} must be at most half the kernel {kernel} (PyTorch's rule)")
    out = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                zip(x.shape[2:], kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{op}: the output would be empty for input shape {x.shape}, kernel {kernel}")
    return kernel, stride, padding, dilation, out


class MaxPool2d(Function):
    """y = max of each window; dx = MaxPool2dGrad(dy): dy added at each window's argmax.
    ``self.saved_indices`` (N, C, H_out, W_out): the argmax as a flat index into H * W."""

    def __init__(self, kernel, stride, padding, dilation, out_hw):
        self.kernel, self.stride, self.padding, self.dilation, self.out_hw = kernel, stride, padding, dilation, out_hw

    def forward(self, x):
        xp = backend.get_array_module(x)
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = (self.kernel, self.stride, self.padding,
                                                            self.dilation, self.out_hw)
        x_pad = xp.full((n, c, h + 2 * ph, w + 2 * pw), -xp.inf, dtype=x.dtype)
        x_pad[:, :, ph:ph + h, pw:pw + w] = x
        # windows[i * kw + j] = the input pixels kernel offset (i, j) sees (as in im2col)
        windows = xp.stack([x_pad[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                            for i in range(kh) for j in range(kw)])
        k = windows.argmax(axis=0)                              # first max among ties
        rows = xp.arange(ho).reshape(-1, 1) * sh + (k // kw) * dh - ph
        cols = xp.arange(wo) * sw + (k % kw) * dw - pw
        self.saved_indices = rows * w + cols
        return xp.take_along_axis(windows, k[None], axis=0)[0]

    def backward(self, gy):
        return MaxPool2dGrad(self.saved_indices, self.inputs[0].shape)(gy)


class MaxPool2dGrad(Function):
    """dx = zeros with dy added at the saved argmax positions. Linear in dy; its backward
    gathers the incoming gradient at the same positions (which is max pooling's forward
    with the argmax held fixed)."""

    def __init__(self, indices, x_shape):
        self.indices, self.x_shape = indices, tuple(x_shape)

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        n, c, h, w = self.x_shape
        gx = xp.zeros((n * c, h * w), dtype=gy.dtype)
        flat = self.indices.reshape(n * c, -1)
        rows = xp.broadcast_to(xp.arange(n * c)[:, None], flat.shape)
        if xp is np:
            np.add.at(gx, (rows, flat), gy.reshape(n * c, -1))  # windows may overlap: add, not assign
        else:
            xp.add.at(gx, (rows, flat), gy.reshape(n * c, -1))
        return gx.reshape(self.x_shape)

    def backward(self, ggx):
        n, c = self.x_shape[:2]
        return MaxPool2dGather(self.indices.reshape(n, c, -1), self.indices.shape)(ggx)


class MaxPool2dGather(Function):
    """y = x.reshape(N, C, H*W) gathered at ``indices`` (N, C, H_out*W_out): MaxPool2dGrad's
    adjoint, so the pair closes under differentiation."""

    def __init__(self, flat_indices, out_shape):
        self.flat, self.out_shape = flat_indices, tuple(out_shape)

    def forward(self, x):
        xp = backend.get_array_module(x)
        n, c = x.shape[:2]
        return xp.take_along_axis(x.reshape(n, c, -1), self.flat, axis=2).reshape(self.out_shape)

    def backward(self, gy):
        return MaxPool2dGrad(self.flat.reshape(self.out_shape), self.inputs[0].shape)(gy)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling; see the module docstring. ``return_indices=True`` also returns the argmax
    of each window as a flat index into H * W (PyTorch's layout), int64."""
    x = as_tensor(x)
    kernel, stride, padding, dilation, out = _pool_args("max_pool2d", x, kernel_size, stride, padding,
                                                        dilation, ceil_mode)
    fn = MaxPool2d(kernel, stride, padding, dilation, out)
    y = fn(x)
    return (y, Tensor(fn.saved_indices.astype(np.int64))) if return_indices else y


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Average pooling: a depthwise conv2d with every kernel weight 1 / (kH kW)."""
    x = as_tensor(x)
    if not count_include_pad:
        raise NotImplementedError("avg_pool2d: count_include_pad=False is not supported")
    kernel, stride, padding, _, _ = _pool_args("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    c = x.shape[1]
    divisor = divisor_override or kernel[0] * kernel[1]
    xp = backend.get_array_module(x.data)
    weight = Tensor(xp.full((c, 1) + kernel, 1.0 / divisor, dtype=x.dtype))
    return conv2d(x, weight, None, stride, padding, 1, c)
