"""Stochastic gradient descent, with momentum and weight decay."""
from .. import backend
from .optimizer import Optimizer


class SGD(Optimizer):
    """SGD with momentum, PyTorch's form (g = p.grad):

        g <- g + weight_decay * p
        b <- momentum * b + (1 - dampening) * g      (b <- g on the first step)
        p <- p - lr * (g + momentum * b if nesterov else b)

    Momentum 0 is plain gradient descent, p <- p - lr * g. ``b`` is saved in the state as
    ``"momentum_buffer"``.
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
        if not lr > 0:
            raise ValueError(f"SGD: lr={lr} must be positive")
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: momentum={momentum} and weight_decay={weight_decay} must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening=0, got "
                             f"momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      dampening=dampening, nesterov=nesterov))

    def update(self, p, grad, group, state):
        s = p.dtype.type  # hyperparameters in p's dtype: a float32 p stays float32
        if group["weight_decay"]:
            grad = grad + s(group["weight_decay"]) * p  # a new array: p.grad stays as backward left it
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                # an array even for a 0-d p (NumPy scalars are immutable: ``buf *=`` would rebind)
                buf = state["momentum_buffer"] = backend.get_array_module(p).array(grad, dtype=p.dtype)
            else:
                buf *= s(group["momentum"])
                buf += s(1 - group["dampening"]) * grad
            grad = grad + s(group["momentum"]) * buf if group["nesterov"] else buf
        p -= s(group["lr"]) * grad
