"""The functional layer API, PyTorch's names and signatures (``import minigen.nn.functional as F``).

Each function is differentiable to any order: the convolutions' backwards are each other
(``conv.py``), batch norm's backward has a differentiable form for ``create_graph=True``
(``norm.py``), leaky-ReLU's gradient is a Function with its own backward.
"""
from .conv import conv2d, conv_transpose2d, conv_output_size, conv_transpose_output_size
from .norm import batch_norm, instance_norm, layer_norm
from .activation import relu, leaky_relu, tanh, sigmoid, softplus, dropout
from .linear import linear
from .loss import (binary_cross_entropy_with_logits, binary_cross_entropy, mse_loss, l1_loss,
                   cross_entropy, nll_loss, kl_normal)
from .pool import max_pool2d, avg_pool2d
from .upsample import interpolate
from .augment import diff_augment, translate
from ...ops import pad, softmax, log_softmax
from .pixel_shuffle import pixel_shuffle, pixel_unshuffle
