"""``load_dataset``: every data set minigen knows, behind one function.

    ds = load_dataset()                        # 4,500 MNIST digits shipped with minigen
    ds = load_dataset("mnist", split="test")   # after `python data_scripts/get_mnist.py`
    ds = load_dataset("horse2zebra", split="trainB")   # CycleGAN domains: trainA/trainB/testA/testB
    ds = load_dataset("path/to/folder")        # any folder of PNG/JPEG images

Named data sets are ``.npz`` files: the embedded one inside the package, the
others under the data root (``minigen.data.paths``) where ``data_scripts/``
writes them. A split is stored as ``x_<split>`` (images) and ``y_<split>``
(labels) or, for CycleGAN, under the domain name (``trainA``...). Images are
uint8, stored (N, H, W) for grayscale or (N, C, H, W); a ``Dataset`` always
holds (N, C, H, W).
"""
import re
import zipfile
from pathlib import Path

import numpy as np

from . import paths
from .folders import list_images, load_image_folder

CYCLEGAN_NAMES = ("apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo",
                  "cezanne2photo", "ukiyoe2photo", "vangogh2photo", "maps", "facades",
                  "iphone2dslr_flower")
CYCLEGAN_SPLITS = ("trainA", "trainB", "testA", "testB")
DEFAULT_SIZE = 64  # the resolution a plain name like "celeba" or "horse2zebra" means

# name -> (description, command that fetches it). Resized sets also exist as "NAME-SIZE".
DATASETS = {
    "embedded": ("5,000 MNIST digits shipped with minigen (4,500 train / 500 test)",
                 "(shipped inside the package)"),
    "mnist": ("MNIST digits, 60,000 train / 10,000 test, 28x28 gray",
              "python data_scripts/get_mnist.py"),
    "fashion-mnist": ("Fashion-MNIST clothes, 60,000 train / 10,000 test, 28x28 gray",
                      "python data_scripts/get_fashion_mnist.py"),
    "celeba": ("CelebA aligned faces, center-cropped, 64x64 RGB",
               "python data_scripts/get_celeba.py --zip img_align_celeba.zip"),
}
for _name in CYCLEGAN_NAMES:
    DATASETS[_name] = (f"CycleGAN {_name}, domains trainA/trainB/testA/testB, 64x64 RGB",
                       f"python data_scripts/get_cyclegan.py {_name}")
RESIZABLE = ("celeba",) + CYCLEGAN_NAMES


class CorruptDataError(RuntimeError):
    """A data file exists but is not the file we expect (checksum or format)."""


class Dataset:
    """Images in memory: ``images`` uint8 (N, C, H, W), ``labels`` int64 (N,) or None.

    ``ds[i]`` is ``(image, label)`` with image (C, H, W) (label None when there
    are no labels); ``ds[a:b]`` and ``ds[index_array]`` work the same way.
    """

    def __init__(self, images, labels=None, name="", split=None):
        images = np.asarray(images)
        if images.ndim == 3:  # (N, H, W) -> (N, 1, H, W)
            images = images[:, None]
        if images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError(f"Dataset {name!r}: images must be uint8 (N, C, H, W), "
                             f"got {images.dtype} {images.shape}")
        if labels is not None:
            labels = np.asarray(labels, dtype=np.int64)
            if labels.shape != (len(images),):
                raise ValueError(f"Dataset {name!r}: labels have shape {labels.shape}, "
                                 f"expected ({len(images)},)")
        self.images, self.labels, self.name, self.split = images, labels, name, split

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index], None if self.labels is None else self.labels[index]

    def __repr__(self):
        labels = "none" if self.labels is None else f"{len(np.unique(self.labels))} classes"
        return (f"Dataset({self.name!r}, split={self.split!r}, images={self.images.shape} "
                f"{self.images.dtype}, labels={labels})")


def dataset_path(name):
    """The ``.npz`` file a known name is stored in (whether it exists or not)."""
    if name == "embedded":
        return paths.EMBEDDED_NPZ
    base, size = _split_size(name)
    if base in RESIZABLE:
        return paths.data_root() / f"{base}-{size}.npz"
    return paths.data_root() / f"{name}.npz"


def _split_size(name):
    """'horse2zebra-128' -> ('horse2zebra', 128); 'celeba' -> ('celeba', 64)."""
    match = re.fullmatch(r"(.+)-(\d+)", name)
    if match and match.group(1) in RESIZABLE:
        return match.group(1), int(match.group(2))
    return name, DEFAULT_SIZE


