"""The one switch between NumPy (CPU) and CuPy (GPU).

Every op asks ``xp = get_array_module(x)`` and then writes ``xp.exp(x)``: the
same line runs on either device. This is the only module that imports CuPy
(the GPU kernels in ``minigen/kernels`` are the other exception), so
``import minigen`` works on a machine without it.
"""
import numpy as np

try:  # CuPy is optional: the `gpu` extra installs it.
    import cupy
    _CUPY_ERROR = None
except Exception as exc:  # ImportError, or a CUDA library that fails to load
    cupy = None
    _CUPY_ERROR = exc

DEVICES = ("cpu", "cuda")


def get_array_module(*arrays):
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``."""
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return np


def device_of(array):
    """``"cuda"`` for a CuPy array, ``"cpu"`` for anything else."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return "cuda"
    return "cpu"


def cuda_is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


class device(str):
    """A device, PyTorch's ``torch.device``: ``mg.device("cuda")``, ``mg.device("cuda:0")``,
    ``mg.device("cpu")``. It *is* the string ``"cpu"`` or ``"cuda"`` (a str subclass), so it
    goes wherever a device name does and compares equal to one; ``.type`` and ``.index``
    are PyTorch's attributes. minigen uses one GPU, so ``"cuda:N"`` means ``"cuda"``."""

    def __new__(cls, spec, index=None):
        text = str(spec)
        kind, _, number = text.partition(":")
        if kind not in DEVICES or (number and not number.isdigit()):
            raise ValueError(f"device={text!r} is not a device minigen knows; expected 'cpu' or 'cuda'")
        obj = super().__new__(cls, kind)
        obj.type = kind
        obj.index = int(number) if number else index
        return obj

    def __repr__(self):
        return f"device(type='{self.type}')"


def check_device(device):
    """Validate a device name and, for ``"cuda"``, that CuPy and a GPU exist.

    Raises one error that says which piece is missing and how to get it.
    """
    if device is None:
        return "cpu"
    device = str.__str__(device) if isinstance(device, str) else str(device)
    if device.startswith("cuda:"):  # accept PyTorch's "cuda:0"
        device = "cuda"
    if device not in DEVICES:
        raise ValueError(f"device={device!r} is not a device minigen knows; expected 'cpu' or 'cuda'")
    if device == "cuda":
        if cupy is None:
            raise RuntimeError(
                "device='cuda' needs CuPy, which is not installed (or failed to import: "
                f"{_CUPY_ERROR}). Install it with `pip install -e .[gpu]` "
                "(cupy-cuda12x; use cupy-cuda13x for CUDA 13 drivers).")
        if not cuda_is_available():
            raise RuntimeError(
                "device='cuda' needs an NVIDIA GPU, but CuPy is installed and sees no CUDA device "
                "(check `nvidia-smi` and the driver).")
    return device


def xp_for(device):
    """The array module for a device name: numpy for 'cpu', cupy for 'cuda'."""
    return cupy if check_device(device) == "cuda" else np


def to_device(array, device):
    """Copy ``array`` to ``device`` (no copy if it is already there)."""
    device = check_device(device)
    if device == device_of(array):
        return array
    if device == "cuda":
        return cupy.asarray(array)
    return cupy.asnumpy(array)


def as_numpy(array):
    """A host NumPy array (copies from the GPU when needed)."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy.asnumpy(array)
    return np.asarray(array)
