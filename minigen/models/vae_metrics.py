"""How good is a VAE? Bounds on the test log-likelihood, in nats per image.

For a binary image x (784 pixels) and K samples z_i ~ q(z|x), the importance weights are

    log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x)

* ELBO:  E_q[log w] = E_q[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)
  (reported as the negative ELBO, recon + KL, with the KL in closed form);
* IWAE (Burda, Grosse & Salakhutdinov 2016):

    L_K = E[ log (1/K) sum_i w_i ]      L_1 = ELBO <= L_K <= L_{K+1} -> log p(x)

  a tighter bound, the standard "test NLL" of VAE papers at K = 5000 (here 1000 by default).

The w_i themselves under- or overflow float32 (log w is about -100 for a digit), so the
mean is taken in the log domain: log (1/K) sum_i exp(a_i) = m + log (1/K) sum_i exp(a_i - m)
with m = max_i a_i (log-sum-exp), where every exp lies in (0, 1] and the largest is 1.

Test images come in grey levels; they are binarised once, x_b ~ Bernoulli(x), with a fixed
seed (static binarisation), so every run is scored on the same bits.
"""
import math

import numpy as np

import minigen as mg
from minigen import backend
from minigen.nn import functional as F

TEST_BINARIZATION_SEED = 1234
EVAL_NOISE_SEED = 4321
LOG_2PI = math.log(2 * math.pi)


def static_binarize(images, seed=TEST_BINARIZATION_SEED):
    """x_b = [u < x], u ~ U[0, 1) from ``np.random.default_rng(seed)``; float32, same shape."""
    x = backend.as_numpy(getattr(images, "data", images))
    return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)


def log_normal(z, mu, logvar):
    """log N(z; mu, diag exp(logvar)) summed over the last axis:
    -1/2 sum_j (log 2 pi + logvar_j + (z_j - mu_j)^2 / exp(logvar_j)). NumPy/CuPy arrays."""
    xp = backend.get_array_module(z)
    return -0.5 * (LOG_2PI + logvar + (z - mu) ** 2 * xp.exp(-logvar)).sum(axis=-1)


def log_mean_exp(a, axis):
    """log (1/K) sum_i exp(a_i) along ``axis``, stably (see the module doc)."""
    xp = backend.get_array_module(a)
    m = a.max(axis=axis, keepdims=True)
    out = m + xp.log(xp.exp(a - m).mean(axis=axis, keepdims=True))
    return out.squeeze(axis)


def log_weights(model, x, k, rng, batch=2000):
    """log w (N, K) and log p(x|z) (N, K) for binary images x (N, C, H, W) on the device.

    z_i = mu + sigma * eps_i with eps from ``rng`` (a NumPy generator). The decoder runs in
    eval mode on ``batch`` (sample, image) pairs at a time: K * N of them in all, e.g.
    1000 * 500 = 500,000 decodes for the reported bound, so this is where the time goes."""
    n = x.shape[0]
    xp = backend.get_array_module(x.data)
    with mg.no_grad():
        was_training = model.encoder.training
        model.eval()
        mu, logvar = (t.data.astype(np.float64) for t in model.encode(x))
        sigma = xp.exp(0.5 * logvar)
        log_w = np.empty((n, k))
        log_px_z = np.empty((n, k))
        per_pass = max(1, batch // n)  # samples of every image decoded in one pass
        for start in range(0, k, per_pass):
            s = min(per_pass, k - start)
            eps = backend.to_device(rng.standard_normal((s, n, mu.shape[1])), model.device)
            z = mu + sigma * eps                                            # (s, N, L)
            logits = model.decode(mg.Tensor(z.reshape(s * n, -1).astype(np.float32)))
            target = xp.broadcast_to(x.data[None], (s,) + x.shape).reshape(logits.shape)
            bce = F.binary_cross_entropy_with_logits(logits, mg.Tensor(target), reduction="none")
            lpxz = -bce.data.astype(np.float64).reshape(s, n, -1).sum(axis=2)   # (s, N)
            lw = lpxz + log_normal(z, 0.0, xp.zeros_like(z)) - log_normal(z, mu, logvar)
            log_px_z[:, start:start + s] = backend.as_numpy(lpxz).T
            log_w[:, start:start + s] = backend.as_numpy(lw).T
        model.train(was_training)
    return log_w, log_px_z


def iwae_bound(log_w):
    """log p(x) >= log (1/K) sum_i w_i, one value per image: (N, K) -> (N,)."""
    return log_mean_exp(log_w, axis=1)


def evaluate_vae(model, images, k=1000, seed=EVAL_NOISE_SEED):
    """Test metrics in nats per image for ``images`` in [0, 1] (N, C, H, W):

    test_nelbo = test_recon + test_kl: -ELBO, recon = E_q[-log p(x|z)] averaged over the K
        samples, KL in closed form;
    test_nll_iwae: -L_K, the importance-weighted upper bound on -log p(x) (<= test_nelbo).

    A model trained with binarize=false is scored on the grey levels instead (then these are
    cross-entropies, not log-likelihoods of binary images)."""
    x = static_binarize(images) if model.binarize else backend.as_numpy(getattr(images, "data", images))
    x = mg.tensor(x, device=model.device)
    with mg.no_grad():
        was_training = model.encoder.training
        model.eval()
        mu, logvar = model.encode(x)
        kl = F.kl_normal(mu, logvar, reduction="none").numpy().astype(np.float64)
        model.train(was_training)
    log_w, log_px_z = log_weights(model, x, k, np.random.default_rng(seed))
    recon = -log_px_z.mean(axis=1)
    return {"test_nelbo": float((recon + kl).mean()), "test_recon": float(recon.mean()),
            "test_kl": float(kl.mean()), "test_nll_iwae": float(-iwae_bound(log_w).mean()),
            "iwae_k": float(k)}
