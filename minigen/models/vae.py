"""A convolutional (beta-)VAE with a Bernoulli decoder (Kingma & Welling 2014).

    encoder q(z|x) = N(mu(x), diag sigma^2(x)):
        x (N, 1, 28, 28) -> conv 4x4 s2 (32) -> leaky-ReLU -> conv 4x4 s2 (64) -> BN ->
        leaky-ReLU -> (N, 64*7*7) -> linear -> (N, 2 * latent) = [mu, log sigma^2]
    decoder p(x|z) = prod_pixels Bernoulli(sigmoid(logits(z))):
        z (N, latent) -> linear -> ReLU -> (N, 64, 7, 7) -> conv-transpose 4x4 s2 (32) ->
        BN -> ReLU -> conv-transpose 4x4 s2 (1) -> logits (N, 1, 28, 28)
    prior p(z) = N(0, I)

Loss per image, averaged over the batch (the negative ELBO when beta = 1):

    -ELBO(x) = E_q[-log p(x|z)] + beta * KL(q(z|x) || p(z))
             = sum_pixels BCE_with_logits(logits(z), x) + beta * 1/2 sum_j (mu^2 + sigma^2 - 1 - log sigma^2)

with one sample z = mu + sigma * eps, eps ~ N(0, I), sigma = exp(log sigma^2 / 2): the
reparameterisation that lets the gradient flow through the sample into mu and sigma.

Training images are dynamically binarised: each batch is a fresh draw x_b ~ Bernoulli(x)
from minigen's seeded generator (so a resumed run draws the same bits). ``--set
binarize=false`` trains on the grey levels themselves as targets (the BCE is then not a
log-likelihood of the data, so its nats do not compare with published numbers).

Settings: ``--set latent=2`` (default 16), ``--set beta=4`` (default 1),
``--set binarize=false``, ``--set iwae_k=1000`` (samples of the importance-weighted bound
that ``minigen eval`` reports; see ``vae_metrics.py``).
"""
from statistics import NormalDist

import numpy as np

import minigen as mg
from minigen import backend
from minigen import nn
from minigen import random as mg_random
from minigen.nn import functional as F
from minigen.optim import Adam

from . import vae_metrics
from .base import GenerativeModel, register_model, check_positive

FIXED_NOISE_SEED = 20140101  # the prior samples a run shows; its own generator, see build()


def reparameterize(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2), all (N, latent).

    The encoder outputs log sigma^2 (any real number, so no positivity constraint), and the
    standard deviation is its square root: exp(logvar / 2). Using exp(logvar) here, as
    DeZero's VAE example does, samples with variance sigma^4 instead of sigma^2."""
    return mu + mg.exp(0.5 * logvar) * eps


def negative_elbo_terms(logits, x, mu, logvar):
    """Per-image reconstruction and KL terms, each (N,):

        recon = -log p(x|z) = sum_pixels softplus(logits) - x * logits
        kl    = KL(N(mu, sigma^2) || N(0, I)), closed form (``F.kl_normal``)
    """
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    recon = recon.sum(axis=tuple(range(1, recon.ndim)))
    return recon, F.kl_normal(mu, logvar, reduction="none")


