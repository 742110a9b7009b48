"""Download a CycleGAN data set and write $MINIGEN_DATA/<name>-<size>.npz.

The CycleGAN authors' zips (https://github.com/junyanz/CycleGAN) hold two
unpaired image domains, A and B, each split into train and test:
<name>/trainA/*.jpg, trainB/, testA/, testB/ (mostly 256 x 256 RGB).
Each image is center-cropped to a square, resized to --size x --size
(bicubic), and converted to RGB (a few photos in these sets are grayscale).
Output keys: trainA, trainB, testA, testB, each (N, 3, size, size) uint8,
read with load_dataset("<name>", split="trainA") (size 64) or
load_dataset("<name>-128", split="trainA").

No checksums are published for these zips: the first download records its
SHA-256 in <root>/checksums.json and later downloads must match it.

Example:
    python data_scripts/get_cyclegan.py horse2zebra
    python data_scripts/get_cyclegan.py monet2photo --size 128
    python data_scripts/get_cyclegan.py horse2zebra --zip ~/Downloads/horse2zebra.zip
"""
import argparse
import sys
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

import _download  # first: it puts the repository root on sys.path for minigen
from minigen.data.datasets import CYCLEGAN_NAMES, CYCLEGAN_SPLITS
from minigen.data.folders import IMAGE_SUFFIXES, read_image
from minigen.data.paths import data_root

MIRRORS = ["http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/",
           "https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/"]


def convert(zip_path, out, size):
    """Read the four domain folders of a CycleGAN zip into arrays and write ``out``."""
    with zipfile.ZipFile(zip_path) as archive:
        members = {split: [] for split in CYCLEGAN_SPLITS}
        for name in sorted(archive.namelist()):
            path = PurePosixPath(name)
            if path.suffix.lower() in IMAGE_SUFFIXES and path.parent.name in members:
                members[path.parent.name].append(name)
        empty = [split for split, names in members.items() if not names]
        if empty:
            raise ValueError(f"{zip_path}: no images in {', '.join(empty)}/; expected a "
                             f"CycleGAN zip with {'/, '.join(CYCLEGAN_SPLITS)}/")
        arrays = {}
        for split, names in members.items():
            x = np.empty((len(names), 3, size, size), dtype=np.uint8)
            for i, name in enumerate(names):
                with archive.open(name) as f:
                    x[i] = read_image(f, size=size, channels=3, name=f"{zip_path}:{name}")
            arrays[split] = x
    return _download.save_npz(out, arrays, compressed=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                epilog=__doc__[__doc__.index("The CycleGAN"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=CYCLEGAN_NAMES, help="which data set")
    p.add_argument("--size", type=int, default=64, choices=(64, 128, 256),
                   help="output side in pixels (default 64)")
    p.add_argument("--zip", type=Path, help="use this local <name>.zip instead of downloading")
    p.add_argument("--root", type=Path, default=None,
                   help="data root (default: $MINIGEN_DATA or ~/.cache/minigen)")
    args = p.parse_args(argv)
    root = args.root or data_root()
    try:
        zip_name = f"{args.name}.zip"
        zip_path = args.zip or _download.download(
            [m + zip_name for m in MIRRORS], root / "raw" / "cyclegan" / zip_name,
            checksums=root / "checksums.json")
        convert(zip_path, root / f"{args.name}-{args.size}.npz", args.size)
    except (_download.DownloadError, ValueError, zipfile.BadZipFile, OSError) as exc:
        return _download.fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
