"""torchvision's ``make_grid`` and ``save_image``: a batch of images tiled into one picture.

Same arguments and layout as ``torchvision.utils``: ``nrow`` images per row, ``padding``
pixels of ``pad_value`` between the images and around the border, one-channel images
repeated to three channels. ``normalize=True`` maps ``value_range`` (default: the batch's
min and max) to [0, 1]; otherwise the values are taken to be in [0, 1] already.
(``minigen.data.make_grid`` is minigen's own: uint8 (H, W, C), range detected.)
"""
import math

import numpy as np

from .. import backend
from ..tensor import Tensor


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """(N, C, H, W) -> a Tensor (3, rows (H + padding) + padding, ncol (W + padding) + padding),
    ncol = min(nrow, N), rows = ceil(N / ncol); a (C, H, W) image is a batch of one."""
    x = tensor.detach().numpy() if isinstance(tensor, Tensor) else backend.as_numpy(tensor)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected images (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)
    if normalize:
        def scaled(a):
            low, high = value_range if value_range is not None else (a.min(), a.max())
            return (np.clip(a, low, high) - low) / max(high - low, 1e-5)
        x = np.stack([scaled(a) for a in x]) if scale_each else scaled(x)
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    rows = math.ceil(n / ncol)
    grid = np.full((c, rows * (h + padding) + padding, ncol * (w + padding) + padding), pad_value,
                   dtype=np.float32)
    for i in range(n):
        top, left = (i // ncol) * (h + padding) + padding, (i % ncol) * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = x[i]
    return Tensor(grid)


def save_image(tensor, fp, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
               pad_value=0.0, format=None):
    """Write ``make_grid(tensor, ...)`` as an 8-bit image file: q = clamp(255 x + 0.5, 0, 255)."""
    from PIL import Image
    grid = make_grid(tensor, nrow, padding, normalize, value_range, scale_each, pad_value).numpy()
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(pixels).save(fp, format=format)
