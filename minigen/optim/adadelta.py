"""Adadelta: a step size from running averages of both the gradient and the steps taken."""
from .. import backend
from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), PyTorch's formula and defaults (lr=1.0, rho=0.9, eps=1e-6):

        g     <- g + weight_decay * p
        v     <- rho v + (1 - rho) g^2                       ("square_avg")
        delta  = sqrt(u + eps) / sqrt(v + eps) * g
        u     <- rho u + (1 - rho) delta^2                   ("acc_delta")
        p     <- p - lr * delta

    The ratio of the two RMS values gives the step the units of p, so no lr needs tuning.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        if not lr >= 0 or not 0 <= rho <= 1 or not eps >= 0 or not weight_decay >= 0:
            raise ValueError(f"Adadelta: need lr >= 0, 0 <= rho <= 1, eps >= 0, weight_decay >= 0; got "
                             f"lr={lr}, rho={rho}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.get_array_module(p)
        s = p.dtype.type
        rho, eps = s(group["rho"]), s(group["eps"])
        if group["weight_decay"]:
            grad = grad + s(group["weight_decay"]) * p
        if "step" not in state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            state["acc_delta"] = xp.zeros_like(p)
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * grad * grad
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * grad
        u *= rho
        u += (1 - rho) * delta * delta
        p -= s(group["lr"]) * delta
