"""Resizing images: ``F.interpolate`` (PyTorch's), modes ``"nearest"``, ``"bilinear"``,
``"bicubic"`` and ``"area"``.

All are gathers and weighted sums of input pixels, written with indexing and arithmetic,
so their gradients of every order come from those ops (GetItem's scatter-add).

* nearest:  y[..., i, j] = x[..., floor(i * H / H_out), floor(j * W / W_out)]; by integer
  factors sH = H_out / H, sW = W_out / W this is each pixel repeated into an sH x sW block,
  computed as a broadcast (and its gradient as the sum over each block) rather than a gather:
  GetItem's scatter-add (np.add.at) and the strided layout of a two-axis gather made SPADE's
  step spend a tenth of its time there.
* bilinear (align_corners=False, PyTorch's default): output pixel i samples the input at
  src = (i + 0.5) * H / H_out - 0.5 (clamped at 0), between rows i0 = floor(src) and
  i1 = min(i0 + 1, H - 1) with weights 1 - l and l, l = src - i0; the same along W.
  align_corners=True maps the corner pixels onto each other: src = i * (H - 1) / (H_out - 1).
* bicubic (Keys 1981, PyTorch's a = -0.75): the same src, *not* clamped, i0 = floor(src),
  t = src - i0; y = sum over k = -1..2 of W(k - t) x[clamp(i0 + k, 0, H - 1)] with the cubic
  convolution kernel
      W(s) = (a + 2)|s|^3 - (a + 3)|s|^2 + 1          for |s| <= 1
      W(s) = a|s|^3 - 5a|s|^2 + 8a|s| - 4a            for 1 < |s| < 2,   0 beyond;
  its four weights sum to 1 and W(0) = 1, W(+-1) = W(+-2) = 0, so it interpolates (passes
  through the samples). Negative lobes make it sharper than bilinear, and let it overshoot.
* area (downsampling by integer factors kH = H / H_out, kW = W / W_out): y = the mean of each
  kH x kW block, avg_pool2d(x, (kH, kW)) (PyTorch's adaptive average pooling, which is
  this when the factors are integers).
"""
import math

import numpy as np

from ... import backend
from ...ops.shape import broadcast_to
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


def _repeats(index, s):
    """Whether the nearest indices are each input pixel s times in a row, (0,..,0, 1,..,1, ...):
    the block path then gathers exactly what the index would."""
    xp = backend.get_array_module(index)
    return s >= 1 and len(index) % s == 0 and bool((index == xp.arange(len(index)) // s).all())


def _nearest_by_blocks(x, sh, sw):
    """Nearest upsampling by integer factors: y (N, C, H sH, W sW) = x broadcast over a
    (sH, sW) block per pixel; dx = the sum of dy over each block (BroadcastTo's backward)."""
    n, c, h, w = x.shape
    blocks = broadcast_to(x.reshape(n, c, h, 1, w, 1), (n, c, h, sh, w, sw))
    return blocks.reshape(n, c, h * sh, w * sw)


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


BICUBIC_A = -0.75  # PyTorch's (and OpenCV's); Keys' original analysis prefers -0.5


def cubic_weights(t, a=BICUBIC_A):
    """The four weights W(-1 - t), W(-t), W(1 - t), W(2 - t) of taps i0 - 1 .. i0 + 2 for
    fractional offsets t in [0, 1) (an array), as a (4, len(t)) array."""
    t = np.asarray(t, dtype=np.float64)
    near = lambda s: ((a + 2) * s - (a + 3)) * s * s + 1          # noqa: E731  |s| <= 1
    far = lambda s: ((a * s - 5 * a) * s + 8 * a) * s - 4 * a    # noqa: E731  1 < |s| < 2
    return np.stack([far(1 + t), near(t), near(1 - t), far(2 - t)])


def _cubic_taps(n_in, n_out, align_corners):
    """(indices (4, n_out), weights (4, n_out)) for one axis: y[i] = sum_k w[k, i] x[idx[k, i]]."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = (i + 0.5) * (n_in / n_out) - 0.5   # no clamp at 0, unlike bilinear (PyTorch's rule)
    i0 = np.floor(src).astype(np.int64)
    taps = np.clip(i0[None] + np.arange(-1, 3)[:, None], 0, n_in - 1)  # border pixels repeat
    return taps, cubic_weights(src - i0)


def _bicubic(x, h_out, w_out, align_corners, xp):
    """Separable: four row gathers weighted and summed, then the same along the columns."""
    h, w = x.shape[2:]
    rows, wr = _cubic_taps(h, h_out, align_corners)
    cols, wc = _cubic_taps(w, w_out, align_corners)

    def weight(values, shape):
        return Tensor(backend.to_device(values.astype(x.dtype).reshape(shape), x.device))
    y = sum(x[:, :, xp.asarray(rows[k])] * weight(wr[k], (-1, 1)) for k in range(4))
    return sum(y[:, :, :, xp.asarray(cols[k])] * weight(wc[k], (-1,)) for k in range(4))


def _area(x, h_out, w_out):
    h, w = x.shape[2:]
    if h % h_out or w % w_out:
        raise ValueError(f"interpolate: mode='area' supports downsampling by integer factors; "
                         f"got ({h}, {w}) -> ({h_out}, {w_out})")
    from .pool import avg_pool2d
    return avg_pool2d(x, (h // h_out, w // w_out))


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize x (N, C, H, W) to ``size`` (H_out, W_out) or by ``scale_factor``; see above."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"interpolate: expected input of shape (N, C, H, W), got shape {x.shape}")
    h_out, w_out = _output_size(x, size, scale_factor)
    h, w = x.shape[2:]
    xp = backend.get_array_module(x.data)
    if mode not in ("nearest", "bilinear", "bicubic", "area"):
        raise ValueError(f"interpolate: mode={mode!r} is not supported; expected 'nearest', 'bilinear', "
                         "'bicubic' or 'area'")
    if mode in ("nearest", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners only applies to mode='bilinear' or 'bicubic'")
        if mode == "area":
            return _area(x, h_out, w_out)
        rows, cols = _nearest_index(h, h_out, xp), _nearest_index(w, w_out, xp)
        if _repeats(rows, h_out // h) and _repeats(cols, w_out // w):
            return _nearest_by_blocks(x, h_out // h, w_out // w)
        return x[:, :, rows][:, :, :, cols]
    if mode == "bicubic":
        return _bicubic(x, h_out, w_out, bool(align_corners), xp)
    r0, r1, lr = _linear_weights(h, h_out, bool(align_corners))
    c0, c1, lc = _linear_weights(w, w_out, bool(align_corners))

    def weight(values, shape):
        return Tensor(backend.to_device(values.astype(x.dtype).reshape(shape), x.device))
    top, bottom = x[:, :, xp.asarray(r0)], x[:, :, xp.asarray(r1)]
    rows = top * weight(1 - lr, (-1, 1)) + bottom * weight(lr, (-1, 1))
    left, right = rows[:, :, :, xp.asarray(c0)], rows[:, :, :, xp.asarray(c1)]
    return left * weight(1 - lc, (-1,)) + right * weight(lc, (-1,))