@register_model
class VAE(GenerativeModel):
    name = "vae"
    defaults = {"lr": 1e-3, "batch_size": 64, "steps": 5000, "latent": 16, "beta": 1.0,
                "binarize": True, "iwae_k": 1000}
    data_range = "unit"

    def build(self):
        c, h, w = self.image_shape
        if (h, w) != (28, 28):
            raise ValueError(f"vae: images are {h}x{w}; this VAE's layers are sized for 28x28 digits")
        for key in ("latent", "iwae_k"):
            if not isinstance(self.config.get(key), (int, np.integer)) or isinstance(self.config[key], bool):
                raise ValueError(f"--set {key}={self.config.get(key)!r}: expected a positive integer")
        self.latent = check_positive(self.config, "latent", int)
        self.beta = self.config.get("beta", 1.0)
        if isinstance(self.beta, bool) or not isinstance(self.beta, (int, float)) or not self.beta >= 0:
            raise ValueError(f"--set beta={self.beta!r}: expected a number >= 0")
        self.beta = float(self.beta)
        self.binarize = self.config.get("binarize", True)
        if not isinstance(self.binarize, bool):
            raise ValueError(f"--set binarize={self.binarize!r}: expected true or false")
        self.iwae_k = check_positive(self.config, "iwae_k", int)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, 32, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 2 * self.latent))
        self.decoder = nn.Sequential(
            nn.Linear(self.latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, c, 4, 2, 1))
        self.networks = {"encoder": self.encoder, "decoder": self.decoder}
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.optimizers = {"adam": Adam(params, lr=check_positive(self.config, "lr"))}
        # Drawn from a generator of its own, so the training stream of minigen's generator
        # (binarisation bits, eps) is the same whether or not the model was rebuilt to resume.
        self.fixed_noise = np.random.default_rng(FIXED_NOISE_SEED).standard_normal(
            (64, self.latent)).astype(np.float32)

    # --- the model ----------------------------------------------------------------------
    def encode(self, x):
        """x (N, C, 28, 28) -> mu, logvar, each (N, latent)."""
        h = self.encoder(x)
        return h[:, :self.latent], h[:, self.latent:]

    def decode(self, z):
        """z (N, latent) -> Bernoulli logits (N, C, 28, 28)."""
        return self.decoder(z)

    def loss_terms(self, x, eps):
        """recon (N,), kl (N,) for images x and noise eps (N, latent) (see the module doc)."""
        mu, logvar = self.encode(x)
        logits = self.decode(reparameterize(mu, logvar, eps))
        return negative_elbo_terms(logits, x, mu, logvar)

    def train_step(self, images, labels):
        x = images
        if self.binarize:
            # minigen.data.binarize's draw, x_b = [u < x], made on the batch's device
            u = mg_random.generator(self.device).random(images.shape, dtype=np.float32)
            x = mg.Tensor((u < images.data).astype(np.float32))
        eps = mg.randn(x.shape[0], self.latent, device=self.device)
        recon, kl = self.loss_terms(x, eps)
        loss = (recon + self.beta * kl).mean()
        opt = self.optimizers["adam"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss, "recon": recon.mean(), "kl": kl.mean()}

    # --- looking at it ------------------------------------------------------------------
    def _decode_images(self, z):
        """Mean images sigmoid(logits) in [0, 1], with BN in eval mode, no graph."""
        with mg.no_grad():
            was_training = self.decoder.training
            self.eval()
            out = mg.sigmoid(self.decode(mg.tensor(z, device=self.device)))
            self.train(was_training)
        return out

    def train(self, mode=True):
        for net in self.networks.values():
            net.train(mode)

    def sample(self, n):
        """n images decoded from z ~ N(0, I): the fixed noise batch while n <= 64."""
        z = self.fixed_noise[:n]
        if n > len(z):
            extra = np.random.default_rng(FIXED_NOISE_SEED + n).standard_normal((n - len(z), self.latent))
            z = np.concatenate([z, extra.astype(np.float32)])
        return self._decode_images(z)

    def posterior_mean(self, images):
        """mu(x): the encoder's mean code of each image, (N, latent), computed in eval mode."""
        with mg.no_grad():
            was_training = self.encoder.training
            self.eval()
            x = backend.as_numpy(getattr(images, "data", images)).astype(np.float32)
            mu, _ = self.encode(mg.tensor(x, device=self.device))
            self.train(was_training)
        return backend.as_numpy(mu.data)

    def reconstruct(self, images):
        """images (N, C, 28, 28) in [0, 1] -> decoded posterior means sigmoid(logits(mu(x)))."""
        return self._decode_images(self.posterior_mean(images))

    def interpolate(self, a, b, steps=8):
        """The images decoded along the line z_t = (1 - t) mu(a) + t mu(b), t = 0..1 in
        ``steps`` points; a, b one image each (C, 28, 28). Returns (steps, C, 28, 28)."""
        a, b = (backend.as_numpy(getattr(v, "data", v)) for v in (a, b))
        mu = self.posterior_mean(np.stack([a.reshape(self.image_shape), b.reshape(self.image_shape)]))
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        return self._decode_images((1 - t) * mu[0] + t * mu[1])

    def manifold(self, n=20):
        """With latent = 2: an n x n grid of decoded images over the latent plane (N, C, 28, 28),
        row-major, z_1 along a row and z_2 decreasing down the columns. The coordinates are the
        Gaussian quantiles of evenly spaced probabilities (Kingma & Welling's figure 4), so each
        cell covers an equal share of the prior's mass."""
        if self.latent != 2:
            raise ValueError(f"the manifold view needs a 2-D latent space; this run has latent="
                             f"{self.latent} (train one with --set latent=2)")
        q = [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, n)]
        z = np.array([[z1, z2] for z2 in reversed(q) for z1 in q], dtype=np.float32)
        return self._decode_images(z)

    # --- evaluation ---------------------------------------------------------------------
    def evaluate(self, images, k=None):
        """Test negative ELBO (recon + KL) and the importance-weighted bound, nats per image,
        on ``images`` in [0, 1] statically binarised with a fixed seed (``vae_metrics``)."""
        metrics = vae_metrics.evaluate_vae(self, images, k=k or self.iwae_k)
        metrics.update(self.prior_sample_metrics())
        return metrics

    def prior_sample_metrics(self):
        """The digit classifier's scores of 1000 prior samples ``self.sample(1000)``
        (``minigen.metrics.sample_quality``: FLD against the embedded MNIST test split with
        its real-vs-real floor and noise ceiling, Inception score, class coverage, confident
        fraction). {} when the shipped classifier is absent or the images are not 1x28x28."""
        from minigen.data import load_dataset, to_unit
        from minigen.metrics import classifier_path, sample_quality
        if self.image_shape != (1, 28, 28) or not classifier_path("mnist").is_file():
            return {}
        fake = backend.as_numpy(self.sample(1000).data)
        return sample_quality(fake, to_unit(load_dataset("embedded", "test").images),
                              to_unit(load_dataset("embedded", "train").images))
