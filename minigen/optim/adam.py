import math

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), PyTorch's formula, t = step count:

        g <- g + weight_decay * p
        m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if not lr > 0:
            raise ValueError(f"Adam: lr={lr} must be positive")
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas={tuple(betas)} must each lie in [0, 1)")
        super().__init__(params, dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.get_array_module(p)
        b1, b2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * (grad * grad)
        denom = xp.sqrt(v)
        denom *= 1 / math.sqrt(1 - b2 ** t)
        denom += group["eps"]
        p -= (group["lr"] / (1 - b1 ** t)) * (m / denom)
