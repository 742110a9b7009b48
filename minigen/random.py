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


def randn_like(t, dtype=None, requires_grad=False):
    """N(0, 1) samples of ``t``'s shape, dtype and device."""
    return randn(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    """U[0, 1) samples of ``t``'s shape, dtype and device."""
    return rand(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def normal(mean, std, size=None, dtype=None, device="cpu", requires_grad=False):
    """Samples from N(mean, std^2): ``normal(0.0, 1.0, size=(2, 3))``, or elementwise for
    tensor ``mean``/``std`` (PyTorch's ``torch.normal``), in their shape, dtype and device."""
    like = next((v for v in (mean, std) if isinstance(v, Tensor)), None)
    if like is not None:
        shape = np.broadcast_shapes(*(v.shape for v in (mean, std) if isinstance(v, Tensor)))
        z = randn(shape, dtype=dtype or like.dtype, device=like.device)
        m = mean.data if isinstance(mean, Tensor) else mean
        s = std.data if isinstance(std, Tensor) else std
        return Tensor((m + s * z.data).astype(z.dtype), requires_grad=requires_grad)
    if size is None:
        raise TypeError("normal: with float mean and std, pass size=")
    z = randn(size, dtype=dtype, device=device)
    return Tensor(z.data * z.dtype.type(std) + z.dtype.type(mean), requires_grad=requires_grad)


def normal_(t, mean=0.0, std=1.0):
    """In place: t ~ N(mean, std^2) (``t.normal_(0, 0.02)``; outside the graph, see fill_)."""
    t._check_inplace("normal_")
    draw = generator().normal(mean, std, size=t.shape)
    t.data[...] = backend.to_device(np.asarray(draw, dtype=t.dtype), t.device)
    return t._bump()


def uniform_(t, a=0.0, b=1.0):
    """In place: t ~ U(a, b)."""
    t._check_inplace("uniform_")
    draw = generator().uniform(a, b, size=t.shape)
    t.data[...] = backend.to_device(np.asarray(draw, dtype=t.dtype), t.device)
    return t._bump()


# PyTorch's in-place random fills are Tensor methods; they live here beside the generator.
Tensor.normal_, Tensor.uniform_ = normal_, uniform_


def randint(low, high, shape, device="cpu"):
    """Integers uniformly in [low, high), int64."""
    data = generator(device).integers(low, high, size=_shape((shape,)), dtype=np.int64)
    return Tensor(data)


def randperm(n, device="cpu"):
    return Tensor(generator(device).permutation(n))
