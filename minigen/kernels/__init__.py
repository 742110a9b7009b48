"""Hand-written CUDA kernels for the GPU path, and their Python wrappers.

CuPy already runs every NumPy expression on the GPU, so minigen writes a kernel only
where it fuses several elementwise steps into one pass over memory, or provides what
CuPy lacks (as Chainer does):

  im2col, col2im                  conv.cu        twins in nn/functional/conv.py
  leaky_relu_forward, _backward   leaky_relu.cu  twins in ops/elementwise.py
  batch_norm_forward, _backward   batch_norm.cu  twins in nn/functional/norm.py

Every wrapper takes and returns CuPy arrays (float32 or float64) and returns fresh
C-contiguous outputs. Each ``.cu`` file is compiled once, on first use, by CuPy's
``RawModule`` (NVRTC) and cached; each kernel exists as ``<name>_f32`` and
``<name>_f64``. Besides ``minigen/backend.py`` this is the only module that touches CuPy.
"""
import functools
import math
from pathlib import Path

import numpy as np

from .. import backend
from ..backend import cupy

_DIR = Path(__file__).parent

# source file (without .cu) -> the kernels it defines, each as <name>_f32 and <name>_f64.
KERNELS = {
    "conv": ("im2col", "col2im"),
    "leaky_relu": ("leaky_relu",),
    "batch_norm": ("batch_norm_forward", "batch_norm_backward"),
}
_SUFFIX = {"float32": "_f32", "float64": "_f64"}
_THREADS_PER_BLOCK = 256


def available():
    """True when the kernels can run: CuPy imports and sees a CUDA device."""
    return backend.cuda_is_available()


def kernel_sources():
    """{source name: CUDA C text} for every ``.cu`` file here (needs no CuPy)."""
    return {name: (_DIR / f"{name}.cu").read_text() for name in KERNELS}


# --------------------------------------------------------------------------- loading

@functools.lru_cache(maxsize=None)
def _module(source_name):
    """Compile one ``.cu`` file (once per process; CuPy also caches the binary on disk)."""
    return cupy.RawModule(code=kernel_sources()[source_name], options=("--std=c++17",))


@functools.lru_cache(maxsize=None)
def _function(source_name, function_name, device_id):
    # A loaded function belongs to one GPU, hence the device in the cache key.
    return _module(source_name).get_function(function_name)


def _kernel(source_name, kernel_name, dtype_name):
    """The compiled ``<kernel_name>_f32`` or ``_f64`` for the current device."""
    return _function(source_name, kernel_name + _SUFFIX[dtype_name], cupy.cuda.Device().id)


def _launch(kernel, size, args):
    """Run ``kernel`` with one thread per element of a ``size``-element array.

    RawKernel passes a Python int as ``long long`` and a Python float as ``double``
    whatever the C signature says, so every scalar in ``args`` must already be a NumPy
    scalar of the exact C type (np.int32 for int, np.int64 for long long, ...).
    """
    if size == 0:  # a grid of zero blocks is a launch error
        return
    blocks = (size + _THREADS_PER_BLOCK - 1) // _THREADS_PER_BLOCK
    kernel((blocks,), (_THREADS_PER_BLOCK,), args)


def _float_array(a, name):
    """``a`` as a C-contiguous float32/float64 CuPy array, or a clear error."""
    if cupy is None:
        raise RuntimeError("minigen.kernels needs CuPy, which is not installed "
                           "(pip install -e .[gpu])")
    if not isinstance(a, cupy.ndarray):
        kind = f"{type(a).__module__}.{type(a).__qualname__}"
        raise TypeError(f"{name} must be a cupy.ndarray, got {kind}")
    if a.dtype.name not in _SUFFIX:
        raise TypeError(f"{name} has dtype {a.dtype}; minigen's CUDA kernels take "
                        "float32 or float64")
    return cupy.ascontiguousarray(a)


def _same_shape_and_dtype(a, b, a_name, b_name):
    if a.shape != b.shape:
        raise ValueError(f"{a_name} {a.shape} and {b_name} {b.shape} must have the same shape")
    if a.dtype != b.dtype:
        raise TypeError(f"{a_name} ({a.dtype}) and {b_name} ({b.dtype}) must have the same dtype")


