"""Helpers shared by the data scripts: resumable, verified downloads (standard library only).

``download(urls, dest, sha256=...)``:
  - a file already at ``dest`` (from an earlier run, or put there by hand) is
    verified and used, so a machine without network can be served by hand;
  - otherwise bytes go to ``dest + ".part"``; if that exists from an
    interrupted run we ask for the rest with an HTTP ``Range: bytes=<size>-``
    header (a server that answers 200 instead of 206 ignored it: start over);
  - the finished file is checked against a published SHA-256 (or MD5). For
    files with no published hash, the first download records its SHA-256 in
    ``checksums.json`` under the data root and later downloads must match it;
  - any failure is a ``DownloadError`` whose message is one line: the URLs
    tried, why, and where to put the file by hand. ``fail`` prints it.
"""
import hashlib
import json
import os
import sys
import tempfile
import urllib.error
from pathlib import Path
from urllib.request import Request, urlopen  # tests replace this module's `urlopen`

import numpy as np

# The scripts run from a checkout (`python data_scripts/get_mnist.py`), installed or not:
# put the repository root first on sys.path so that `import minigen` finds the package
# beside this folder. Every script imports this module before minigen.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

CHUNK = 1 << 20  # 1 MiB per read: steady progress, flat memory
TIMEOUT = 30     # seconds without data before we give up on a server


class DownloadError(Exception):
    """A download (or a file placed by hand) failed; the message is one line."""


def fail(error):
    """Print ``error`` as one line on stderr (no traceback) and return exit code 1."""
    print(f"{Path(sys.argv[0]).name}: error: {error}", file=sys.stderr)
    return 1


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file, read 1 MiB at a time."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path, sha256=None, md5=None, checksums=None, name=None):
    """Raise ``DownloadError`` unless ``path`` matches the known hash.

    With neither ``sha256`` nor ``md5``, ``checksums`` (a JSON file mapping file
    names to SHA-256) is used: the first file seen is recorded (trust on first
    use), later ones must match the record. ``name`` is the key there
    (default: the file's name; a ``.part`` file passes its final name).
    """
    path, name = Path(path), name or Path(path).name
    if sha256 is None and md5 is None and checksums is not None:
        checksums = Path(checksums)
        known = json.loads(checksums.read_text()) if checksums.is_file() else {}
        if name not in known:
            known[name] = file_digest(path, "sha256")
            checksums.parent.mkdir(parents=True, exist_ok=True)
            checksums.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
            print(f"recorded the SHA-256 of {name} in {checksums} (no published checksum)")
            return
        sha256 = known[name]
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is not None:
            actual = file_digest(path, algorithm)
            if actual != expected:
                raise DownloadError(f"{path} has {algorithm.upper()} {actual}, expected "
                                    f"{expected}; delete it and run again")


def _fetch(url, part):
    """Append the rest of ``url`` to ``part`` (resuming from its current size)."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "minigen-data-scripts"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urlopen(Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # "range not satisfiable": we already have it all
            return
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(getattr(exc, "reason", exc)) from None
    with response:
        if "text/html" in response.headers.get("Content-Type", ""):
            raise DownloadError("the server sent a web page, not the file (a login, quota "
                                "or confirmation page)")
        resumed = offset and getattr(response, "status", 200) == 206
        total = int(response.headers.get("Content-Length") or 0) + (offset if resumed else 0)
        done = offset if resumed else 0
        with open(part, "ab" if resumed else "wb") as f:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    f.write(block)
                    done += len(block)
                    if sys.stderr.isatty():
                        print(f"\r  {done / 1e6:8.1f} / {total / 1e6:.1f} MB", end="",
                              file=sys.stderr)
            except OSError as exc:  # connection reset, timeout, incomplete read
                raise DownloadError(f"interrupted after {done:,} bytes ({exc}); run again "
                                    "to resume") from None
        if sys.stderr.isatty():
            print(file=sys.stderr)


def download(urls, dest, sha256=None, md5=None, checksums=None, by_hand=None):
    """Make sure a verified copy of the file at ``urls`` is at ``dest``; return ``dest``.

    ``urls`` is one URL or a list of mirrors of the same file, tried in order
    until one works (a ``.part`` left by one mirror is resumed from the next).
    ``by_hand`` replaces the default advice "put it at <dest>" in the error.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    dest = Path(dest)
    if dest.is_file():
        verify(dest, sha256, md5, checksums)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    reasons = []
    for url in urls:
        print(f"downloading {url} -> {dest}")
        try:
            _fetch(url, part)
            break
        except DownloadError as exc:
            reasons.append(f"{url} ({exc})")
    else:
        by_hand = by_hand or f"download it by hand and put it at {dest}"
        raise DownloadError(f"could not download {'; '.join(reasons)}. Without network, "
                            f"{by_hand}, then run again")
    try:
        verify(part, sha256, md5, checksums, name=dest.name)
    except DownloadError as exc:
        part.unlink()  # a wrong file cannot be resumed into a right one
        raise DownloadError(f"downloaded file is not the expected one: {exc}") from None
    part.replace(dest)
    return dest


def save_npz(path, arrays, compressed=True):
    """Write ``arrays`` (a dict) to ``path`` atomically: a temp file, then ``os.replace``.

    So an interrupted script never leaves a half-written ``.npz`` that
    ``load_dataset`` would then trip over. ``compressed=False`` suits photos,
    which deflate poorly but load faster uncompressed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            (np.savez_compressed if compressed else np.savez)(f, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes it private (0600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    sizes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {sizes}")
    return path
