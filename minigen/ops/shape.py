"""Ops that move values around without arithmetic: reshape, transpose, broadcast,
indexing, concatenation, padding, casts and device copies.

Their backwards route the gradient back to where each value came from: a reshape's
gradient is reshaped back, an index's gradient is scattered (added) back, a broadcast's
gradient is summed over the broadcast axes.
"""
import numpy as np

from .. import backend
from ..tensor import Function, Tensor, as_tensor


# ----------------------------------------------------------------------------- broadcasting


class BroadcastTo(Function):
    """y = x repeated along new or size-1 axes to ``shape``; dx = sum_to(dy, x.shape)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        xp = backend.get_array_module(x)
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    """y = dy summed over the axes that broadcasting added or stretched; dx = broadcast."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def sum_to_array(x, shape):
    """Sum array ``x`` down to ``shape`` (undoing NumPy broadcasting)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead else y


def broadcast_to(x, shape):
    x = as_tensor(x)
    return x if x.shape == tuple(shape) else BroadcastTo(shape)(x)


def sum_to(x, shape):
    x = as_tensor(x)
    return x if x.shape == tuple(shape) else SumTo(shape)(x)


def unbroadcast(grad, x):
    """The gradient for input ``x`` from a gradient of the broadcast result: summed back to
    ``x.shape`` and cast to ``x.dtype`` (so float32 inputs get float32 gradients)."""
    grad = sum_to(grad, x.shape)
    return grad if grad.dtype == x.dtype else cast(grad, x.dtype)


# ----------------------------------------------------------------------------- reshape / transpose


class Reshape(Function):
    """y = x viewed with a new shape (same elements, same order); dx = dy reshaped back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _resolve_shape(size, shape, old_shape):
    """``shape`` with its one allowed -1 filled in; ValueError if the sizes disagree."""
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        ok = False
    elif -1 in shape:
        ok = known > 0 and size % known == 0
        shape = tuple(size // known if n == -1 else n for n in shape) if ok else shape
    else:
        ok = known == size
    if not ok:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {old_shape} "
                         f"({size} elements) into shape {shape}")
    return shape


def reshape(x, *shape):
    x = as_tensor(x)
    shape = _resolve_shape(x.numel(), tuple(int(n) for n in _shape_arg(shape)), x.shape)
    return x if x.shape == shape else Reshape(shape)(x)


class Transpose(Function):
    """y = x with its axes permuted; dx = dy with the inverse permutation."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return permute(gy, tuple(int(a) for a in np.argsort(self.axes)))


def transpose(x, *axes):
    """PyTorch's ``x.transpose(dim0, dim1)``: swap two dims (for a 2-D tensor the same as
    NumPy's permutation). With no dims, reverse them (``x.T``); with a full permutation of
    three or more dims, permute them as NumPy does (``permute`` is the PyTorch name)."""
    x = as_tensor(x)
    if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
        return swapaxes(x, *axes)
    return permute(x, *axes)


def permute(x, *axes):
    """Reorder the dims: ``y.shape[i] = x.shape[axes[i]]``; no axes reverses them."""
    x = as_tensor(x)
    axes = _shape_arg(axes) if axes and axes[0] is not None else None
    if axes is not None:
        if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes "
                             f"of a tensor of shape {x.shape}")
        axes = tuple(a % x.ndim for a in axes)
    else:
        axes = tuple(reversed(range(x.ndim)))
    return Transpose(axes)(x)


def swapaxes(x, axis1, axis2):
    x = as_tensor(x)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return permute(x, axes)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one (PyTorch's ``flatten``)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def unsqueeze(x, dim):
    x = as_tensor(x)
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    x = as_tensor(x)
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = dim % x.ndim
    if x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1:])


class Clone(Function):
    """y = a copy of x (its own array, so in-place changes to one leave the other); dx = dy."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x):
    return Clone()(as_tensor(x))


# ----------------------------------------------------------------------------- indexing


