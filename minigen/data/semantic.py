"""Semantic image synthesis data, built from the embedded digits with no download (SPADE).

Each example pairs a per-pixel label map with a colour rendering of it, 32 x 32:

    label 0       background      every pixel that is neither of the others
    label 1       stroke border   the ring of pixels next to a stroke (3x3 dilation minus stroke)
    label 2 + d   stroke of a d   the pixels of the digit (grey >= 128, padded 28 -> 32), d = its class

The map fixes every shape; the rendering's appearance is drawn at random per image, so the
model has something to generate beyond the layout:

    background    a dark colour of any hue (saturation U(0, 0.4), value U(0.12, 0.35)),
                  under stripes of random direction, frequency and phase (value x (1 +- 0.3))
    border        a light grey of random tint (saturation U(0, 0.15), value U(0.8, 1))
    stroke of d   a colour of hue d/10 + U(-0.025, 0.025) (ten hue sectors, one per class,
                  apart by at least 0.05 so the class stays readable from the colour),
                  saturation U(0.55, 1), value U(0.65, 1), under stripes of its own (x (1 +- 0.2))

so what the label fixes is the colour *family* (dark / light grey / the class's hue) and
what the model must supply is the particular colour, brightness and texture.

Map and rendering travel as one uint8 array (N, 4, H, W): channel 0 the label (0..11),
channels 1..3 the RGB rendering, the layout of ``unpaired.py`` (the DataLoader and its
transforms serve them unchanged; ``label_channel`` undoes the transform on channel 0).
Deterministic given the seed: the same seed gives the same renderings byte for byte.
"""
from functools import lru_cache

import numpy as np

from .datasets import Dataset, load_dataset
from .transforms import pad_to
from .unpaired import dilate3x3

SIZE = 32
N_LABELS = 12
LABEL_NAMES = ("background", "border") + tuple(f"stroke {d}" for d in range(10))
SEED = 19


def label_maps(digits, classes):
    """Grey digits (N, 1, H, W) uint8 and their classes (N,) -> label maps (N, H, W) uint8."""
    stroke = np.asarray(digits)[:, 0] >= 128
    border = dilate3x3(stroke.astype(np.uint8)).astype(bool) & ~stroke
    labels = np.zeros(stroke.shape, np.uint8)
    labels[border] = 1
    labels[stroke] = (2 + np.asarray(classes, np.int64)[:, None, None] * np.ones_like(labels))[stroke]
    return labels


def hsv_to_rgb(h, s, v):
    """Arrays of hue, saturation, value in [0, 1] (any equal shapes) -> (3, ...) RGB in [0, 1]."""
    h6 = (np.asarray(h) % 1.0) * 6
    c = v * s
    x = c * (1 - np.abs(h6 % 2 - 1))
    zero = np.zeros_like(c)
    sector = np.floor(h6).astype(int) % 6
    r = np.choose(sector, [c, x, zero, zero, x, c])
    g = np.choose(sector, [x, c, c, x, zero, zero])
    b = np.choose(sector, [zero, zero, x, c, c, x])
    m = v - c
    return np.stack([r + m, g + m, b + m])


def _stripes(rng, size, amplitude):
    """1 + amplitude sin(2 pi f (x cos t + y sin t) + phase): a (size, size) texture."""
    y, x = np.mgrid[:size, :size].astype(np.float64)
    f, t, phase = rng.uniform(0.08, 0.3), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
    return 1 + amplitude * np.sin(2 * np.pi * f * (x * np.cos(t) + y * np.sin(t)) + phase)


def render(labels, rng):
    """Label maps (N, H, W) -> renderings (N, 3, H, W) float in [0, 1] (see the module doc)."""
    n, h, w = labels.shape
    out = np.empty((n, 3, h, w))
    for i, lab in enumerate(labels):
        bg = hsv_to_rgb(rng.uniform(), rng.uniform(0, 0.4), rng.uniform(0.12, 0.35))
        border = hsv_to_rgb(rng.uniform(), rng.uniform(0, 0.15), rng.uniform(0.8, 1.0))
        image = bg[:, None, None] * _stripes(rng, h, 0.3)[None]
        image[:, lab == 1] = border[:, None]
        classes = np.unique(lab[lab >= 2])
        texture = _stripes(rng, h, 0.2)
        for k in classes:   # one digit per map in this set, but a map may hold several
            d = int(k) - 2
            colour = hsv_to_rgb(d / 10 + rng.uniform(-0.025, 0.025), rng.uniform(0.55, 1.0),
                                rng.uniform(0.65, 1.0))
            mask = lab == k
            image[:, mask] = colour[:, None] * texture[mask][None]
        out[i] = image
    return np.clip(out, 0, 1)


@lru_cache(maxsize=4)
def _build(split, seed):
    """(label | RGB images, digit classes), read-only: rendered once per process (seconds)."""
    digits = load_dataset("embedded", split)
    maps = label_maps(pad_to(digits.images, SIZE), digits.labels)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    rgb = np.floor(render(maps, rng) * 255 + 0.5).astype(np.uint8)
    images, labels = np.concatenate([maps[:, None], rgb], axis=1), np.asarray(digits.labels)
    images.flags.writeable = False
    return images, labels


def semantic_synthesis(split="train", seed=SEED):
    """The data set: (N, 4, 32, 32) uint8 of label | RGB, ``labels`` the digit classes; the
    train split from the embedded training digits (4,500), test from the test digits (500)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: expected 'train' or 'test'")
    images, labels = _build(split, seed)
    ds = Dataset(images, labels.copy(), name="semantic digits", split=split)
    ds.n_labels, ds.label_names = N_LABELS, LABEL_NAMES
    return ds


def label_channel(x):
    """Channel 0 of a batch after ``to_symmetric`` (v = k / 127.5 - 1) or ``to_unit``
    (v = k / 255) back to the integer labels k: ``round((v + 1) * 127.5)`` for symmetric."""
    return np.rint((np.asarray(x, dtype=np.float64) + 1) * 127.5).astype(np.int64)


def one_hot(labels, n_labels=N_LABELS, dtype=np.float32):
    """Integer maps (N, H, W) -> one-hot maps (N, n_labels, H, W)."""
    labels = np.asarray(labels)
    out = np.zeros((labels.shape[0], n_labels) + labels.shape[1:], dtype)
    np.put_along_axis(out, labels[:, None].astype(np.int64), 1, axis=1)
    return out


def colourise(labels):
    """Integer maps (N, H, W) -> (N, 3, H, W) float pictures of the map for sample grids:
    background black, border grey, the stroke of a d the pure colour of its hue sector d/10."""
    palette = np.zeros((N_LABELS, 3))
    palette[1] = 0.5
    palette[2:] = hsv_to_rgb(np.arange(10) / 10, np.ones(10), np.ones(10)).T
    return palette[np.asarray(labels)].transpose(0, 3, 1, 2)
