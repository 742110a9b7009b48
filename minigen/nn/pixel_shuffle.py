"""PixelShuffle and PixelUnshuffle layers (formulas in ``minigen.nn.functional.pixel_shuffle``)."""
from . import functional as F
from .module import Module


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r): each pixel's r^2 channels become an r x r block."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W): each r x r block becomes r^2 channels."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
