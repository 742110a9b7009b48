"""Get Fashion-MNIST and write $MINIGEN_DATA/fashion-mnist.npz (default ~/.cache/minigen).

Where the four IDX files come from, first match wins:
  1. the Debian/Ubuntu package ``dataset-fashion-mnist`` (no download at all):
         sudo apt-get install dataset-fashion-mnist
     installs /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
     apt has already verified the package's signature; its .gz files are
     recompressed (different bytes from upstream's, same pixels), so the
     upstream SHA-256s below do not apply to them;
  2. files in <root>/raw/fashion-mnist/, gzipped or not (put there by hand);
  3. a download from Zalando's server (or the GitHub mirror), checked against
     the SHA-256s in TensorFlow Datasets' url_checksums/fashion_mnist.txt.

Output keys as for MNIST: x_train (60000, 28, 28) uint8, y_train (60000,) int64,
x_test (10000, 28, 28), y_test (10000,). Labels: 0 T-shirt/top, 1 Trouser,
2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

Example:
    python data_scripts/get_fashion_mnist.py
    python data_scripts/get_fashion_mnist.py --no-system   # ignore the apt package
"""
import sys
from pathlib import Path

import _download  # first: it puts the repository root on sys.path for minigen
from get_mnist import SPLITS, convert, parser  # Fashion-MNIST uses MNIST's file format
from minigen.data.paths import data_root

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
MIRRORS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
           "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"]
SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}


def system_package_present(system_dir):
    """True if all four .gz files of the apt package are in ``system_dir``."""
    return all((system_dir / f"{stem}.gz").is_file()
               for images, labels, _ in SPLITS.values() for stem in (images, labels))


def main(argv=None):
    p = parser(__doc__, "fashion-mnist")
    p.add_argument("--system-dir", type=Path, default=SYSTEM_DIR,
                   help="where the apt package put the files (default: %(default)s)")
    p.add_argument("--no-system", action="store_true", help="do not use the apt package")
    args = p.parse_args(argv)
    root = args.root or data_root()
    out = root / "fashion-mnist.npz"
    try:
        if not args.no_system and system_package_present(args.system_dir):
            print(f"using the system package's files in {args.system_dir}")
            convert(args.system_dir, out, MIRRORS, None, "Fashion-MNIST")
        else:
            convert(root / "raw" / "fashion-mnist", out, MIRRORS, SHA256, "Fashion-MNIST")
    except (_download.DownloadError, ValueError) as exc:
        return _download.fail(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
