"""Download a pix2pix data set and write a folder of side-by-side pairs for minigen train pix2pix.

The pix2pix authors' archives (https://github.com/phillipi/pix2pix) hold images with the two
sides of each pair next to each other, A on the left and B on the right (facades: photo |
label map, maps: photo | map, edges2shoes: edges | shoe), in <name>/train/, val/ and test/.
Each half is resized to --size x --size (bicubic) and the pair written back side by side as a
PNG to <root>/pix2pix/<name>-<size>/train/ and test/ (val/ where the set has no test/).

Train on it with, for example (facades is usually translated label map -> photo: BtoA):
    minigen train pix2pix --data ~/.cache/minigen/pix2pix/facades-64 --set direction=BtoA

No checksums are published for these archives: the first download records its SHA-256 in
<root>/checksums.json and later downloads must match it.

Example:
    python data_scripts/get_pix2pix.py facades
    python data_scripts/get_pix2pix.py edges2shoes --size 32
    python data_scripts/get_pix2pix.py maps --tar ~/Downloads/maps.tar.gz
"""
import argparse
import io
import sys
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

import _download  # first: it puts the repository root on sys.path for minigen
from minigen.data.folders import IMAGE_SUFFIXES
from minigen.data.paths import data_root

NAMES = ("facades", "maps", "edges2shoes", "edges2handbags", "cityscapes", "night2day")
MIRRORS = ["http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/"]


def convert(tar_path, out, size):
    """Resize each A|B image of the archive's train/ and test/ (or val/) to two size x size
    halves and write them side by side as PNGs under ``out``; returns {split: count}."""
    counts = {}
    with tarfile.open(tar_path) as archive:
        members = {}
        for m in archive.getmembers():
            path = PurePosixPath(m.name)
            if m.isfile() and path.suffix.lower() in IMAGE_SUFFIXES:
                members.setdefault(path.parent.name, []).append(m)
        sources = {"train": "train", "test": "test" if "test" in members else "val"}
        for split, source in sources.items():
            if source not in members:
                raise ValueError(f"{tar_path}: no images in {source}/; expected a pix2pix archive with "
                                 "train/ and test/ or val/")
            folder = out / split
            folder.mkdir(parents=True, exist_ok=True)
            for i, m in enumerate(sorted(members[source], key=lambda m: m.name)):
                image = Image.open(io.BytesIO(archive.extractfile(m).read())).convert("RGB")
                w, h = image.size
                halves = [image.crop((0, 0, w // 2, h)), image.crop((w // 2, 0, 2 * (w // 2), h))]
                pair = np.concatenate([np.asarray(x.resize((size, size), Image.BICUBIC)) for x in halves], axis=1)
                Image.fromarray(pair).save(folder / f"{i:05d}.png")
            counts[split] = len(members[source])
    return counts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                epilog=__doc__[__doc__.index("The pix2pix"):],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=NAMES, help="which data set")
    p.add_argument("--size", type=int, default=64, choices=(32, 64, 128, 256),
                   help="side of each half in pixels (default 64)")
    p.add_argument("--tar", type=Path, help="use this local <name>.tar.gz instead of downloading")
    p.add_argument("--root", type=Path, default=None,
                   help="data root (default: $MINIGEN_DATA or ~/.cache/minigen)")
    args = p.parse_args(argv)
    root = args.root or data_root()
    try:
        tar_name = f"{args.name}.tar.gz"
        tar_path = args.tar or _download.download(
            [m + tar_name for m in MIRRORS], root / "raw" / "pix2pix" / tar_name,
            checksums=root / "checksums.json")
        out = root / "pix2pix" / f"{args.name}-{args.size}"
        counts = convert(tar_path, out, args.size)
    except (_download.DownloadError, ValueError, tarfile.TarError, OSError) as exc:
        return _download.fail(exc)
    print(f"wrote {out}: " + ", ".join(f"{n} {split} pairs" for split, n in counts.items()))
    print(f"train with: minigen train pix2pix --data {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
