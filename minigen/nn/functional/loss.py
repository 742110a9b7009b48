"""Losses, each with ``reduction="mean" | "sum" | "none"`` as in PyTorch."""
import numpy as np

from ... import backend
from ...ops import elementwise
from ...ops.reduction import log_softmax
from ...tensor import Tensor, as_tensor


def _reduce(loss, reduction_, op):
    if reduction_ == "mean":
        return loss.mean()
    if reduction_ == "sum":
        return loss.sum()
    if reduction_ == "none":
        return loss
    raise ValueError(f"{op}: reduction={reduction_!r} must be 'mean', 'sum' or 'none'")


def _same_shape(op, x, t):
    if x.shape != t.shape:
        raise ValueError(f"{op}: input shape {x.shape} and target shape {t.shape} must be equal")


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """-[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] = softplus(x) - t * x.

    The right-hand form is the log-sum-exp form: softplus(x) = max(x, 0) + log(1 + e^-|x|)
    never overflows, so logits of +-1000 give exact losses and gradients sigmoid(x) - t,
    where log(sigmoid(x)) would give log(0) = -inf."""
    x = as_tensor(input)
    t = as_tensor(target, like=x)
    _same_shape("binary_cross_entropy_with_logits", x, t)
    return _reduce(elementwise.softplus(x) - t * x, reduction, "binary_cross_entropy_with_logits")


def binary_cross_entropy(input, target, reduction="mean"):
    """-[t log p + (1 - t) log(1 - p)] for probabilities p; each log is clamped at -100 as
    in PyTorch, so p = 0 or 1 gives a large finite loss instead of inf."""
    p = as_tensor(input)
    t = as_tensor(target, like=p)
    _same_shape("binary_cross_entropy", p, t)
    log_p = elementwise.clamp(elementwise.log(p), min=-100)
    log_1mp = elementwise.clamp(elementwise.log(1 - p), min=-100)
    return _reduce(-(t * log_p + (1 - t) * log_1mp), reduction, "binary_cross_entropy")


def mse_loss(input, target, reduction="mean"):
    """(x - t)^2."""
    x = as_tensor(input)
    t = as_tensor(target, like=x)
    _same_shape("mse_loss", x, t)
    d = x - t
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input, target, reduction="mean"):
    """|x - t|."""
    x = as_tensor(input)
    t = as_tensor(target, like=x)
    _same_shape("l1_loss", x, t)
    return _reduce(elementwise.abs(x - t), reduction, "l1_loss")


def cross_entropy(input, target, reduction="mean"):
    """-log softmax(x)[target] for logits x (N, K) and integer class targets (N,)."""
    x = as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if x.ndim != 2 or t.shape != (x.shape[0],):
        raise ValueError(f"cross_entropy: expected logits (N, K) and targets (N,), got {x.shape} and {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"cross_entropy: targets must be integer class indices, got dtype {t.dtype}")
    if t.size and (int(t.min()) < 0 or int(t.max()) >= x.shape[1]):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f"cross_entropy: target {bad} is not a class index; expected 0..{x.shape[1] - 1} "
                         f"for logits with K = {x.shape[1]} classes")
    log_p = log_softmax(x, axis=1)
    xp = backend.get_array_module(x.data)
    picked = log_p[xp.arange(x.shape[0]), xp.asarray(t)]
    return _reduce(-picked, reduction, "cross_entropy")


def nll_loss(input, target, reduction="mean"):
    """-input[n, target[n]] for log-probabilities input (N, K) and integer targets (N,)
    (PyTorch's ``F.nll_loss``: it expects log_softmax's output, so that
    ``nll_loss(log_softmax(x, dim=1), t) == cross_entropy(x, t)``)."""
    x = as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if x.ndim != 2 or t.shape != (x.shape[0],):
        raise ValueError(f"nll_loss: expected log-probabilities (N, K) and targets (N,), got {x.shape} and {t.shape}")
    if not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"nll_loss: targets must be integer class indices, got dtype {t.dtype}")
    if t.size and (int(t.min()) < 0 or int(t.max()) >= x.shape[1]):
        raise ValueError(f"nll_loss: targets must lie in 0..{x.shape[1] - 1}")
    xp = backend.get_array_module(x.data)
    return _reduce(-x[xp.arange(x.shape[0]), xp.asarray(t)], reduction, "nll_loss")


def kl_normal(mu, logvar, reduction="mean"):
    """KL( N(mu, exp(logvar)) || N(0, I) ) = 1/2 sum_j (mu_j^2 + e^{logvar_j} - 1 - logvar_j),
    summed over the latent axes (all but axis 0), one value per sample, then reduced."""
    mu, logvar = as_tensor(mu), as_tensor(logvar)
    _same_shape("kl_normal", mu, logvar)
    per_dim = 0.5 * (mu * mu + elementwise.exp(logvar) - 1 - logvar)
    per_sample = per_dim.sum(axis=tuple(range(1, mu.ndim))) if mu.ndim > 1 else per_dim
    return _reduce(per_sample, reduction, "kl_normal")