def _index_arrays(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index):
    """Basic indexing (ints, slices, None, ...) never repeats an element."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in items)


class GetItem(Function):
    """y = x[index]; dx = zeros with dy scatter-*added* at index (repeated integer indices
    receive the sum of their gradients)."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x = self.inputs[0]
        return GetItemGrad(self.index, x.shape)(gy)


class GetItemGrad(Function):
    """The scatter-add of GetItem's backward, as an op of its own so it has a backward
    (which is the gather ``g[index]`` again)."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy
        elif xp is np:
            np.add.at(gx, self.index, gy)
        else:
            xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


def getitem(x, index):
    return GetItem(_index_arrays(index))(as_tensor(x))


# ----------------------------------------------------------------------------- cat / stack


class Concatenate(Function):
    """y = the inputs joined along ``axis``; each dx is its slice of dy."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        xp = backend.get_array_module(*xs)
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            index = (slice(None),) * (self.axis % gy.ndim) + (slice(start, stop),)
            grads.append(getitem(gy, index))
            start = stop
        return tuple(grads)


def cat(tensors, axis=0, dim=None):
    """Join tensors along an existing axis (``torch.cat``; ``dim`` is accepted too)."""
    axis = axis if dim is None else dim
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ref = tensors[0].shape
    ax = axis % len(ref)
    for i, t in enumerate(tensors):
        if t.ndim != len(ref) or t.shape[:ax] + t.shape[ax + 1:] != ref[:ax] + ref[ax + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"tensor 0's shape {ref} outside axis {axis}")
    return Concatenate(ax)(*tensors)


def stack(tensors, axis=0, dim=None):
    """Join tensors along a new axis (``torch.stack``; ``dim`` is accepted too)."""
    axis = axis if dim is None else dim
    tensors = [as_tensor(t) for t in tensors]
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has {tensors[0].shape}")
    axis = axis % (tensors[0].ndim + 1)
    return cat([unsqueeze(t, axis) for t in tensors], axis=axis)


# ----------------------------------------------------------------------------- padding


def _pad_widths(pad, ndim, op="pad"):
    """PyTorch's pad order (last axis first: (left, right, top, bottom, ...)) -> NumPy's."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > ndim:
        raise ValueError(f"{op}: pad={pad} must have an even length of at most 2*ndim={2 * ndim}")
    widths = [(0, 0)] * ndim
    for k in range(len(pad) // 2):
        widths[ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return tuple(widths)


class Pad(Function):
    """y = x surrounded by ``value`` (constant) or by its own mirror image (reflect,
    which does not repeat the edge: [1 2 3] padded by 2 is [3 2 1 2 3 2 1])."""

    def __init__(self, widths, mode, value):
        self.widths, self.mode, self.value = widths, mode, value

    def forward(self, x):
        xp = backend.get_array_module(x)
        if self.mode == "constant":
            return xp.pad(x, self.widths, mode="constant", constant_values=self.value)
        return reflect_pad_array(x, self.widths)

    def backward(self, gy):
        if self.mode == "constant":  # the padding was constant: its gradient is dropped
            index = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.widths, self.inputs[0].shape))
            return getitem(gy, index)
        return ReflectPadGrad(self.widths)(gy)


def reflect_pad_array(x, widths):
    """``np.pad(x, widths, mode="reflect")`` by slice copies: x into the middle, then per
    axis each border from the mirror image already in place (so corners come out right).
    Same values as np.pad, without its per-call overhead on CycleGAN's small maps."""
    xp = backend.get_array_module(x)
    out = xp.empty(tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths)), dtype=x.dtype)
    out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, widths))] = x
    for axis, (lo, hi) in enumerate(widths):
        n = x.shape[axis]

        def sl(a, b, step=1):
            return (slice(None),) * axis + (slice(a, b, step),)
        if lo:  # padded[lo - k] = padded[lo + k], k = 1..lo
            out[sl(0, lo)] = out[sl(2 * lo, lo, -1)]
        if hi:  # padded[lo + n - 1 + k] = padded[lo + n - 1 - k], k = 1..hi
            stop = lo + n - 2 - hi
            out[sl(lo + n, lo + n + hi)] = out[sl(lo + n - 2, None if stop < 0 else stop, -1)]
    return out


