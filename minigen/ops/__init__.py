"""Every differentiable op, and the Tensor operators and methods that call them."""
from . import arithmetic, elementwise, reduction, shape
from .arithmetic import add, sub, mul, div, pow, neg, matmul
from .elementwise import (exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, softplus,
                          clamp, clip, maximum, minimum, where)
from .reduction import (sum, mean, var, max, min, argmax, argmin, logsumexp, log_softmax,
                        softmax)
from .shape import (reshape, transpose, permute, swapaxes, flatten, squeeze, unsqueeze,
                    broadcast_to, sum_to, getitem, cat, stack, pad, cast, to_device, to, clone)
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
    "argmax": argmax, "argmin": argmin,
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": permute,
    "swapaxes": swapaxes, "flatten": flatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "broadcast_to": broadcast_to, "expand": broadcast_to, "sum_to": sum_to, "matmul": matmul,
    "maximum": maximum, "minimum": minimum, "clone": clone,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    # PyTorch's spellings of the same ops
    "view_as": lambda self, other: reshape(self, other.shape),
    "reshape_as": lambda self, other: reshape(self, other.shape),
    "expand_as": lambda self, other: broadcast_to(self, other.shape),
    "t": lambda self: transpose(self) if self.ndim == 2 else reshape(self, self.shape),
    "contiguous": lambda self: self,
    # casts and device copies (differentiable)
    "to": to, "astype": cast,
    "cpu": lambda self: to_device(self, "cpu"), "cuda": lambda self: to_device(self, "cuda"),
    "float": lambda self: cast(self, "float32"), "double": lambda self: cast(self, "float64"),
    "half": lambda self: cast(self, "float16"), "long": lambda self: cast(self, "int64"),
    "int": lambda self: cast(self, "int32"), "bool": lambda self: cast(self, "bool"),
}
for _name, _fn in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _fn)
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(Tensor, _name, _compare(_name))
    setattr(Tensor, _name.strip("_"), _compare(_name))  # x.eq(y), x.lt(0), ...
Tensor.all = lambda self, dim=None: Tensor(self.data.all(axis=dim))  # not differentiable
Tensor.any = lambda self, dim=None: Tensor(self.data.any(axis=dim))
Tensor.__hash__ = object.__hash__  # __eq__ is elementwise, identity still hashes
Tensor.T = property(lambda self: transpose(self))
