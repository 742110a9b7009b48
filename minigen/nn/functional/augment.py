"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for training a GAN on little data.

A critic that sees the same 4,500 digits for thousands of steps memorises them, and its
gradients stop telling G anything general. DiffAugment shows the critic *augmented* images,
real and fake alike, drawn afresh every call:

    D's loss:  L(D(T(x)), D(T(G(z))))        G's loss:  L(D(T(G(z))))

T must be differentiable, since G's gradient flows through it, and applied to both the real
and the fake batch: augmenting only the reals would teach G to draw augmented digits.

Policies (join with "+", e.g. ``"translation+cutout"``):
* ``translation``: each image shifted by up to ``ratio`` of its side (default 1/8), the
  uncovered border filled with ``fill`` (the background: -1 for images in [-1, 1]);
* ``cutout``: a square of half the side (default) at a random place set to ``fill``.

Both are linear in x (up to the constant fill), so their backward is exact and cheap: the
adjoint of a shift is the opposite shift; cutout's is the same mask.
"""
import numpy as np

from ... import backend
from ...random import generator
from ...tensor import Function, Tensor, as_tensor

POLICIES = ("translation", "cutout")


def _shift_array(x, dy, dx, fill):
    """y[n, :, i, j] = x[n, :, i - dy[n], j - dx[n]] where that lies inside x, else fill."""
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    s = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    padded = xp.pad(x, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=fill)
    rows = xp.asarray(np.arange(h)[None, :] + s - dy[:, None])  # (N, H) rows of padded to read
    cols = xp.asarray(np.arange(w)[None, :] + s - dx[:, None])
    ns, cs = xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None]
    return padded[ns, cs, rows[:, None, :, None], cols[:, None, None, :]]


class Shift(Function):
    """y = x with image n moved by (dy[n], dx[n]) pixels, ``fill`` where nothing moved in.
    Backward: dx = dy moved back by (-dy, -dx), zero-filled (the adjoint of a shift)."""

    def __init__(self, dy, dx, fill=0.0):
        self.dy, self.dx, self.fill = np.asarray(dy), np.asarray(dx), fill

    def forward(self, x):
        return _shift_array(x, self.dy, self.dx, self.fill)

    def backward(self, gy):
        return Shift(-self.dy, -self.dx, 0.0)(gy)


def translate(x, dy, dx, fill=0.0):
    """Move image n of x (N, C, H, W) down by dy[n] and right by dx[n] pixels (integers,
    negative for up/left), filling what is uncovered with ``fill``."""
    return Shift(np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64), fill)(as_tensor(x))


def cutout_mask(n, h, w, size, rng):
    """(N, 1, H, W) float32: 1 everywhere except one size x size square per image at a
    random position (the square may be clipped by the border, as in DiffAugment)."""
    cy = rng.integers(0, h + (1 - size % 2), size=n)[:, None]  # the square's centre
    cx = rng.integers(0, w + (1 - size % 2), size=n)[:, None]
    ys, xs = np.arange(h)[None, :], np.arange(w)[None, :]
    inside_y = (ys >= cy - size // 2) & (ys < cy - size // 2 + size)
    inside_x = (xs >= cx - size // 2) & (xs < cx - size // 2 + size)
    hole = inside_y[:, :, None] & inside_x[:, None, :]
    return (~hole).astype(np.float32)[:, None]


def diff_augment(x, policy="translation", fill=-1.0, translation_ratio=0.125, cutout_ratio=0.5):
    """DiffAugment ``policy`` applied to the batch x (N, C, H, W), with fresh random draws
    from minigen's generator for every call (so one call on the reals and one on the fakes
    draw different shifts and holes from the same distribution).

    ``fill`` is the background value (-1 for images in [-1, 1], 0 in [0, 1]). Returns a
    Tensor differentiable with respect to x to any order."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"diff_augment: expected images (N, C, H, W), got shape {x.shape}")
    names = [p for p in policy.split("+") if p] if policy else []
    for name in names:
        if name not in POLICIES:
            raise ValueError(f"diff_augment: policy {name!r} is not known; expected "
                             f"{' or '.join(POLICIES)} joined with '+' (e.g. 'translation+cutout')")
    rng = generator("cpu")  # shifts and holes are drawn on the host: a few numbers per image
    n, _, h, w = x.shape
    for name in names:
        if name == "translation":
            sy, sx = int(h * translation_ratio + 0.5), int(w * translation_ratio + 0.5)
            x = translate(x, rng.integers(-sy, sy + 1, size=n), rng.integers(-sx, sx + 1, size=n), fill)
        elif name == "cutout":
            m = cutout_mask(n, h, w, int(min(h, w) * cutout_ratio + 0.5), rng).astype(x.dtype)
            keep = Tensor(backend.to_device(m, x.device))
            x = x * keep + fill * (1 - keep)
    return x