def _is_known(name):
    return name in DATASETS or _split_size(name)[0] in RESIZABLE


_verified = set()  # files whose checksum already passed in this process


def verify_embedded(npz_path=paths.EMBEDDED_NPZ):
    """Check ``npz_path`` against the SHA-256 in the ``.sha256`` file beside it."""
    npz_path = Path(npz_path)
    sha_path = npz_path.with_suffix(".sha256")
    if npz_path in _verified:
        return
    for path in (npz_path, sha_path):
        if not path.is_file():
            raise CorruptDataError(f"{path} is missing; reinstall minigen "
                                   "(or run data_scripts/make_embedded_mnist.py)")
    expected, actual = paths.read_sha256_file(sha_path), paths.sha256_file(npz_path)
    if actual != expected:
        raise CorruptDataError(f"{npz_path} is corrupt: its SHA-256 is {actual}, expected "
                               f"{expected} (from {sha_path.name}); reinstall minigen "
                               "(or run data_scripts/make_embedded_mnist.py)")
    _verified.add(npz_path)


def load_npz(path, split, name=None):
    """A ``Dataset`` from split ``split`` of an ``.npz`` file (keys x_/y_<split> or <split>)."""
    name = name or str(path)
    try:
        with np.load(path) as f:  # read only this split's arrays: CelebA's are gigabytes
            wanted = (f"x_{split}", f"y_{split}", split)
            arrays = {key: f[key] for key in f.files if key in wanted}
            keys = f.files
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CorruptDataError(f"{path} is truncated or corrupt ({exc}); delete it and "
                               "run its data script again") from exc
    if f"x_{split}" in arrays:
        return Dataset(arrays[f"x_{split}"], arrays.get(f"y_{split}"), name=name, split=split)
    if split in arrays:
        return Dataset(arrays[split], name=name, split=split)
    splits = sorted(k[2:] if k.startswith("x_") else k for k in keys if not k.startswith("y_"))
    raise ValueError(f"load_dataset: split={split!r} is not in {name}; "
                     f"available splits: {', '.join(splits)}")


def _load_folder(folder, split, size, channels):
    """A split of an image folder: ``folder/<split>/`` if it exists, else ``folder`` itself."""
    if (folder / split).is_dir():
        if split in CYCLEGAN_SPLITS and channels is None:
            channels = 3  # CycleGAN's RGB domains contain a few grayscale photos
        images = load_image_folder(folder / split, size=size, channels=channels)
    elif split == "train" and list_images(folder):
        images = load_image_folder(folder, size=size, channels=channels)
    else:
        subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir() and list_images(p))
        raise ValueError(f"load_dataset: split={split!r} is not a subfolder of {folder}; "
                         f"available splits: {', '.join(subfolders) or '(none)'}")
    return Dataset(images, name=folder.name, split=split)


def load_dataset(name_or_path="embedded", split="train", size=None, channels=None):
    """Load one split of a data set into memory as a ``Dataset``.

    name_or_path: a known name (see ``available_datasets()``; "celeba-128" or
                  "horse2zebra-128" pick another stored size), a ``.npz`` file,
                  or a folder of images (with optional split subfolders, e.g.
                  a CycleGAN folder with trainA/trainB/testA/testB).
    split:        "train" or "test" ("valid" too for CelebA); for CycleGAN "trainA",
                  "trainB", "testA", "testB"; for a folder, the subfolder's name.
    size, channels: only for folders, see ``folders.load_image_folder``.
    """
    if isinstance(name_or_path, str) and _is_known(name_or_path):
        name = name_or_path
        path = dataset_path(name)
        if name == "embedded":
            verify_embedded(path)
        elif not path.is_file():
            base, size = _split_size(name)
            command = DATASETS[base][1] + (f" --size {size}" if size != DEFAULT_SIZE else "")
            raise FileNotFoundError(f"load_dataset: {name!r} is not on this machine (no {path}); "
                                    f"get it with: {command}")
        return load_npz(path, split, name=name)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return _load_folder(path, split, size, channels)
    if path.is_file() and path.suffix == ".npz":
        return load_npz(path, split)
    raise ValueError(f"load_dataset: name_or_path={str(name_or_path)!r} is neither a known "
                     f"data set nor an existing folder or .npz file; known names: "
                     f"{', '.join(DATASETS)}")


def available_datasets():
    """For each known name: a dict with name, description, present (bool), path, command."""
    return [{"name": name, "description": description, "present": dataset_path(name).is_file(),
             "path": str(dataset_path(name)), "command": command}
            for name, (description, command) in DATASETS.items()]
