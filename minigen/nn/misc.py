"""Shape and regularisation layers: Identity, ReflectionPad2d, Dropout, Flatten, Unflatten."""
import numpy as np

from . import functional as F
from .module import Module


class Identity(Module):
    """y = x (a placeholder: swap a layer out without changing the model's structure);
    any constructor arguments are ignored, as in PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class ReflectionPad2d(Module):
    """Pad H and W by mirroring the border (CycleGAN's generators use it instead of zero
    padding, which would show as dark edges). ``padding`` is an int or
    (left, right, top, bottom); (N, C, H, W) -> (N, C, H + top + bottom, W + left + right).
    Each width must be smaller than the axis it pads."""

    def __init__(self, padding):
        super().__init__()
        widths = (padding,) * 4 if isinstance(padding, (int, np.integer)) else tuple(padding)
        if len(widths) != 4 or not all(isinstance(p, (int, np.integer)) and p >= 0 for p in widths):
            raise ValueError(f"ReflectionPad2d: padding={padding!r} must be a non-negative int or "
                             "(left, right, top, bottom)")
        self.padding = tuple(int(p) for p in widths)

    def forward(self, x):
        return F.pad(x, self.padding, mode="reflect")

    def extra_repr(self):
        return str(self.padding)


class Dropout(Module):
    """Zero each element with probability p while training, scaling the survivors by
    1/(1-p); the identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p={p} must be a probability in [0, 1]")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """Merge axes start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) with the defaults."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (e.g. (N, 3136) -> (N, 64, 7, 7))."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        size = tuple(unflattened_size)
        if not size or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in size):
            raise ValueError(f"Unflatten: unflattened_size={unflattened_size!r} must be positive ints")
        self.dim, self.unflattened_size = dim, tuple(int(n) for n in size)

    def forward(self, x):
        d = self.dim % x.ndim
        if x.shape[d] != int(np.prod(self.unflattened_size)):
            raise ValueError(f"Unflatten: axis {self.dim} of input shape {x.shape} has {x.shape[d]} "
                             f"elements, but unflattened_size={self.unflattened_size} needs "
                             f"{int(np.prod(self.unflattened_size))}")
        return x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
