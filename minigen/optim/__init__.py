"""Optimizers (``minigen.optim``), PyTorch's names, defaults and update formulas."""
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .rmsprop import RMSprop
from ..tensor import no_grad


def clip_weights_(params, c):
    """Clamp every parameter to [-c, c] in place: WGAN's crude Lipschitz constraint."""
    if not c > 0:
        raise ValueError(f"clip_weights_: c={c} must be positive")
    with no_grad():
        for p in params:
            p.clamp_(-c, c)
