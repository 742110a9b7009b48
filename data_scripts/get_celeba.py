"""Turn CelebA's aligned faces into $MINIGEN_DATA/celeba-<size>.npz (default size 64).

CelebA (Liu et al., 2015; non-commercial research use only) is distributed as
``img_align_celeba.zip`` (1.4 GB, 202,599 JPEGs of 178 x 218) on Google Drive:
    https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html  ("Align&Cropped Images")
Drive often refuses scripted downloads (quota, confirmation page), so the
reliable way is to download the zip in a browser and pass it with --zip (or
put it at <root>/raw/celeba/img_align_celeba.zip). Without either, the script
tries Drive's direct link and checks the MD5 that torchvision publishes.
A folder of the extracted JPEGs works too (--folder).

Each image: a centered --crop x --crop square (default 178, the full width,
what the PyTorch DCGAN tutorial's Resize(64) + CenterCrop(64) amounts to;
108 or 140 zoom in on the face), resized to --size x --size with a bicubic filter.
Splits follow CelebA's list_eval_partition.txt, which is by file number:
train 000001-162770, valid 162771-182637, test 182638-202599.
Output keys: x_train (162770, 3, S, S) uint8, x_valid (19867, ...), x_test (19962, ...);
no labels. At 64 x 64 that is 2.5 GB, stored uncompressed (photos deflate poorly).

Example:
    python data_scripts/get_celeba.py --zip ~/Downloads/img_align_celeba.zip
    python data_scripts/get_celeba.py --zip img_align_celeba.zip --size 128 --limit 20000
"""
import argparse
import sys
import zipfile
from pathlib import Path

import numpy as np

import _download  # first: it puts the repository root on sys.path for minigen
from minigen.data.folders import read_image
from minigen.data.paths import data_root

DRIVE_ID = "0B7EVK8r0v71pZjFTYXZWM3FlRnM"
URL = f"https://drive.usercontent.google.com/download?id={DRIVE_ID}&export=download&confirm=t"
MD5 = "00d2c5bc6d35e252742224ab0c1e8fcb"  # torchvision.datasets.CelebA's file_list
LAST_TRAIN, LAST_VALID = 162770, 182637


def split_of(number):
    """CelebA's official split of image ``number`` (1-based file number)."""
    return "train" if number <= LAST_TRAIN else "valid" if number <= LAST_VALID else "test"


def list_sources(zip_path=None, folder=None):
    """{split: [(name, opener)]} for every NNNNNN.jpg, sorted by number."""
    if folder is not None:
        files = [(p.name, p) for p in Path(folder).glob("*.jpg")]
        opener = lambda path: open(path, "rb")  # noqa: E731
    else:
        archive = zipfile.ZipFile(zip_path)
        files = [(Path(n).name, n) for n in archive.namelist() if n.endswith(".jpg")]
        opener = archive.open
    files = sorted((name, item) for name, item in files if Path(name).stem.isdigit())
    if not files:
        raise ValueError(f"{zip_path or folder}: no CelebA images (NNNNNN.jpg) found")
    splits = {"train": [], "valid": [], "test": []}
    for name, item in files:
        splits[split_of(int(Path(name).stem))].append((name, lambda item=item: opener(item)))
    return splits


def convert(splits, out, size, crop, limit=None):
    """Read, crop and resize every image; write x_train, x_valid, x_test to ``out``."""
    arrays = {}
    for split, sources in splits.items():
        sources = sources[:limit]
        x = np.empty((len(sources), 3, size, size), dtype=np.uint8)
        for i, (name, open_image) in enumerate(sources):
            with open_image() as f:
                x[i] = read_image(f, size=size, channels=3, crop=crop, name=name)
            if (i + 1) % 20000 == 0:
                print(f"  {split}: {i + 1:,} / {len(sources):,}")
        arrays[f"x_{split}"] = x
    return _download.save_npz(out, arrays, compressed=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                epilog=__doc__[__doc__.index("CelebA ("):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--zip", type=Path, help="a local img_align_celeba.zip")
    source.add_argument("--folder", type=Path, help="a folder of the extracted JPEGs")
    p.add_argument("--size", type=int, default=64, help="output side in pixels (default 64)")
    p.add_argument("--crop", type=int, default=178, help="centered square cut first (default 178)")
    p.add_argument("--limit", type=int, default=None, help="keep the first N images of each split")
    p.add_argument("--root", type=Path, default=None,
                   help="data root (default: $MINIGEN_DATA or ~/.cache/minigen)")
    args = p.parse_args(argv)
    root = args.root or data_root()
    try:
        zip_path = args.zip
        if zip_path is None and args.folder is None:
            dest = root / "raw" / "celeba" / "img_align_celeba.zip"
            zip_path = _download.download(URL, dest, md5=MD5, by_hand=(
                f"download img_align_celeba.zip from the CelebA page in a browser and run "
                f"with --zip PATH (or put it at {dest})"))
        splits = list_sources(zip_path, args.folder)
        convert(splits, root / f"celeba-{args.size}.npz", args.size, args.crop, args.limit)
    except (_download.DownloadError, ValueError, zipfile.BadZipFile, OSError) as exc:
        return _download.fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
