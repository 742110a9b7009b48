"""AdamW: Adam with the weight decay taken out of the gradient (Loshchilov & Hutter 2019)."""
from .adam import Adam


class AdamW(Adam):
    """PyTorch's AdamW: first p <- p - lr * weight_decay * p (decoupled decay: every weight
    shrinks by the same fraction, whatever its gradient's scale), then Adam's step on the plain
    gradient. In Adam, decay added to g is divided by sqrt(v) like the rest of the gradient, so
    weights with large gradients are barely decayed. Default weight_decay = 0.01."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)

    def update(self, p, grad, group, state):
        s = p.dtype.type
        if group["weight_decay"]:
            p *= s(1 - group["lr"] * group["weight_decay"])
        super().update(p, grad, {**group, "weight_decay": 0.0}, state)