class ReflectPadGrad(Function):
    """Fold a reflect-padded gradient back: each mirrored border is added onto the
    elements it copied. Its own backward is reflect padding again (the two are adjoint)."""

    def __init__(self, widths):
        self.widths = widths

    def forward(self, gy):
        g = gy
        for axis, (lo, hi) in enumerate(self.widths):
            if lo == hi == 0:
                continue
            n = g.shape[axis] - lo - hi

            def sl(a, b, step=1):
                return (slice(None),) * axis + (slice(a, b, step),)
            gx = g[sl(lo, lo + n)].copy()
            if lo:  # padded[lo - k] copied x[k] for k = 1..lo
                gx[sl(1, lo + 1)] += g[sl(0, lo)][sl(None, None, -1)]
            if hi:  # padded[lo + n - 1 + k] copied x[n - 1 - k] for k = 1..hi
                gx[sl(n - 1 - hi, n - 1)] += g[sl(lo + n, lo + n + hi)][sl(None, None, -1)]
            g = gx
        return g

    def backward(self, ggx):
        return Pad(self.widths, "reflect", 0)(ggx)


def pad(x, pad, mode="constant", value=0.0):
    """Pad ``x`` (PyTorch's ``F.pad``): ``pad`` lists (left, right) widths starting from the
    last axis, e.g. ``pad(x, (1, 1, 2, 2))`` pads W by 1 and H by 2 on each side.
    ``mode`` is ``"constant"`` (with ``value``) or ``"reflect"`` (width < that axis' size)."""
    x = as_tensor(x)
    widths = _pad_widths(pad, x.ndim)
    if mode not in ("constant", "reflect"):
        raise ValueError(f"pad: mode={mode!r} is not supported; expected 'constant' or 'reflect'")
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ValueError(f"pad: negative widths are not supported, got pad={tuple(pad)}")
    if mode == "reflect":
        for axis, (lo, hi) in enumerate(widths):
            if max(lo, hi) >= x.shape[axis] and (lo or hi):
                raise ValueError(f"pad: reflect padding of ({lo}, {hi}) on axis {axis} needs it to be "
                                 f"longer than the padding, but the input has shape {x.shape}")
    if all(lo == hi == 0 for lo, hi in widths):
        return x
    return Pad(widths, mode, value)(x)


# ----------------------------------------------------------------------------- dtype / device


class Cast(Function):
    """y = x converted to ``dtype``; dx = dy converted back to x's dtype."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)


def cast(x, dtype):
    x = as_tensor(x)
    return x if x.dtype == np.dtype(dtype) else Cast(dtype)(x)


class ToDevice(Function):
    """y = x copied to another device; dx = dy copied back."""

    def __init__(self, device):
        self.device = backend.check_device(device)

    def forward(self, x):
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return to_device(gy, self.inputs[0].device)


def to_device(x, device):
    x = as_tensor(x)
    return x if x.device == backend.check_device(device) else ToDevice(device)(x)


def _is_dtype(arg):
    """A dtype (np.float32, "float64") rather than a device ("cuda", mg.device("cpu"))."""
    if arg is None or isinstance(arg, backend.device):
        return False
    try:
        np.dtype(arg)
        return True
    except TypeError:
        return False


def to_arguments(args, device=None, dtype=None):
    """(device, dtype) from ``.to``'s positional forms: a device, a dtype, or a tensor
    (its device and dtype); shared by ``Tensor.to`` and ``Module.to``."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif _is_dtype(arg):
            dtype = arg
        else:
            device = arg
    return device, dtype


def to(x, *args, device=None, dtype=None, **ignored):
    """PyTorch's ``x.to(...)``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or
    ``to(other)`` (other's device and dtype); a cast and/or a device copy, differentiable.
    ``non_blocking=`` and ``copy=`` are accepted and change nothing (copies are synchronous)."""
    device, dtype = to_arguments(args, device, dtype)
    out = as_tensor(x)
    if dtype is not None:
        out = cast(out, dtype)
    if device is not None:
        out = to_device(out, device)
    return out
