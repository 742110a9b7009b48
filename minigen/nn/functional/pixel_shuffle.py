"""Sub-pixel rearrangement: ``F.pixel_shuffle`` and ``F.pixel_unshuffle`` (PyTorch's layouts;
Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an Efficient
Sub-Pixel Convolutional Neural Network").

pixel_shuffle, factor r: (N, C r^2, H, W) -> (N, C, H r, W r),

    y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w]      0 <= i, j < r

so the r^2 channels of one input pixel become an r x r block of output pixels. A convolution
with C r^2 outputs followed by pixel_shuffle is a stride-1/r convolution ("sub-pixel
convolution") computed at the low resolution: r^2 times cheaper than convolving the
enlarged image, and, unlike a stride-2 transposed convolution, every output pixel gets the
same number of kernel taps (no checkerboard from uneven overlap).
pixel_unshuffle is its inverse, (N, C, H r, W r) -> (N, C r^2, H, W).

Both are a reshape and a transpose, so their gradients of every order are those ops'
(the adjoint of a permutation is the inverse permutation: pixel_shuffle's backward is
pixel_unshuffle).
"""
import numpy as np

from ...tensor import as_tensor


def _factor(op, value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{op}: {name}={value!r}; expected a positive integer")
    return int(value)


def pixel_shuffle(x, upscale_factor):
    """(N, C r^2, H, W) -> (N, C, H r, W r), r = upscale_factor; see the module docstring."""
    x = as_tensor(x)
    r = _factor("pixel_shuffle", upscale_factor, "upscale_factor")
    if x.ndim != 4 or x.shape[1] % (r * r):
        raise ValueError(f"pixel_shuffle: expected input (N, C*{r * r}, H, W) with channels divisible by "
                         f"upscale_factor^2 = {r * r}, got shape {x.shape}")
    n, c, h, w = x.shape
    # (n, c, i, j, h, w) -> (n, c, h, i, w, j): output row h r + i, column w r + j
    return x.reshape(n, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)


def pixel_unshuffle(x, downscale_factor):
    """(N, C, H r, W r) -> (N, C r^2, H, W), r = downscale_factor: pixel_shuffle's inverse."""
    x = as_tensor(x)
    r = _factor("pixel_unshuffle", downscale_factor, "downscale_factor")
    if x.ndim != 4 or x.shape[2] % r or x.shape[3] % r:
        raise ValueError(f"pixel_unshuffle: expected input (N, C, H, W) with H and W divisible by "
                         f"downscale_factor = {r}, got shape {x.shape}")
    n, c, hr, wr = x.shape
    h, w = hr // r, wr // r
    return x.reshape(n, c, h, r, w, r).permute(0, 1, 3, 5, 2, 4).reshape(n, c * r * r, h, w)
