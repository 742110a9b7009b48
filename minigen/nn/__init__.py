"""Layers (``minigen.nn``) and their functional forms (``minigen.nn.functional``).

PyTorch's names, signatures, weight layouts and default initialisation, so that what a
student learns here transfers."""
from .module import Module, Parameter
from .containers import Sequential, ModuleList, ModuleDict
from .linear import Linear, Embedding
from .conv import Conv2d, ConvTranspose2d
from .norm import BatchNorm1d, BatchNorm2d, InstanceNorm2d, LayerNorm
from .activation import ReLU, LeakyReLU, Tanh, Sigmoid
from .misc import Identity, ReflectionPad2d, Dropout, Flatten, Unflatten
from .loss import BCELoss, BCEWithLogitsLoss, MSELoss, L1Loss, CrossEntropyLoss, NLLLoss
from .pool import MaxPool2d, AvgPool2d, Upsample
from . import functional, init, utils
from .pixel_shuffle import PixelShuffle, PixelUnshuffle
from .spade import SPADE
