"""Making tensors: ``tensor`` (with the dtype policy) and the factory functions."""
import numpy as np

from . import backend
from .tensor import Tensor, _as_dtype, _default_array


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new Tensor holding a copy of ``data``.

    dtype policy (PyTorch's, stated once here):

    * Python floats (and lists of them) become **float32**; Python ints become int64;
      bools become bool.
    * NumPy/CuPy arrays keep their dtype: a float64 array stays float64 (gradcheck runs in
      float64), a float32 one float32.
    * ``dtype=`` overrides both.
    * In arithmetic, a Python scalar takes the tensor's dtype (``x * 0.5`` stays float32);
      an integer tensor combined with a floating one gives the floating dtype; two floating
      dtypes give the wider one.

    Only floating tensors can have ``requires_grad=True``.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = _default_array(data, _as_dtype(dtype))
    arr = backend.to_device(arr, device if device is not None else backend.device_of(arr))
    xp = backend.get_array_module(arr)
    arr = xp.array(arr, copy=True)
    return Tensor(arr, requires_grad=requires_grad)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def _make(fill, shape, dtype, device, requires_grad):
    xp = backend.xp_for(device)
    arr = fill(xp, _shape(shape), np.dtype(dtype or np.float32))
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*shape, dtype=None, device="cpu", requires_grad=False):
    return _make(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False):
    return _make(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device="cpu", requires_grad=False):
    """``shape`` filled with ``fill_value``; without ``dtype``, the value's kind decides as in
    PyTorch: bool -> bool, int -> int64, float -> float32."""
    if dtype is None:
        value = fill_value.item() if hasattr(fill_value, "item") else fill_value
        dtype = (np.bool_ if isinstance(value, (bool, np.bool_)) else
                 np.int64 if isinstance(value, (int, np.integer)) else np.float32)
    return _make(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (shape,), dtype, device,
                 requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, device="cpu"):
    """Like ``np.arange``; integers give int64, any float argument float32."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, stop, step))
        dtype = np.float32 if floats else np.int64
    xp = backend.xp_for(device)
    return Tensor(xp.arange(start, stop, step, dtype=np.dtype(dtype)))
