"""Resizing images: ``F.interpolate`` (PyTorch's), modes ``"nearest"`` and ``"bilinear"``.

Both are gathers and weighted sums of input pixels, written with indexing and arithmetic,
so their gradients of every order come from those ops (GetItem's scatter-add).

* nearest:  y[..., i, j] = x[..., floor(i * H / H_out), floor(j * W / W_out)]
* bilinear (align_corners=False, PyTorch's default): output pixel i samples the input at
  src = (i + 0.5) * H / H_out - 0.5 (clamped at 0), between rows i0 = floor(src) and
  i1 = min(i0 + 1, H - 1) with weights 1 - l and l, l = src - i0; the same along W.
  align_corners=True maps the corner pixels onto each other: src = i * (H - 1) / (H_out - 1).
"""
import math

import numpy as np

from ... import backend
from ...tensor import Tensor, as_tensor


def _output_size(x, size, scale_factor):
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: pass exactly one of size= and scale_factor=")
    if size is not None:
        return (size, size) if isinstance(size, (int, np.integer)) else tuple(int(n) for n in size)
    scales = (scale_factor,) * 2 if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    return tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales))


def _nearest_index(n_in, n_out, xp):
    return xp.minimum((xp.arange(n_out) * (n_in / n_out)).astype(np.int64), n_in - 1)


def _linear_weights(n_in, n_out, align_corners):
    """(i0, i1, l) for one axis: output pixel i = (1 - l) x[i0] + l x[i1]."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((i + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize x (N, C, H, W) to ``size`` (H_out, W_out) or by ``scale_factor``; see above."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"interpolate: expected input of shape (N, C, H, W), got shape {x.shape}")
    h_out, w_out = _output_size(x, size, scale_factor)
    h, w = x.shape[2:]
    xp = backend.get_array_module(x.data)
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("interpolate: align_corners only applies to mode='bilinear'")
        rows, cols = _nearest_index(h, h_out, xp), _nearest_index(w, w_out, xp)
        return x[:, :, rows][:, :, :, cols]
    if mode != "bilinear":
        raise ValueError(f"interpolate: mode={mode!r} is not supported; expected 'nearest' or 'bilinear'")
    r0, r1, lr = _linear_weights(h, h_out, bool(align_corners))
    c0, c1, lc = _linear_weights(w, w_out, bool(align_corners))

    def weight(values, shape):
        return Tensor(backend.to_device(values.astype(x.dtype).reshape(shape), x.device))
    top, bottom = x[:, :, xp.asarray(r0)], x[:, :, xp.asarray(r1)]
    rows = top * weight(1 - lr, (-1, 1)) + bottom * weight(lr, (-1, 1))
    left, right = rows[:, :, :, xp.asarray(c0)], rows[:, :, :, xp.asarray(c1)]
    return left * weight(1 - lc, (-1,)) + right * weight(lc, (-1,))
