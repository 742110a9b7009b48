"""Layers (``minigen.nn``) and their functional forms (``minigen.nn.functional``).

PyTorch's names, signatures, weight layouts and default initialisation, so that what a
student learns here transfers."""
from .module import Module, Parameter
from .containers import Sequential
from .linear import Linear, Embedding
from .conv import Conv2d, ConvTranspose2d
from .norm import BatchNorm1d, BatchNorm2d, InstanceNorm2d, LayerNorm
from .activation import ReLU, LeakyReLU, Tanh, Sigmoid
from .misc import ReflectionPad2d, Dropout, Flatten, Unflatten
from . import functional, init, utils
