"""SPADE: spatially-adaptive (de)normalisation (Park, Liu, Wang & Zhu 2019).

A normalisation layer removes each channel's mean and scale; a plain affine layer then puts
back one learned scale and shift per channel. SPADE puts back a scale and a shift *per
pixel*, predicted from the semantic map m resized to the features' size:

    x_hat = norm(x)                         instance norm (default) or batch norm, no parameters
    a     = relu(conv_shared(resize(m)))    (N, hidden, H, W)
    gamma = conv_gamma(a),  beta = conv_beta(a)                 (N, C, H, W) each
    y     = x_hat * (1 + gamma) + beta

resize is nearest-neighbour interpolation: a label map is categorical, and blending two
labels' one-hot vectors would invent a label that is half of each.

Why: normalising a map that is constant over a region gives zeros there whatever its value
(x - mean(x) = 0), so a generator fed the label map only at its input loses the label of any
uniform region after its first normalisation layer ("washes away" the semantics). SPADE
reads the label map again in every normalisation layer, after the normalisation, so nothing
washes it away. ``1 + gamma`` (not ``gamma``) starts the layer near the identity scale.

The parameter names (``mlp_shared``, ``mlp_gamma``, ``mlp_beta``) are those of the authors'
code (NVlabs/SPADE, ``models/networks/normalization.py``), so its state dicts carry over;
``norm="instance"`` and ``"batch"`` with ``kernel_size=3`` are its ``spadeinstance3x3`` and
``spadebatch3x3``.
"""
import numpy as np

from . import functional as F
from .activation import ReLU
from .containers import Sequential
from .conv import Conv2d
from .module import Module
from .norm import BatchNorm2d, InstanceNorm2d


class SPADE(Module):
    """SPADE(norm_nc, label_nc, hidden=128, kernel_size=3, norm="instance").

    forward(x, segmap): x (N, norm_nc, H, W), segmap (N, label_nc, H_m, W_m) (one-hot or any
    real-valued map; resized to H x W) -> (N, norm_nc, H, W). See the module doc.
    """

    def __init__(self, norm_nc, label_nc, hidden=128, kernel_size=3, norm="instance"):
        super().__init__()
        for name, v in (("norm_nc", norm_nc), ("label_nc", label_nc), ("hidden", hidden)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"SPADE: {name}={v!r} must be a positive integer")
        if not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"SPADE: kernel_size={kernel_size!r} must be a positive odd integer "
                             "(padding kernel_size // 2 keeps the map's size)")
        if norm == "instance":
            self.param_free_norm = InstanceNorm2d(norm_nc, affine=False)
        elif norm == "batch":
            self.param_free_norm = BatchNorm2d(norm_nc, affine=False)
        else:
            raise ValueError(f"SPADE: norm={norm!r}: expected 'instance' or 'batch'")
        self.norm_nc, self.label_nc, self.hidden = int(norm_nc), int(label_nc), int(hidden)
        self.kernel_size, self.norm = int(kernel_size), norm
        pad = kernel_size // 2
        self.mlp_shared = Sequential(Conv2d(label_nc, hidden, kernel_size, padding=pad), ReLU())
        self.mlp_gamma = Conv2d(hidden, norm_nc, kernel_size, padding=pad)
        self.mlp_beta = Conv2d(hidden, norm_nc, kernel_size, padding=pad)

    def modulation(self, segmap, size):
        """(gamma, beta), each (N, norm_nc, *size), from the map resized to ``size``."""
        if segmap.ndim != 4 or segmap.shape[1] != self.label_nc:
            raise ValueError(f"SPADE({self.norm_nc}, {self.label_nc}): segmap of shape {segmap.shape}; "
                             f"expected (N, {self.label_nc}, H, W)")
        if tuple(segmap.shape[2:]) != tuple(size):
            segmap = F.interpolate(segmap, size=tuple(size), mode="nearest")
        actv = self.mlp_shared(segmap)
        return self.mlp_gamma(actv), self.mlp_beta(actv)

    def forward(self, x, segmap):
        if x.ndim != 4 or x.shape[1] != self.norm_nc:
            raise ValueError(f"SPADE({self.norm_nc}, {self.label_nc}): x of shape {x.shape}; "
                             f"expected (N, {self.norm_nc}, H, W)")
        if segmap.shape[0] != x.shape[0]:
            raise ValueError(f"SPADE: x has {x.shape[0]} images and segmap {segmap.shape[0]}; expected one map "
                             "per image")
        gamma, beta = self.modulation(segmap, x.shape[2:])
        return self.param_free_norm(x) * (1 + gamma) + beta

    def extra_repr(self):
        return (f"{self.norm_nc}, {self.label_nc}, hidden={self.hidden}, kernel_size={self.kernel_size}, "
                f"norm={self.norm!r}")
