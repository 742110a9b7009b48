"""Elementwise functions: exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, softplus,
clamp, maximum, minimum, where.

Each backward multiplies the upstream gradient by the local derivative f'(x). Where
f'(x) is best written with the output y (exp, tanh, sigmoid) the backward uses
``self.output``, which is a Tensor, so the product stays differentiable.
"""
from .. import backend
from ..tensor import Function, Tensor, as_tensor
from .shape import unbroadcast


def _constant(array):
    """A Tensor that the graph treats as a constant (masks, signs)."""
    return Tensor(array)


class Exp(Function):
    """y = e^x;  dx = dy * y."""

    def forward(self, x):
        return backend.get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output


class Log(Function):
    """y = ln x;  dx = dy / x."""

    def forward(self, x):
        return backend.get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x);  dx = dy / (2 y)."""

    def forward(self, x):
        return backend.get_array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output)


class Abs(Function):
    """y = |x|;  dx = dy * sign(x) (0 at x = 0, as PyTorch)."""

    def forward(self, x):
        return backend.get_array_module(x).abs(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * _constant(backend.get_array_module(x.data).sign(x.data))


class Tanh(Function):
    """y = tanh(x);  dx = dy * (1 - y^2)."""

    def forward(self, x):
        return backend.get_array_module(x).tanh(x)

    def backward(self, gy):
        y = self.output
        return gy * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dx = dy * y (1 - y).

    Computed as 1/(1+e^-|x|) or e^-|x|/(1+e^-|x|) by sign so that e^(...) never
    overflows (a naive 1/(1+exp(-x)) warns and loses precision at x = -1000)."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output
        return gy * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0);  dx = dy * [x > 0]."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        return xp.maximum(x, 0, dtype=x.dtype)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * _constant((x > 0).astype(x.dtype))


def leaky_relu_array(x, negative_slope):
    """y = x if x > 0 else negative_slope * x, on a raw array (CPU, or a CUDA kernel)."""
    xp = backend.get_array_module(x)
    if xp is not backend.np:
        from ..kernels import leaky_relu_forward
        return leaky_relu_forward(x, negative_slope)
    if 0 <= negative_slope <= 1:  # max(x, a x) is the same function in two passes, not three
        return xp.maximum(x, x * x.dtype.type(negative_slope))
    return xp.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_grad_array(x, gy, negative_slope):
    """dx = dy * slope(x), slope = 1 if x > 0 else negative_slope, on raw arrays.

    CPU: the slope is built arithmetically, a + (1 - a) * [x > 0], in four plain passes;
    ``np.where(x > 0, gy, a * gy)`` is the same value but branches on a random mask and
    runs about five times slower."""
    xp = backend.get_array_module(x)
    if xp is not backend.np:
        from ..kernels import leaky_relu_backward
        return leaky_relu_backward(x, gy, negative_slope)
    a = gy.dtype.type(negative_slope)
    slope = (x > 0).astype(gy.dtype)
    slope *= 1 - a
    slope += a
    slope *= gy
    return slope


class LeakyReLU(Function):
    """y = x if x > 0 else a * x;  dx = LeakyReLUGrad(x, dy)."""

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu_array(x, self.negative_slope)

    def backward(self, gy):
        return LeakyReLUGrad(self.negative_slope)(self.inputs[0], gy)


class LeakyReLUGrad(Function):
    """g = dy * (1 if x > 0 else a): linear in dy with a piecewise-constant slope, so its
    own backward is the same function applied to the incoming gradient (and 0 for x).
    Being a Function of its own (as in Chainer) keeps every order of derivative fused."""

    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x, gy):
        return leaky_relu_grad_array(x, gy, self.negative_slope)

    def backward(self, ggx):
        return None, LeakyReLUGrad(self.negative_slope)(self.inputs[0], ggx)


class Softplus(Function):
    """y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|) (stable form);  dx = dy * sigmoid(x)."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


class Clip(Function):
    """y = min(max(x, lo), hi);  dx = dy where lo <= x <= hi, else 0."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return backend.get_array_module(x).clip(x, self.lo, self.hi).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0].data
        mask = backend.get_array_module(x).ones(x.shape, dtype=bool)
        if self.lo is not None:
            mask &= x >= self.lo
        if self.hi is not None:
            mask &= x <= self.hi
        return gy * _constant(mask.astype(x.dtype))


class Maximum(Function):
    """y = max(a, b) elementwise;  da = dy where a > b, db = dy where b > a (ties split
    the gradient evenly, a convention; the function has no derivative there)."""

    def forward(self, a, b):
        return backend.get_array_module(a, b).maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        wa = (a.data > b.data) + 0.5 * (a.data == b.data)
        wa = _constant(wa.astype(gy.dtype))
        ga = unbroadcast(gy * wa, a) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * (1 - wa), b) if self.needs_input_grad[1] else None
        return ga, gb


class Where(Function):
    """y = a where cond else b;  da = dy * cond,  db = dy * (1 - cond)."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return backend.get_array_module(a, b).where(self.condition, a, b)

    def backward(self, gy):
        a, b = self.inputs
        mask = _constant(self.condition.astype(gy.dtype))
        ga = unbroadcast(gy * mask, a) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * (1 - mask), b) if self.needs_input_grad[1] else None
        return ga, gb


# ----------------------------------------------------------------------------- functions

def exp(x):
    return Exp()(as_tensor(x))


def log(x):
    return Log()(as_tensor(x))


def sqrt(x):
    return Sqrt()(as_tensor(x))


def abs(x):  # noqa: A001 (mirrors torch.abs)
    return Abs()(as_tensor(x))


def tanh(x):
    return Tanh()(as_tensor(x))


def sigmoid(x):
    return Sigmoid()(as_tensor(x))


def relu(x):
    return ReLU()(as_tensor(x))


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU(float(negative_slope))(as_tensor(x))


def softplus(x):
    return Softplus()(as_tensor(x))


def clamp(x, min=None, max=None):  # noqa: A002 (PyTorch's argument names)
    """Clip values to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clip(min, max)(as_tensor(x))


clip = clamp


def maximum(a, b):
    a = as_tensor(a)
    return Maximum()(a, as_tensor(b, like=a))


def minimum(a, b):
    """min(a, b) = -max(-a, -b), so it shares Maximum's backward."""
    a = as_tensor(a)
    return -maximum(-a, -as_tensor(b, like=a))


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (condition: bool array or Tensor)."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    a = as_tensor(a) if isinstance(a, Tensor) or not isinstance(b, Tensor) else as_tensor(a, like=b)
    b = as_tensor(b, like=a)
    xp = backend.get_array_module(a.data)
    return Where(xp.asarray(cond, dtype=bool))(a, b)
