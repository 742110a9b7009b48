"""+ - * / ** @ and negation, with NumPy broadcasting.

Every backward ends in ``unbroadcast``: if ``x`` of shape (3, 1) was broadcast against
(2, 3, 4), its gradient of shape (2, 3, 4) is summed back to (3, 1).

dtype rule for two tensors: NumPy's promotion, except that an integer tensor combined
with a floating one takes the floating dtype (int64 + float32 -> float32, as in PyTorch,
where NumPy alone would give float64).
"""
import numpy as np

from ..tensor import Function, Tensor, as_tensor
from .shape import unbroadcast, swapaxes, reshape, squeeze


def _promote(a, b):
    fa, fb = np.issubdtype(a.dtype, np.floating), np.issubdtype(b.dtype, np.floating)
    if fa and not fb:
        return a, b.astype(a.dtype)
    if fb and not fa:
        return a.astype(b.dtype), b
    return a, b


def _check_broadcast(op, a, b):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                         "(trailing axes must be equal or 1)") from None


class Add(Function):
    """y = a + b;  da = dy,  db = dy (each summed back to its own shape)."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return unbroadcast(gy, a), unbroadcast(gy, b)


class Sub(Function):
    """y = a - b;  da = dy,  db = -dy."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy, a) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gy, b) if self.needs_input_grad[1] else None
        return ga, gb


class Mul(Function):
    """y = a * b;  da = dy * b,  db = dy * a."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy * b, a) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * a, b) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b;  da = dy / b,  db = -dy * a / b**2."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy / b, a) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gy * a / (b * b), b) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    """y = -x;  dx = -dy."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """y = a ** b;  da = dy * b * a**(b-1),  db = dy * y * log(a) (needs a > 0)."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a ** b

    def backward(self, gy):
        from .elementwise import log
        a, b = self.inputs
        ga = unbroadcast(gy * b * a ** (b - 1), a) if self.needs_input_grad[0] else None
        gb = unbroadcast(gy * self.output * log(a), b) if self.needs_input_grad[1] else None
        return ga, gb


class MatMul(Function):
    """y = a @ b for (..., n, k) @ (..., k, m), batch axes broadcast.
    da = dy @ b^T,  db = a^T @ dy  (^T swaps the last two axes)."""

    def forward(self, a, b):
        a, b = _promote(a, b)
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy @ swapaxes(b, -1, -2), a) if self.needs_input_grad[0] else None
        gb = unbroadcast(swapaxes(a, -1, -2) @ gy, b) if self.needs_input_grad[1] else None
        return ga, gb


def _binary(cls, op):
    def apply(a, b):
        if isinstance(a, Tensor):
            b = as_tensor(b, like=a)
        else:
            b = as_tensor(b)
            a = as_tensor(a, like=b)
        _check_broadcast(op, a, b)
        return cls()(a, b)
    apply.__name__ = cls.__name__.lower()
    apply.__doc__ = cls.__doc__
    return apply


add = _binary(Add, "add")
sub = _binary(Sub, "sub")
mul = _binary(Mul, "mul")
div = _binary(Div, "div")
pow = _binary(Pow, "pow")  # noqa: A001 (mirrors torch.pow)


def neg(x):
    return Neg()(as_tensor(x))


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are treated as a row (left) or a
    column (right) vector and that axis is dropped from the result."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({a2.shape[-1]} != {b2.shape[-2]} on the contracted axis)")
    try:
        np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch shapes of {a.shape} and {b.shape} cannot be broadcast") from None
    y = MatMul()(a2, b2)
    if b.ndim == 1:
        y = squeeze(y, -1)
    if a.ndim == 1:
        y = squeeze(y, -2 if b.ndim > 1 else -1)
    return y
