"""Conv2d and ConvTranspose2d layers (PyTorch's arguments, layouts and default init)."""

import numpy as np

from . import functional as F
from . import init
from .functional.conv import _pair
from .module import Module, Parameter


class _ConvNd(Module):
    """What both convolutions share: argument checks, the weight, PyTorch's init, the repr.

    Default init (PyTorch's): weight by kaiming_uniform_(a=sqrt(5)), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
    fan_in = weight.shape[1] * kH * kW. For Conv2d that is C_in/groups * kH * kW, the
    number of inputs each output sums. For ConvTranspose2d, whose weight is
    (C_in, C_out/groups, kH, kW), the same rule gives C_out/groups * kH * kW; we follow
    PyTorch here so a model starts from the same weight distribution in both libraries.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, transposed, output_padding=0):
        super().__init__()
        layer = type(self).__name__
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{layer}: {name}={v!r} must be a positive integer")
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if v % groups:
                raise ValueError(f"{layer}: {name}={v} is not divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride, self.padding = _pair(stride, "stride"), _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.output_padding = _pair(output_padding, "output_padding")
        for name, value, low in (("kernel_size", self.kernel_size, 1), ("stride", self.stride, 1),
                                 ("padding", self.padding, 0), ("dilation", self.dilation, 1)):
            if min(value) < low:
                raise ValueError(f"{layer}: {name}={value} must be >= {low}")
        for s, d, op in zip(self.stride, self.dilation, self.output_padding):
            # output_padding picks one of the `stride` input sizes a strided conv maps to the same
            # output size; anything larger would add rows no input reaches.
            if not 0 <= op < max(s, d):
                raise ValueError(f"{layer}: output_padding={self.output_padding} must be smaller than "
                                 f"stride={self.stride} or dilation={self.dilation} on each axis")
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: x (N, C_in, H, W) -> y (N, C_out, H_out, W_out),
    H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1.

    weight (C_out, C_in/groups, kH, kW), bias (C_out,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, transposed=False)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution, the adjoint of Conv2d (it maps a conv's output shape back to
    its input shape): x (N, C_in, H, W) -> y (N, C_out, H_out, W_out),
    H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1.

    weight (C_in, C_out/groups, kH, kW) (note: C_in first, PyTorch's layout), bias (C_out,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, transposed=True, output_padding=output_padding)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)
