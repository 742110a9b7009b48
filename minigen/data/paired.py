"""Paired images for image-to-image translation (Pix2Pix): every input comes with its answer.

The embedded pairs (the default data of ``minigen train pix2pix``), built from the embedded
MNIST digits x (padded 28 -> 32) with no download, one uint8 array of 5 channels:

    channel 0     digit    x
    channels 1-3  neon     T(x), the "thick neon" map of ``unpaired.py`` (the CycleGAN domain B)
    channel 4     outline  O(x) = dilate(m) AND NOT m, m = (x >= 1/2): the one-pixel ring just
                           outside the stroke, an edge map like edges2shoes' edges

Unlike CycleGAN's training set, image i's digit, neon and outline are the *same* digit: the
pairs are the supervision. digit -> neon is a pixel-wise (3x3-local) map; outline -> digit is
not: whether a pixel lies on the stroke depends on which side of the ring it is, a question a
small neighbourhood cannot answer where two rings run close (the hole of a 0, the loop of a 6).

A folder of pairs (the pix2pix authors' format: facades, maps, edges2shoes) holds images with
A on the left half and B on the right, in ``train/`` and ``test/`` (or ``val/``), and is read
as A | B channels (1 + 1 or 3 + 3). ``data_scripts/get_pix2pix.py`` writes such folders.
"""
from pathlib import Path

import numpy as np

from .datasets import Dataset, load_dataset
from .folders import load_image_folder
from .transforms import pad_to
from .unpaired import SIZE, _uint8, dilate3x3, thick_neon

EMBEDDED_CHANNELS = {"digit": slice(0, 1), "neon": slice(1, 4), "outline": slice(4, 5)}


def outline(x):
    """O: digits x (N, 1, H, W) in [0, 1] -> {0, 1} edge maps: pixels next to (3x3) a stroke
    pixel (x >= 1/2) that are not stroke pixels themselves."""
    stroke = (np.asarray(x) >= 0.5).astype(np.float32)
    return dilate3x3(stroke) * (1 - stroke)


def embedded_pairs(split="train"):
    """The 5-channel digit | neon | outline data set of the module doc (split train or test)."""
    digits = load_dataset("embedded", split)
    x = pad_to(digits.images, SIZE)
    x01 = x.astype(np.float32) / 255
    images = np.concatenate([x, _uint8(thick_neon(x01)), _uint8(outline(x01))], axis=1)
    ds = Dataset(images, digits.labels, name="embedded pairs", split=split)
    ds.paired = True
    return ds


def split_side_by_side(images, name):
    """(N, C, H, 2W) A|B images -> (N, 2C, H, W), A's channels first."""
    n, c, h, w2 = images.shape
    if w2 % 2:
        raise ValueError(f"--data {name}: images {h}x{w2} are not two halves side by side "
                         f"(A | B, width 2 x height); expected an even width")
    return np.concatenate([images[..., :w2 // 2], images[..., w2 // 2:]], axis=1)


def load_pairs_folder(folder, split="train"):
    """A folder of side-by-side A|B images: ``folder/train/`` for training, ``folder/test/``
    (else ``folder/val/``) for testing."""
    folder = Path(folder).expanduser()
    names = ["train"] if split == "train" else ["test", "val"]
    found = [folder / n for n in names if (folder / n).is_dir()]
    if not found:
        raise ValueError(f"--data {folder}: no {' or '.join(n + '/' for n in names)} subfolder; a pix2pix "
                         "folder holds train/ and test/ (or val/) of side-by-side A|B images")
    images = load_image_folder(found[0])
    ds = Dataset(split_side_by_side(images, str(folder)), name=folder.name, split=split)
    ds.paired = True
    return ds


def load_paired(data="embedded", split="train"):
    """Split ``split`` ("train" or "test") of ``data`` ("embedded" or a folder of pairs)."""
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: expected 'train' or 'test'")
    if data == "embedded":
        return embedded_pairs(split)
    if not Path(data).expanduser().is_dir():
        raise ValueError(f"--data {data}: pix2pix reads 'embedded' or a folder of side-by-side A|B "
                         "images (train/, test/); get one with python data_scripts/get_pix2pix.py facades")
    return load_pairs_folder(data, split)
