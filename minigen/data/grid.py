"""Tiling a batch of images into one picture: the standard way to look at samples.

Layout (as ``torchvision.utils.make_grid``): ``nrow`` images per row,
ceil(N / nrow) rows, ``padding`` black pixels between images and around the
border, so a grid of 64 MNIST digits with nrow=8, padding=2 is
8 * (28 + 2) + 2 = 242 pixels square.
"""
import math
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from .transforms import to_uint8


def _as_numpy(images):
    """A NumPy array from a NumPy array, a CuPy array or a minigen Tensor."""
    if hasattr(images, "numpy"):  # minigen.Tensor (and torch tensors)
        images = images.numpy()
    if hasattr(images, "get"):    # a CuPy array: copy it to the host
        images = images.get()
    return np.asarray(images)


def make_grid(images, nrow=8, value_range=None, padding=2):
    """Tile images (N, C, H, W), C = 1 or 3, into one uint8 array (H_grid, W_grid, C).

    value_range: (low, high) mapped to (0, 255) by q = round(255 * (x - low) / (high - low)),
                 values outside clipped. None auto-detects: (-1, 1) if min(x) < 0
                 (tanh outputs) else (0, 1). uint8 input is used as it is.
    H_grid = rows * (H + padding) + padding, W_grid = nrow' * (W + padding) + padding,
    where rows = ceil(N / nrow) and nrow' = min(nrow, N).
    """
    x = _as_numpy(images)
    if x.ndim == 3:  # (N, H, W): grayscale without a channel axis
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0:
        raise ValueError(f"make_grid: expected images of shape (N, C, H, W) with N >= 1 and "
                         f"C = 1 or 3, got {x.shape}")
    if x.dtype != np.uint8:
        if value_range is None:
            value_range = (-1.0, 1.0) if x.min() < 0 else (0.0, 1.0)
        low, high = value_range
        x = to_uint8((x.astype(np.float32) - low) / (high - low))
    n, c, h, w = x.shape
    ncol = min(nrow, n)
    nrows = math.ceil(n / nrow)
    grid = np.zeros((nrows * (h + padding) + padding, ncol * (w + padding) + padding, c),
                    dtype=np.uint8)
    for i in range(n):
        top = (i // nrow) * (h + padding) + padding
        left = (i % nrow) * (w + padding) + padding
        grid[top:top + h, left:left + w] = x[i].transpose(1, 2, 0)  # CHW -> HWC
    return grid


def save_image_grid(images, path, nrow=8, value_range=None, padding=2):
    """Write ``make_grid(images, ...)`` as a PNG file at ``path``; returns the path.

    Written atomically (a temporary file in the same folder, then ``os.replace``)
    so that a viewer refreshing the file during training, or a run killed
    mid-write, never sees half a PNG.
    """
    grid = make_grid(images, nrow=nrow, value_range=value_range, padding=padding)
    image = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, format="PNG")
        os.chmod(tmp, 0o644)  # mkstemp makes it private (0600); a picture should be readable
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
