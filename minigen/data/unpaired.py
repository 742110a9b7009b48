"""Two image domains A and B for unpaired translation (CycleGAN), as one data set.

The embedded domains (the default data of ``minigen train cyclegan``):

    A: the embedded MNIST digits, 1 channel, padded 28 -> 32
    B: "thick neon" digits, B = T(x): dilate x with a 3x3 max filter, then map each
       intensity v in [0, 1] linearly from a background colour to a stroke colour,
       rgb(v) = (1 - v) * (0.05, 0.05, 0.25) + v * (1.0, 0.6, 0.1)

A and B come from *disjoint* halves of the training split, so no digit of A has its
translation in B: training is genuinely unpaired. T is known, so a held-out translation G(a)
can be scored against the truth T(a). The test split pairs each test digit a with T(a).

Real unpaired sets (horse2zebra, ...: ``data_scripts/get_cyclegan.py``, or a folder with
trainA/ trainB/ testA/ testB/) are read from their A and B splits, cut to the shorter one.

Both domains travel in one uint8 array (N, C_A + C_B, H, W), A's channels first, so the
shared DataLoader and transforms serve CycleGAN unchanged; no loss ever compares image i of
A with image i of B, so putting them side by side pairs nothing.
"""
import numpy as np

from .datasets import Dataset, load_dataset
from .transforms import pad_to

BACKGROUND = (0.05, 0.05, 0.25)
STROKE = (1.0, 0.6, 0.1)
SIZE = 32


def dilate3x3(x):
    """max over each pixel's 3x3 neighbourhood (zero outside the image), x (..., H, W)."""
    h, w = x.shape[-2:]
    p = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(1, 1), (1, 1)])
    return np.max([p[..., i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=0)


def thick_neon(x):
    """T: grey digits x (N, 1, H, W) in [0, 1] -> (N, 3, H, W) in [0, 1] (see the module doc)."""
    v = dilate3x3(np.asarray(x, dtype=np.float32))
    bg = np.asarray(BACKGROUND, dtype=np.float32).reshape(1, 3, 1, 1)
    fg = np.asarray(STROKE, dtype=np.float32).reshape(1, 3, 1, 1)
    return (1 - v) * bg + v * fg


def _uint8(x01):
    return np.floor(np.clip(x01, 0, 1) * 255 + 0.5).astype(np.uint8)


def embedded_domains(split="train"):
    """The embedded A | B data set: train from disjoint halves, test paired with T(a)."""
    digits = load_dataset("embedded", "train" if split == "train" else "test")
    x = pad_to(digits.images, SIZE)
    if split == "train":
        half = len(x) // 2
        a, b_source, labels = x[:half], x[half:2 * half], digits.labels[:half]
    else:
        a, b_source, labels = x, x, digits.labels
    b = _uint8(thick_neon(b_source.astype(np.float32) / 255))
    ds = Dataset(np.concatenate([a, b], axis=1), labels, name="embedded domains", split=split)
    ds.channels_a, ds.paired = 1, split != "train"
    return ds


def load_unpaired(data="embedded", split="train"):
    """A | B data set for ``data`` ("embedded", a CycleGAN set's name, or a folder) and
    ``split`` ("train" or "test"); ``.channels_a`` says where A's channels end, ``.paired``
    whether image i of B is the true translation of image i of A (the embedded test split)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: expected 'train' or 'test'")
    if data == "embedded":
        return embedded_domains(split)
    a, b = load_dataset(data, split + "A"), load_dataset(data, split + "B")
    if a.images.shape[2:] != b.images.shape[2:]:
        raise ValueError(f"--data {data}: domain A's images are {a.images.shape[2:]} and B's "
                         f"{b.images.shape[2:]}; both domains need one size")
    n = min(len(a.images), len(b.images))
    ds = Dataset(np.concatenate([a.images[:n], b.images[:n]], axis=1), name=str(data), split=split)
    ds.channels_a, ds.paired = a.images.shape[1], False
    return ds
