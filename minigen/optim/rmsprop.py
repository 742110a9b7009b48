from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012), PyTorch's form:

        g <- g + weight_decay * p
        v <- alpha v + (1 - alpha) g^2
        p <- p - lr * g / (sqrt(v) + eps)        (with momentum: b <- mu b + g / (sqrt(v) + eps); p <- p - lr b)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        if not lr > 0:
            raise ValueError(f"RMSprop: lr={lr} must be positive")
        if not 0 <= alpha < 1:
            raise ValueError(f"RMSprop: alpha={alpha} must lie in [0, 1)")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.get_array_module(p)
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(p)
        v = state["square_avg"]
        v *= group["alpha"]
        v += (1 - group["alpha"]) * (grad * grad)
        avg = xp.sqrt(v)
        avg += group["eps"]
        if group["momentum"]:
            buf = state.setdefault("momentum_buffer", xp.zeros_like(p))
            buf *= group["momentum"]
            buf += grad / avg
            p -= group["lr"] * buf
        else:
            p -= group["lr"] * (grad / avg)