# --------------------------------------------------------------------------- conv

def _out_size(size, k, s, p, d):
    """Output length of a convolution: floor((size + 2p - d(k-1) - 1) / s) + 1."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _conv_geometry(x_shape, kh, kw, sh, sw, ph, pw, dh, dw):
    """Validate the geometry and return (N, C, H, W, Ho, Wo) as Python ints."""
    if len(x_shape) != 4:
        raise ValueError(f"expected an (N, C, H, W) shape, got {tuple(x_shape)}")
    kh, kw, sh, sw, ph, pw, dh, dw = (int(v) for v in (kh, kw, sh, sw, ph, pw, dh, dw))
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        raise ValueError("kernel size, stride and dilation must be >= 1 and padding >= 0; "
                         f"got kernel ({kh}, {kw}), stride ({sh}, {sw}), "
                         f"padding ({ph}, {pw}), dilation ({dh}, {dw})")
    N, C, H, W = (int(v) for v in x_shape)
    Ho, Wo = _out_size(H, kh, sh, ph, dh), _out_size(W, kw, sw, pw, dw)
    if Ho < 1 or Wo < 1:
        raise ValueError(f"input {H}x{W} with padding ({ph}, {pw}) is smaller than the "
                         f"dilated kernel ({dh * (kh - 1) + 1}, {dw * (kw - 1) + 1})")
    return N, C, H, W, Ho, Wo


def _conv_args(N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw):
    return tuple(np.int32(v) for v in (N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw))


def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw):
    """Unfold the (kh, kw) patches of x into columns.

    x: (N, C, H, W) -> cols: (C, kh, kw, N, Ho, Wo), with
    cols[c, i, j, n, oh, ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
    (0 in the padding) and Ho = (H + 2 ph - dh (kh - 1) - 1) // sh + 1 (likewise Wo).
    """
    x = _float_array(x, "x")
    N, C, H, W, Ho, Wo = _conv_geometry(x.shape, kh, kw, sh, sw, ph, pw, dh, dw)
    cols = cupy.empty((C, int(kh), int(kw), N, Ho, Wo), dtype=x.dtype)
    _launch(_kernel("conv", "im2col", x.dtype.name), cols.size,
            (x, cols, np.int64(cols.size)) + _conv_args(N, C, H, W, Ho, Wo,
                                                        kh, kw, sh, sw, ph, pw, dh, dw))
    return cols


def col2im(cols, x_shape, kh, kw, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col: fold columns back into an image, summing overlaps.

    cols: (C, kh, kw, N, Ho, Wo) -> dx: x_shape = (N, C, H, W), with
    dx[n, c, h, w] = sum of cols[c, i, j, n, oh, ow] over all (i, j, oh, ow) with
    oh*sh - ph + i*dh == h and ow*sw - pw + j*dw == w. Deterministic (no atomics).
    """
    cols = _float_array(cols, "cols")
    N, C, H, W, Ho, Wo = _conv_geometry(x_shape, kh, kw, sh, sw, ph, pw, dh, dw)
    expected = (C, int(kh), int(kw), N, Ho, Wo)
    if cols.shape != expected:
        raise ValueError(f"cols has shape {cols.shape}; for x_shape {tuple(x_shape)} and this "
                         f"geometry it must be (C, kh, kw, N, Ho, Wo) = {expected}")
    dx = cupy.empty((N, C, H, W), dtype=cols.dtype)
    _launch(_kernel("conv", "col2im", cols.dtype.name), dx.size,
            (cols, dx, np.int64(dx.size)) + _conv_args(N, C, H, W, Ho, Wo,
                                                       kh, kw, sh, sw, ph, pw, dh, dw))
    return dx


# --------------------------------------------------------------------------- leaky ReLU

def leaky_relu_forward(x, negative_slope):
    """y = x if x > 0 else negative_slope * x (same shape and dtype as x)."""
    x = _float_array(x, "x")
    y = cupy.empty(x.shape, dtype=x.dtype)
    # The shared kernel computes "g if x > 0 else slope * g"; the forward is g = x.
    _launch(_kernel("leaky_relu", "leaky_relu", x.dtype.name), x.size,
            (x, x, x.dtype.type(float(negative_slope)), y, np.int64(x.size)))
    return y


def leaky_relu_backward(x, gy, negative_slope):
    """gx = gy if x > 0 else negative_slope * gy."""
    x, gy = _float_array(x, "x"), _float_array(gy, "gy")
    _same_shape_and_dtype(x, gy, "x", "gy")
    gx = cupy.empty(x.shape, dtype=x.dtype)
    _launch(_kernel("leaky_relu", "leaky_relu", x.dtype.name), x.size,
            (x, gy, x.dtype.type(float(negative_slope)), gx, np.int64(x.size)))
    return gx


# --------------------------------------------------------------------------- batch norm

def _per_channel(a, C, dtype, name, default=None):
    """A (C,) contiguous array of ``dtype``; None becomes ``default`` everywhere."""
    if a is None:
        if default is None:
            raise ValueError(f"{name} must not be None")
        return cupy.full((C,), default, dtype=dtype)
    a = cupy.asarray(a)
    if a.size != C:  # (C,) or e.g. a keepdims (1, C, 1, 1): any shape holding C values
        raise ValueError(f"{name} has shape {a.shape}; expected ({C},), one value per channel")
    return cupy.ascontiguousarray(a.reshape(C).astype(dtype, copy=False))


def _channels(x):
    """(C, S) for x viewed as (N, C, S): S is the product of the trailing dims."""
    if x.ndim < 2:
        raise ValueError(f"batch norm needs an (N, C, ...) array, got shape {x.shape}")
    return x.shape[1], math.prod(x.shape[2:])


def batch_norm_forward(x, mean, inv_std, weight, bias):
    """Normalize per channel, then scale and shift; returns (y, x_hat).

    x: (N, C) or (N, C, H, W) (any trailing dims); mean, inv_std, weight, bias: (C,).
    x_hat = (x - mean[c]) * inv_std[c];  y = x_hat * weight[c] + bias[c].
    weight None means 1 and bias None means 0. The caller computes mean and inv_std.
    """
    x = _float_array(x, "x")
    C, S = _channels(x)
    mean = _per_channel(mean, C, x.dtype, "mean")
    inv_std = _per_channel(inv_std, C, x.dtype, "inv_std")
    weight = _per_channel(weight, C, x.dtype, "weight", default=1)
    bias = _per_channel(bias, C, x.dtype, "bias", default=0)
    y = cupy.empty(x.shape, dtype=x.dtype)
    x_hat = cupy.empty(x.shape, dtype=x.dtype)
    _launch(_kernel("batch_norm", "batch_norm_forward", x.dtype.name), x.size,
            (x, mean, inv_std, weight, bias, y, x_hat,
             np.int64(x.size), np.int32(C), np.int64(S)))
    return y, x_hat


def batch_norm_backward(gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, m):
    """The batch-norm input gradient in closed form:

    gx = weight[c] * inv_std[c] / m * (m * gy - sum_gy[c] - x_hat * sum_gy_xhat[c])

    gy, x_hat: (N, C, ...); weight (None means 1), inv_std, sum_gy = sum of gy and
    sum_gy_xhat = sum of gy * x_hat over all axes but C: (C,); m = elements per channel.
    """
    gy, x_hat = _float_array(gy, "gy"), _float_array(x_hat, "x_hat")
    _same_shape_and_dtype(gy, x_hat, "gy", "x_hat")
    C, S = _channels(gy)
    weight = _per_channel(weight, C, gy.dtype, "weight", default=1)
    inv_std = _per_channel(inv_std, C, gy.dtype, "inv_std")
    sum_gy = _per_channel(sum_gy, C, gy.dtype, "sum_gy")
    sum_gy_xhat = _per_channel(sum_gy_xhat, C, gy.dtype, "sum_gy_xhat")
    gx = cupy.empty(gy.shape, dtype=gy.dtype)
    _launch(_kernel("batch_norm", "batch_norm_backward", gy.dtype.name), gy.size,
            (gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, gy.dtype.type(float(m)), gx,
             np.int64(gy.size), np.int32(C), np.int64(S)))
    return gx
