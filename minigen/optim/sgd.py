from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (PyTorch's form):

        g <- g + weight_decay * p
        b <- momentum * b + (1 - dampening) * g      (b = g on the first step)
        p <- p - lr * (g + momentum * b if nesterov else b)
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
        if not lr > 0:
            raise ValueError(f"SGD: lr={lr} must be positive")
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: momentum={momentum} and weight_decay={weight_decay} must be >= 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      dampening=dampening, nesterov=nesterov))

    def update(self, p, grad, group, state):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        if group["momentum"]:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= group["momentum"]
                buf += (1 - group["dampening"]) * grad
            buf = state["momentum_buffer"]
            grad = grad + group["momentum"] * buf if group["nesterov"] else buf
        p -= group["lr"] * grad
