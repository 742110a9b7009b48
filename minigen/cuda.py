"""``mg.cuda``: PyTorch's ``torch.cuda`` questions, answered by CuPy (``minigen.backend``).

    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
"""
from . import backend


def is_available():
    """True when CuPy imports and sees a CUDA GPU."""
    return backend.cuda_is_available()


def device_count():
    """How many CUDA GPUs CuPy sees (minigen computes on the first)."""
    if not is_available():
        return 0
    return int(backend.cupy.cuda.runtime.getDeviceCount())


def manual_seed(seed):
    """Seed the generators (minigen has one seed for every device, ``mg.manual_seed``)."""
    from .random import manual_seed as seed_all
    return seed_all(seed)


manual_seed_all = manual_seed
