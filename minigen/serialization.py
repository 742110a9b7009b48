"""``mg.save(obj, path)`` / ``mg.load(path)``: nested state (dicts, lists, arrays, Tensors,
numbers, strings, None) in one ``.npz`` file, with no pickled code.

Layout: every array is an npz entry named by its path in ``obj`` (``model/0.weight``,
``optimizers/g/state/0/exp_avg``), so ``np.load(path)["model/0.weight"]`` reads one
directly (a path component that another unzip tool would misread, ``..``, ``.``, an
empty one, ``\\`` or ``:``, is %-escaped, so no member can land outside the folder it is
unzipped into). Everything else goes into a JSON "skeleton" (entry ``__skeleton__``) that
mirrors ``obj``, with ``{"__array__": "model/0.weight"}`` where an array goes. JSON keeps
Python's integers exactly however big (NumPy's RNG state holds 128-bit ones) and floats
exactly (``repr`` round-trips). Tuples come back as lists; NumPy scalars as Python numbers.

Loading never unpickles (``allow_pickle=False``), so a checkpoint cannot run code; it
refuses a member that is not an ``.npy`` array, and one whose header claims more data
than the member holds (checked before anything is allocated).
Files are written atomically: a temporary file in the same folder, flushed and fsynced,
then renamed over the target (``os.replace``), so a crash leaves the old file or the
new one, never half of one.
"""
import json
import os
import secrets
import zipfile
from pathlib import Path

import numpy as np

from . import backend
from .tensor import Tensor

SKELETON = "__skeleton__"
_MARKERS = ("__array__", "__items__")  # keys the skeleton reserves for itself


def _is_array(obj):
    return isinstance(obj, np.ndarray) or backend.device_of(obj) == "cuda"


def _encode(obj, arrays, path):
    """JSON-able skeleton of ``obj``; arrays go into ``arrays`` under their path."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if _is_array(obj):
        array = backend.as_numpy(obj)
        if array.dtype.hasobject:
            raise TypeError(f"mg.save: the array at {path or '/'!r} holds Python objects, which would "
                            "need pickle; store numbers or strings")
        base = _member_name(path or "array")
        key, n = base, 1
        while key in arrays or key == SKELETON:  # two paths may spell the same ("a/b" vs a -> b)
            key, n = f"{base}#{n}", n + 1
        arrays[key] = array
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        child = lambda k: f"{path}/{k}" if path else str(k)  # noqa: E731
        if all(isinstance(k, str) for k in obj) and not any(m in obj for m in _MARKERS):
            return {k: _encode(v, arrays, child(k)) for k, v in obj.items()}
        # Non-string keys (an optimizer's parameter indices) would become strings in JSON,
        # so such a dict is stored as a list of [key, value] pairs.
        for k in obj:
            if not (k is None or isinstance(k, (str, bool, int, float))):
                raise TypeError(f"mg.save: dict key {k!r} at {path or '/'!r} is a {type(k).__name__}; "
                                "keys must be strings, numbers, bools or None")
        return {"__items__": [[k, _encode(v, arrays, child(k))] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays, f"{path}/{i}" if path else str(i)) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mg.save: cannot store a {type(obj).__name__} at {path or '/'!r} (only dicts, "
                    "lists, tuples, arrays, Tensors, numbers, strings, bools and None)")


def _member_name(path):
    """A zip member name for ``path`` that stays inside the archive when another tool
    unzips it: no absolute path, no ``..`` or ``.`` component, no backslash, colon or NUL
    (``../../evil`` -> ``%2E%2E/%2E%2E/evil``). Ordinary keys (``model/0.weight``) are
    unchanged; the skeleton records the member name, so loading needs no decoding."""
    parts = []
    for part in path.split("/"):
        part = (part.replace("%", "%25").replace("\\", "%5C").replace(":", "%3A")
                .replace("\0", "%00"))
        if part in ("", ".", ".."):
            part = part.replace(".", "%2E") or "%"
        parts.append(part)
    return "/".join(parts)


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__items__" in obj:
            return {k: _decode(v, arrays) for k, v in obj["__items__"]}
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def save(obj, path):
    """Write ``obj`` to ``path`` (an .npz file, whatever its suffix) atomically."""
    path = Path(path)
    arrays = {}
    skeleton = json.dumps(_encode(obj, arrays, ""))
    arrays[SKELETON] = np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them the file
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_directory(path.parent)


def _write_npz(file, arrays):
    """What ``np.savez`` does, spelled out: an .npz is a zip archive with one ``NAME.npy``
    member per array. (``np.savez(f, **arrays)`` would take an entry named ``file`` for
    its own argument; and here pickle is refused outright.)"""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _fsync_directory(folder):
    """Make the rename itself durable (POSIX); not possible, nor needed, on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Foreign(Exception):
    """Raised inside load for a readable file that mg.save did not write."""


def load(path):
    """Read what ``save`` wrote: nested dicts and lists with NumPy arrays (on the CPU).

    A missing file raises FileNotFoundError; a truncated, corrupt or foreign file a
    ValueError; both name the path."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"mg.load: {path} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"mg.load: {path} is a folder, not a file written by mg.save")
    with open(path, "rb") as f:  # an unreadable file is an OSError naming the path
        try:
            arrays = _read_members(f, path)
            if SKELETON not in arrays:
                raise _Foreign()
            skeleton = json.loads(arrays.pop(SKELETON).tobytes().decode("utf-8"))
            return _decode(skeleton, arrays)
        except _Foreign:
            raise ValueError(f"mg.load: {path} is not a file written by mg.save (not an .npz "
                             f"with a {SKELETON} entry)") from None
        except _Refused as exc:
            raise ValueError(f"mg.load: {path}: {exc}") from None
        except Exception as exc:
            raise ValueError(f"mg.load: {path} is truncated or corrupt "
                             f"({type(exc).__name__}: {exc})") from None


class _Refused(Exception):
    """A member that mg.load will not read (not an array, or a header that lies)."""


def _read_members(file, path):
    """{name: array} for every member of the .npz ``file``. Every member must be an
    ``.npy`` array, and its header is checked against the member's size before anything
    is allocated (a 100-byte member that claims 10^12 elements is refused, not read)."""
    magic = file.read(6)
    if magic == b"\x93NUMPY":  # a single .npy array: readable, but not mg.save's
        raise _Foreign()
    if magic[:2] != b"PK":
        raise ValueError("not a zip archive")
    file.seek(0)
    arrays = {}
    with zipfile.ZipFile(file) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if not info.filename.endswith(".npy"):
                raise _Refused(f"member {info.filename!r} is not an array (.npy); mg.save writes "
                               "only arrays, so this file was altered or written by another tool")
            name = info.filename[:-len(".npy")]
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
                else:  # 3.0: a UTF-8 header (NumPy has no public reader for it)
                    shape, fortran, dtype = np.lib.format._read_array_header(member, version)
                if dtype.hasobject:
                    raise _Refused(f"member {info.filename!r} holds Python objects (pickle); refused")
                count = 1
                for n in shape:
                    count *= int(n)
                if count * dtype.itemsize > info.file_size:
                    raise _Refused(f"member {info.filename!r} claims shape {tuple(shape)} "
                                   f"({count * dtype.itemsize:,} bytes) but holds {info.file_size:,} "
                                   "bytes; refused before allocating")
            with archive.open(info) as member:
                arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
    return arrays
