"""Every differentiable op, and the Tensor operators and methods that call them."""
from . import arithmetic, elementwise, reduction, shape
from .arithmetic import add, sub, mul, div, pow, neg, matmul
from .elementwise import (exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, softplus,
                          clamp, clip, maximum, minimum, where)
from .reduction import sum, mean, var, max, min, logsumexp, log_softmax, softmax
from .shape import (reshape, transpose, swapaxes, flatten, squeeze, unsqueeze, broadcast_to,
                    sum_to, getitem, cat, stack, pad, cast, to_device)
from ..tensor import Tensor, as_tensor


def _reflected(fn):
    return lambda self, other: fn(as_tensor(other, like=self), self)


def _compare(name):
    def op(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor(getattr(self.data, name)(other))
    return op


_OPERATORS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg, "__getitem__": getitem,
}
_METHODS = {
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "tanh": tanh, "sigmoid": sigmoid,
    "relu": relu, "leaky_relu": leaky_relu, "softplus": softplus, "clamp": clamp, "clip": clip,
    "sum": sum, "mean": mean, "var": var, "max": max, "min": min, "logsumexp": logsumexp,
    "log_softmax": log_softmax, "softmax": softmax,
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": transpose,
    "swapaxes": swapaxes, "flatten": flatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "broadcast_to": broadcast_to, "expand": broadcast_to, "sum_to": sum_to, "matmul": matmul,
    "maximum": maximum, "minimum": minimum,
}
for _name, _fn in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _fn)
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(Tensor, _name, _compare(_name))
Tensor.__hash__ = object.__hash__  # __eq__ is elementwise, identity still hashes
Tensor.T = property(lambda self: transpose(self))
