"""Random numbers: one seeded generator per device, so a seed reproduces a run.

``manual_seed(n)`` reseeds both. The CPU generator is NumPy's ``Generator(PCG64)``;
its state is a plain dict, so a checkpoint can save and restore it exactly.
"""
import numpy as np

from . import backend
from .tensor import Tensor

_generators = {"cpu": np.random.default_rng(0), "cuda": None}
_seed = [0]


def manual_seed(seed):
    """Seed every device's generator (PyTorch's ``torch.manual_seed``)."""
    seed = int(seed)
    _seed[0] = seed
    _generators["cpu"] = np.random.default_rng(seed)
    _generators["cuda"] = None  # rebuilt lazily from the seed on first GPU use
    return seed


def generator(device="cpu"):
    """The generator for ``device`` (``numpy.random.Generator`` or CuPy's)."""
    device = backend.check_device(device)
    if device == "cuda" and _generators["cuda"] is None:
        _generators["cuda"] = backend.cupy.random.default_rng(_seed[0])
    return _generators[device]


def get_rng_state():
    """The CPU generator's state (a dict) for checkpoints."""
    return _generators["cpu"].bit_generator.state


def set_rng_state(state):
    _generators["cpu"].bit_generator.state = state


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def randn(*shape, dtype=None, device="cpu", requires_grad=False):
    """Samples from N(0, 1)."""
    dtype = np.dtype(dtype or np.float32)
    data = generator(device).standard_normal(_shape(shape), dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, device="cpu", requires_grad=False):
    """Samples from U[0, 1)."""
    dtype = np.dtype(dtype or np.float32)
    data = generator(device).random(_shape(shape), dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)


def randint(low, high, shape, device="cpu"):
    """Integers uniformly in [low, high), int64."""
    data = generator(device).integers(low, high, size=_shape((shape,)), dtype=np.int64)
    return Tensor(data)


def randperm(n, device="cpu"):
    return Tensor(generator(device).permutation(n))
