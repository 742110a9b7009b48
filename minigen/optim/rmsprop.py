"""RMSprop: divide the gradient by a running root-mean-square of its recent values."""
from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012), PyTorch's form:

        g <- g + weight_decay * p
        v <- alpha v + (1 - alpha) g^2                  ("square_avg")
        p <- p - lr * g / (sqrt(v) + eps)
        with momentum mu: b <- mu b + g / (sqrt(v) + eps); p <- p - lr b

    WGAN (Arjovsky et al. 2017) trains with it at lr = 5e-5.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        if not lr > 0:
            raise ValueError(f"RMSprop: lr={lr} must be positive")
        if not 0 <= alpha < 1:
            raise ValueError(f"RMSprop: alpha={alpha} must lie in [0, 1)")
        if not (eps >= 0 and momentum >= 0 and weight_decay >= 0):
            raise ValueError(f"RMSprop: eps={eps}, momentum={momentum} and weight_decay={weight_decay} "
                             "must be >= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                                      weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.get_array_module(p)
        s = p.dtype.type  # hyperparameters in p's dtype: a float32 p stays float32
        if group["weight_decay"]:
            grad = grad + s(group["weight_decay"]) * p
        if "square_avg" not in state:
            state["square_avg"] = xp.zeros_like(p)
        v = state["square_avg"]
        scratch = xp.multiply(grad, grad, out=xp.empty_like(p))  # an array even for a 0-d p
        scratch *= s(1 - group["alpha"])
        v *= s(group["alpha"])
        v += scratch                                      # v = alpha v + (1 - alpha) g^2
        avg = xp.sqrt(v, out=scratch)
        avg += s(group["eps"])
        step = xp.divide(grad, avg, out=scratch)          # g / (sqrt(v) + eps)
        if group["momentum"]:
            buf = state.setdefault("momentum_buffer", xp.zeros_like(p))
            buf *= s(group["momentum"])
            buf += step
            step = buf
        p -= s(group["lr"]) * step
