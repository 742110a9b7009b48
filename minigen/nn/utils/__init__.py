"""Utilities that change how a layer computes its weight (PyTorch's ``torch.nn.utils``)."""
from .spectral_norm import remove_spectral_norm, spectral_norm

__all__ = ["remove_spectral_norm", "spectral_norm"]
