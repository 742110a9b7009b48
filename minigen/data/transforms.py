"""Turning stored uint8 pixels into the numbers a model sees, and back.

Images are stored as uint8 in [0, 255] (small on disk, exact). Models want
float32: VAEs with a Bernoulli or Gaussian decoder want [0, 1]; GANs whose
generator ends in ``tanh`` want [-1, 1]. Each function here is plain NumPy on
arrays of any shape, e.g. a batch ``(N, C, H, W)``; pass one to
``DataLoader(..., transform=...)`` to apply it to every batch.
"""
import numpy as np


def to_unit(x):
    """uint8 [0, 255] -> float32 [0, 1]:  y = x / 255."""
    return np.asarray(x, dtype=np.float32) / 255.0


def to_symmetric(x):
    """uint8 [0, 255] -> float32 [-1, 1]:  y = x / 127.5 - 1.

    [-1, 1] is the range of ``tanh``, the usual last layer of a GAN generator,
    so real and generated images are compared on the same scale.
    """
    return np.asarray(x, dtype=np.float32) / 127.5 - 1.0


def from_symmetric(y):
    """float [-1, 1] -> float32 [0, 1]:  x = clip((y + 1) / 2, 0, 1).

    The inverse of ``to_symmetric`` up to the factor 255; the clip is there
    because a generator's output can overshoot slightly before it saturates.
    """
    return np.clip((np.asarray(y, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def to_uint8(x01):
    """float [0, 1] -> uint8 [0, 255]:  q = floor(clip(x, 0, 1) * 255 + 0.5).

    Adding 0.5 before the floor rounds to the nearest level (0.5 -> 128), as
    ``torchvision.utils.save_image`` does.
    """
    x = np.clip(np.asarray(x01, dtype=np.float32), 0.0, 1.0)
    return np.floor(x * 255.0 + 0.5).astype(np.uint8)


def pad_to(x, size, value=0):
    """Pad the last two axes (H, W) equally on both sides up to ``size`` x ``size``.

    ``(N, C, 28, 28) -> (N, C, 32, 32)`` for MNIST in a DCGAN, whose stride-2
    convolutions halve 32 -> 16 -> 8 -> 4 evenly (28 would give 14 -> 7 -> 3.5).
    An odd remainder goes to the bottom/right. Pad the uint8 images (value 0 =
    black) before ``to_symmetric``, or pass ``value=-1`` after it.
    """
    x = np.asarray(x)
    h, w = x.shape[-2:]
    if h > size or w > size:
        raise ValueError(f"pad_to: images are {h}x{w}, larger than size={size}")
    top, left = (size - h) // 2, (size - w) // 2
    pad = [(0, 0)] * (x.ndim - 2) + [(top, size - h - top), (left, size - w - left)]
    return np.pad(x, pad, mode="constant", constant_values=value)


def binarize(x01, rng):
    """Dynamic binarisation: b ~ Bernoulli(x), i.e. b = 1 if u < x else 0, u ~ U[0, 1).

    Each call draws fresh bits, so each epoch sees a different binary sample of
    every digit; this is how binary-MNIST VAE likelihoods are usually trained
    (a fixed threshold x > 0.5 overfits). ``rng`` is a ``np.random.Generator``.
    Returns float32 of the same shape as ``x01``.
    """
    x01 = np.asarray(x01)
    return (rng.random(x01.shape) < x01).astype(np.float32)


def compose(*transforms):
    """One transform that applies ``transforms`` left to right: compose(f, g)(x) = g(f(x))."""
    def composed(x):
        for transform in transforms:
            x = transform(x)
        return x
    return composed
