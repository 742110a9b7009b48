"""Optimizers (``minigen.optim``): PyTorch's names, defaults and update formulas.

Each ``step()`` updates the parameters' arrays in place, under ``no_grad``, skipping
parameters without a gradient; ``zero_grad()`` sets the gradients to None.
"""
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .adadelta import Adadelta
from .rmsprop import RMSprop
from ..tensor import Tensor, no_grad


def clip_weights_(params, c):
    """Clamp every parameter to [-c, c] in place: WGAN's crude way of keeping the critic
    Lipschitz (Arjovsky et al. 2017 use c = 0.01). ``params`` is an iterable of Tensors,
    e.g. ``critic.parameters()``."""
    if not c > 0:
        raise ValueError(f"clip_weights_: c={c} must be positive")
    params = [params] if isinstance(params, Tensor) else params
    with no_grad():
        for p in params:
            p.clamp_(-c, c)
