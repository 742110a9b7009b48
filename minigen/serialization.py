"""``mg.save(obj, path)`` / ``mg.load(path)``: nested state (dicts, lists, arrays, numbers,
strings) in one ``.npz`` file, with no pickled code.

Arrays are stored as npz entries ``a0, a1, ...``; everything else becomes a JSON
"skeleton" (entry ``__skeleton__``) in which ``{"__array__": "a3"}`` marks where an array
goes. JSON keeps Python's big integers exactly (NumPy's RNG state holds 128-bit ones).
Loading never unpickles (``allow_pickle=False``), so a checkpoint cannot run code.
Files are written atomically: a temporary file in the same folder, flushed and fsynced,
then renamed over the target, so a crash leaves the old file or the new one, never half.
"""
import json
import os
from pathlib import Path

import numpy as np

from . import backend
from .tensor import Tensor


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray) or backend.device_of(obj) == "cuda":
        key = f"a{len(arrays)}"
        arrays[key] = backend.as_numpy(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v, arrays) for k, v in obj.items()}
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mg.save: cannot store a {type(obj).__name__} (only dicts, lists, arrays, "
                    "Tensors, numbers, strings and None)")


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__items__" in obj:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__items__"]}
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def save(obj, path):
    """Write ``obj`` to ``path`` (.npz) atomically."""
    path = Path(path)
    arrays = {}
    skeleton = json.dumps(_encode(obj, arrays))
    arrays["__skeleton__"] = np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path):
    """Read what ``save`` wrote; a missing, truncated or foreign file is a clear error."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"mg.load: {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        skeleton = json.loads(arrays.pop("__skeleton__").tobytes().decode("utf-8"))
    except KeyError:
        raise ValueError(f"mg.load: {path} is an .npz file but not one written by mg.save") from None
    except Exception as exc:
        raise ValueError(f"mg.load: {path} is truncated or corrupt ({type(exc).__name__}: {exc})") from None
    return _decode(skeleton, arrays)
