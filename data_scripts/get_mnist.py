"""Download MNIST and write $MINIGEN_DATA/mnist.npz (default ~/.cache/minigen/mnist.npz).

The four IDX files (see minigen/data/idx.py) are kept in <root>/raw/mnist/.
A file already there, gzipped (train-images-idx3-ubyte.gz) or not
(train-images-idx3-ubyte), is used instead of downloading: that is how to
install MNIST on a machine without network. Downloads are checked against the
SHA-256s that TensorFlow Datasets publishes (its url_checksums/mnist.txt;
the same files as yann.lecun.com/exdb/mnist, whose MD5s torchvision lists).

Output keys: x_train (60000, 28, 28) uint8, y_train (60000,) int64,
x_test (10000, 28, 28) uint8, y_test (10000,) int64.

Example:
    python data_scripts/get_mnist.py
    MINIGEN_DATA=/data/minigen python data_scripts/get_mnist.py
"""
import argparse
import sys
from pathlib import Path

import numpy as np

import _download  # first: it puts the repository root on sys.path for minigen
from minigen.data.idx import read_idx
from minigen.data.paths import data_root

MIRRORS = ["https://storage.googleapis.com/cvdf-datasets/mnist/",
           "https://ossci-datasets.s3.amazonaws.com/mnist/"]
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000)}


def find_or_download(stem, raw_dir, mirrors, sha256):
    """Path of IDX file ``stem`` in ``raw_dir``: raw or .gz if present, else downloaded (.gz)."""
    if (raw_dir / stem).is_file():
        return raw_dir / stem
    name = stem + ".gz"
    every_file = ", ".join(f for images, labels, _ in SPLITS.values() for f in (images, labels))
    return _download.download([m + name for m in mirrors], raw_dir / name,
                              sha256=sha256.get(name) if sha256 else None,
                              by_hand=f"put {every_file} (.gz or not) in {raw_dir}")


def convert(raw_dir, out, mirrors, sha256, name):
    """Read (or fetch) the four IDX files of an MNIST-like data set and write ``out``."""
    arrays = {}
    for split, (images_stem, labels_stem, count) in SPLITS.items():
        x = read_idx(find_or_download(images_stem, raw_dir, mirrors, sha256))
        y = read_idx(find_or_download(labels_stem, raw_dir, mirrors, sha256))
        if y.shape == (count,) and len(y) and not 0 <= y.min() <= y.max() <= 9:
            bad = y[(y < 0) | (y > 9)][0]
            raise ValueError(f"{raw_dir / labels_stem}: holds label {bad}; expected the classes 0..9 "
                             f"of {name} (delete the file and fetch it again)")
        if x.shape != (count, 28, 28) or x.dtype != np.uint8 or y.shape != (count,):
            raise ValueError(f"{raw_dir}: {images_stem} / {labels_stem} hold images {x.shape} "
                             f"and labels {y.shape}, expected ({count}, 28, 28) and ({count},) "
                             f"for {name}")
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y.astype(np.int64)
    return _download.save_npz(out, arrays)


def parser(description, name):
    p = argparse.ArgumentParser(description=description.split("\n")[0],
                                epilog=description[description.index("Example:"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=None,
                   help=f"data root (default: $MINIGEN_DATA or ~/.cache/minigen); writes "
                        f"<root>/{name}.npz, keeps the IDX files in <root>/raw/{name}/")
    return p


def main(argv=None):
    args = parser(__doc__, "mnist").parse_args(argv)
    root = args.root or data_root()
    try:
        convert(root / "raw" / "mnist", root / "mnist.npz", MIRRORS, SHA256, "MNIST")
    except (_download.DownloadError, ValueError) as exc:
        return _download.fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
