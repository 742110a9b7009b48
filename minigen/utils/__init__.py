"""PyTorch's utility names: ``minigen.utils.data`` (``torch.utils.data``) and the image helpers
``save_image`` / ``make_grid`` (``torchvision.utils``)."""
from . import data
from .images import make_grid, save_image

__all__ = ["data", "make_grid", "save_image"]
