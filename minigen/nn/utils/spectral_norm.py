"""Spectral normalisation (Miyato et al. 2018): a layer whose weight is divided by its
largest singular value, so the layer is 1-Lipschitz (as a linear map of its input).

    W_SN = W / sigma(W),    sigma(W) = max_{||v|| = 1} ||W v||   (W as a matrix: (out, rest))

sigma is estimated by power iteration with vectors u, v kept between calls, one iteration
per training forward (W changes little per step, so u and v stay close to the top singular
pair):

    v <- W^T u / ||W^T u||,    u <- W v / ||W v||,    sigma = u^T W v

u and v are constants in the graph (PyTorch's choice too): the gradient flows through
sigma = u^T W v as d sigma / dW = u v^T, which is the gradient of the true sigma when u, v are
the exact singular vectors. A critic made of such layers and 1-Lipschitz activations (leaky
ReLU) is Lipschitz with constant at most 1, without WGAN's clipping or a gradient penalty.

``spectral_norm(module)`` keeps PyTorch's layout: the trained parameter becomes
``weight_orig``, the buffers ``weight_u`` and ``weight_v`` hold the power-iteration vectors,
and ``module.weight`` is recomputed before each forward (a forward pre-hook). So a state dict
moves between minigen and PyTorch unchanged. In eval mode no iteration is run.
"""
import numpy as np

from ... import backend
from ...random import generator
from ...tensor import Tensor, no_grad
from ..module import Parameter


def _normalize(a, eps):
    xp = backend.get_array_module(a)
    return a / max(float(xp.linalg.norm(a)), eps)


class SpectralNorm:
    """The forward pre-hook: recompute ``module.<name>`` as weight_orig / sigma."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def weight_matrix(self, w):
        """W with axis ``dim`` first, flattened to (W.shape[dim], rest)."""
        if self.dim != 0:
            axes = (self.dim,) + tuple(a for a in range(w.ndim) if a != self.dim)
            w = w.transpose(*axes)
        return w.reshape(w.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        w = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        if do_power_iteration:
            with no_grad():
                mat = self.weight_matrix(w.detach()).data
                for _ in range(self.n_power_iterations):
                    v.data[...] = _normalize(mat.T @ u.data, self.eps)
                    u.data[...] = _normalize(mat @ v.data, self.eps)
        u_t, v_t = Tensor(u.data.copy()), Tensor(v.data.copy())  # constants of this graph
        sigma = (u_t * (self.weight_matrix(w) @ v_t)).sum()
        return w / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectrally normalise ``module.<name>`` in place and return the module (PyTorch's
    ``torch.nn.utils.spectral_norm``). ``dim`` is the output axis: 0, but 1 for a
    ConvTranspose2d, whose weight is (C_in, C_out, kH, kW)."""
    if not isinstance(n_power_iterations, int) or n_power_iterations < 1:
        raise ValueError(f"spectral_norm: n_power_iterations={n_power_iterations!r} must be a positive integer")
    if any(isinstance(h, SpectralNorm) and h.name == name for h in module._forward_pre_hooks.values()):
        raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is already spectrally normalised")
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    mat = hook.weight_matrix(weight.detach()).data
    rng = generator("cpu")
    xp = backend.get_array_module(mat)
    u = _normalize(xp.asarray(rng.standard_normal(mat.shape[0]).astype(mat.dtype)), eps)
    v = _normalize(xp.asarray(rng.standard_normal(mat.shape[1]).astype(mat.dtype)), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    object.__setattr__(module, name, weight.detach())
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo ``spectral_norm``: ``module.<name>`` becomes a Parameter holding W / sigma."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            del module._forward_pre_hooks[key]
            for suffix in ("_orig", "_u", "_v"):
                delattr(module, name + suffix)
            object.__getattribute__(module, "__dict__").pop(name, None)
            module.register_parameter(name, Parameter(weight.data))
            return module
    raise ValueError(f"spectral_norm of {name!r} not found in {type(module).__name__}")
