"""minigen: generative image models from scratch on NumPy (CPU) and CuPy (GPU).

The engine in one screen:

    import minigen as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()            # x.grad == 2 * x
    mg.gradcheck(lambda x: (x * x).sum(), [mg.randn(3, dtype="float64", requires_grad=True)])
"""
from .tensor import (Tensor, Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                     float16, float32, float64, int32, int64, bool_)
from .creation import tensor, zeros, ones, full, full_like, zeros_like, ones_like, arange
from .random import manual_seed, randn, rand, randint, randperm, randn_like, rand_like, normal
from .autograd import grad, backward
from .ops import (add, sub, mul, div, pow, neg, matmul, exp, log, sqrt, abs, tanh, sigmoid,
                  relu, leaky_relu, softplus, clamp, clip, maximum, minimum, where, sum, mean,
                  var, max, min, argmax, argmin, logsumexp, log_softmax, softmax, reshape,
                  transpose, permute, swapaxes, flatten, squeeze, unsqueeze, broadcast_to, sum_to,
                  getitem, cat, stack, pad, cast, to_device, clone)
from .gradcheck import gradcheck, gradgradcheck, GradcheckError
from .backend import cuda_is_available, device
from . import cuda
from .profiler import profile
from .threads import set_num_threads, get_num_threads
from .serialization import save, load
from . import nn, optim, utils  # noqa: E402  (mg.nn.Linear works after import minigen as mg)

__version__ = "0.1.0"
