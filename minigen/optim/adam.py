"""Adam: momentum plus a per-element step size from the gradient's running scale."""
import math

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), PyTorch's formula; t counts this parameter's steps:

        g <- g + weight_decay * p
        m <- b1 m + (1 - b1) g              (mean of g, "exp_avg")
        v <- b2 v + (1 - b2) g^2            (mean of g^2, "exp_avg_sq")
        p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    m and v start at 0, so early on they underestimate; dividing by 1 - b^t removes that
    bias. The step is computed as lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
    the same value arranged as PyTorch arranges it (so trajectories agree to rounding).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if not lr > 0:
            raise ValueError(f"Adam: lr={lr} must be positive")
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas={tuple(betas)} must each lie in [0, 1)")
        if not eps >= 0 or not weight_decay >= 0:
            raise ValueError(f"Adam: eps={eps} and weight_decay={weight_decay} must be >= 0")
        super().__init__(params, dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay))

    def update(self, p, grad, group, state):
        xp = backend.get_array_module(p)
        s = p.dtype.type  # hyperparameters in p's dtype: a float32 p stays float32
        b1, b2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + s(group["weight_decay"]) * p
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # In-place passes over one scratch array instead of a temporary per operator (allocated
        # as p's shape: a ufunc on 0-d inputs returns a scalar, which ``out=`` cannot take).
        scratch = xp.multiply(grad, s(1 - b1), out=xp.empty_like(p))
        m *= s(b1)
        m += scratch                                      # m = b1 m + (1 - b1) g
        xp.multiply(grad, grad, out=scratch)
        scratch *= s(1 - b2)
        v *= s(b2)
        v += scratch                                      # v = b2 v + (1 - b2) g^2
        denom = xp.sqrt(v, out=scratch)
        denom /= s(math.sqrt(1 - b2 ** t))
        denom += s(group["eps"])                          # sqrt(v / (1 - b2^t)) + eps
        step = xp.divide(m, denom, out=scratch)
        step *= s(group["lr"] / (1 - b1 ** t))
        p -= step
