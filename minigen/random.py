"""Random numbers: one seeded generator for every device, so a seed reproduces a run.

``manual_seed(n)`` reseeds it. It is NumPy's ``Generator(PCG64)``, whose state is a plain
dict, so a checkpoint saves and restores it exactly. Draws for the GPU are made by the same
generator on the host and copied over: a seed gives the same numbers on either device, and
that one state is the whole random state of a run (a CuPy generator beside it would be a
second state that checkpoints and ``get_rng_state`` miss). The draws a training step makes
(noise, dropout masks, augmentation) are a few arrays the size of an activation at most.
"""
import numpy as np

from . import backend
from .tensor import Tensor

_generator = [np.random.default_rng(0)]


def manual_seed(seed):
    """Seed the generator of every device (PyTorch's ``torch.manual_seed``)."""
    seed = int(seed)
    _generator[0] = np.random.default_rng(seed)
    return seed


class _OnDevice:
    """The host generator's draws, copied to the GPU: ``generator("cuda").random(shape)``
    is ``generator().random(shape)`` as a CuPy array."""

    def __init__(self, rng, device):
        self._rng, self._device = rng, device

    def __getattr__(self, name):
        draw = getattr(self._rng, name)
        if not callable(draw):  # bit_generator and the like: the host generator's own
            return draw
        return lambda *args, **kwargs: backend.to_device(np.asarray(draw(*args, **kwargs)), self._device)


def generator(device="cpu"):
    """The generator (``numpy.random.Generator``); for ``"cuda"``, the same one with its
    draws copied to the GPU."""
    device = backend.check_device(device)
    return _generator[0] if device == "cpu" else _OnDevice(_generator[0], device)


def get_rng_state():
    """The generator's state (a dict): the whole random state, for checkpoints."""
    return _generator[0].bit_generator.state


def set_rng_state(state):
    _generator[0].bit_generator.state = state


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
