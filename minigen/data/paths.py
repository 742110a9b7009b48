"""Where datasets live on disk, and how we check that a file is the one we expect.

Two places hold data:

- the package itself ships one small data set, ``embedded_mnist.npz``
  (5,000 real MNIST digits), so every lesson runs offline on a fresh install;
- everything larger goes under the *data root*: ``$MINIGEN_DATA`` if set, else
  ``~/.cache/minigen``. The scripts in ``data_scripts/`` write ``<name>.npz``
  files there and ``load_dataset(name)`` reads them back.
"""
import hashlib
import os
from pathlib import Path

ENV_VAR = "MINIGEN_DATA"
DEFAULT_ROOT = "~/.cache/minigen"

PACKAGE_DATA = Path(__file__).resolve().parent
EMBEDDED_NPZ = PACKAGE_DATA / "embedded_mnist.npz"


def data_root():
    """The data root: ``$MINIGEN_DATA``, or ``~/.cache/minigen`` when unset.

    Read on every call (not at import) so that a test or a notebook can point
    it elsewhere with ``os.environ["MINIGEN_DATA"] = ...`` at any time.
    """
    return Path(os.environ.get(ENV_VAR) or DEFAULT_ROOT).expanduser()


def sha256_file(path, chunk_size=1 << 20):
    """SHA-256 of a file's bytes as 64 hex digits, read 1 MiB at a time.

    Reading in chunks keeps memory flat for multi-gigabyte archives.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sha256_file(path):
    """The hash in a ``sha256sum``-style file (``<64 hex digits>  <filename>``).

    That format lets ``sha256sum -c embedded_mnist.sha256`` check it by hand too.
    """
    return Path(path).read_text().split()[0].lower()
