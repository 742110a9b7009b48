"""SPADE (Park, Liu, Wang & Zhu 2019): semantic image synthesis, a label map in, an image out.

The generator G(z, m) draws an image for the one-hot label map m from noise z; every
normalisation layer of G is an ``nn.SPADE`` that modulates with m (``spade_nets``). The critic
D(m, x) is a PatchGAN that sees the map beside the image. Hinge loss (Lim & Ye 2017;
Miyato et al. 2018), the paper's:

    L_D = E[max(0, 1 - D(m, x))] + E[max(0, 1 + D(m, G(z, m)))]      (every patch score)
    L_G = -E[D(m, G(z, m))] + lambda_fm * FM

    FM = sum over D's hidden layers l of mean |D_l(m, G(z, m)) - D_l(m, x)|     (feature matching)

The paper adds a VGG perceptual loss (omitted: no pretrained VGG here) and uses the feature
matching loss with lambda_fm = 10, spectral norm in both networks, and Adam with TTUR
(G 1e-4, D 4e-4, betas (0, 0.999)).

Data: ``minigen/data/semantic.py``, label | RGB in one array; the label channel comes back
from the loader's [-1, 1] scaling with ``label_channel``.

Settings (``--set``): generator ("spade"; "concat" is the baseline that feeds the map only at
the input, through normalised convolutions), nz (64), ngf (16), ndf (16), hidden (16: the
SPADE convolutions' width; the paper's 128), lambda_fm (10), lambda_ms (0: MSGAN's
mode-seeking term, ``mode_seeking_loss``, a second generator pass per step; measured at 1 it
brings the samples' diversity to the real renderings' level, mostly as speckled backgrounds, and
costs IoU: benchmarks/RESULTS.md),
d_lr_factor (4: D's rate is lr x this), spectral_norm (true: on D's convolutions), encoder
(false; true trains the paper's image encoder beside G, ``spade_nets.StyleEncoder``, so that z
carries a real image's style, and adds lambda_kld (0.05, the paper's) x KL(q(z|x) || N(0, I))
to L_G; sampling still draws z ~ N(0, I). Measured: at 0.05 the code collapses onto the prior and
nothing changes; at 0.001 the samples' colours vary like the real renderings' but the IoU drops
to 0.75 of real: benchmarks/RESULTS.md).
"""
import numpy as np

import minigen as mg
from minigen import backend
from minigen.data.semantic import N_LABELS, colourise, label_channel, one_hot
from minigen.nn import functional as F
from minigen.optim import Adam

from . import spade_metrics
from .base import GenerativeModel, register_model, check_nonnegative, check_positive
from .gan import frozen, int_setting, spectral_norm_critic
from .spade_nets import SPADEGenerator, StyleEncoder, critic, spade_init_

FIXED_NOISE_SEED = 20190318  # the z's of the sample grids (a generator of their own)


def hinge_d_loss(real_scores, fake_scores):
    """mean(max(0, 1 - D(real))) + mean(max(0, 1 + D(fake))) over every patch score."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def hinge_g_loss(fake_scores):
    """-mean D(fake): G raises its images' scores (no margin: the critic's hinge saturates,
    the generator's side does not)."""
    return -fake_scores.mean()


def feature_matching_loss(fake_features, real_features):
    """sum over layers of mean |fake - real| (the real features taken as constants)."""
    total = 0
    for f, r in zip(fake_features, real_features):
        total = total + (f - r.detach()).abs().mean()
    return total


def mode_seeking_loss(G, m, z, fake, nz):
    """MSGAN's term (Mao et al. 2019): 1 / (mean |G(z, m) - G(z2, m)| / mean |z - z2| + 1e-5)
    for a second noise z2 and the same maps: small when two noises give different images."""
    z2 = mg.randn(len(z), nz, device=z.device)
    ratio = (fake - G(z2, m)).abs().mean() / (z - z2).abs().mean().detach()
    return 1 / (ratio + 1e-5)


@register_model
class SPADE(GenerativeModel):
    name = "spade"
    defaults = {"lr": 1e-4, "batch_size": 8, "steps": 2000, "generator": "spade", "nz": 64, "ngf": 16,
                "ndf": 16, "hidden": 16, "lambda_fm": 10.0, "lambda_ms": 0.0, "d_lr_factor": 4.0,
                "spectral_norm": True, "encoder": False, "lambda_kld": 0.05}
    data_range = "symmetric"
    grid = (64, 8)          # rows of: the map, six samples from six noises, the real rendering

    @staticmethod
    def load_data(data, split):
        from minigen.data.semantic import semantic_synthesis
        if data != "embedded":
            raise ValueError(f"--data {data}: spade trains on the embedded semantic-synthesis set (label maps "
                             "of the digits with colour renderings); expected --data embedded")
        return semantic_synthesis(split)

    def build(self):
        c, h, w = self.image_shape
        if c != 4 or h != w:
            raise ValueError(f"spade: images of {c} channels at {h}x{w}; expected a label channel and RGB "
                             "(4 channels), square")
        cfg = self.config
        kind = cfg.get("generator", "spade")
        if kind not in ("spade", "concat"):
            raise ValueError(f"--set generator={kind!r}: expected 'spade' (the paper) or 'concat' (the "
                             "baseline that feeds the map only at the input)")
        self.nz = int_setting(cfg, "nz")
        self.G = spade_init_(SPADEGenerator(self.nz, N_LABELS, h, int_setting(cfg, "ngf"),
                                            int_setting(cfg, "hidden"), kind))
        self.D = spade_init_(critic(N_LABELS, 3, int_setting(cfg, "ndf"), 2))
        spectral_norm_critic(cfg, self.D, default=True)
        self.lambda_ms = check_nonnegative(cfg, "lambda_ms", 0.0, "0: no mode-seeking term")
        self.lambda_fm = check_nonnegative(cfg, "lambda_fm", 10.0, "0: hinge loss alone")
        lr = check_positive(cfg, "lr")
        encoder = cfg.get("encoder", False)
        if not isinstance(encoder, bool):
            raise ValueError(f"--set encoder={encoder!r}: expected true or false")
        self.lambda_kld = check_nonnegative(cfg, "lambda_kld", 0.05)
        self.E = spade_init_(StyleEncoder(self.nz, int_setting(cfg, "ngf"), h)) if encoder else None
        self.networks = {"G": self.G, "D": self.D, **({"E": self.E} if encoder else {})}
        g_params = list(self.G.parameters()) + (list(self.E.parameters()) if encoder else [])
        self.optimizers = {"G": Adam(g_params, lr=lr, betas=(0.0, 0.999)),
                           "D": Adam(self.D.parameters(), lr=lr * check_positive(cfg, "d_lr_factor"),
                                     betas=(0.0, 0.999))}
        self._probe = None

    # --- data -----------------------------------------------------------------------------
    def split_array(self, images):
        """label | RGB batch in [-1, 1] (NumPy) -> (integer maps (N, H, W), RGB (N, 3, H, W))."""
        images = backend.as_numpy(getattr(images, "data", images))
        return label_channel(images[:, 0]), images[:, 1:]

    def split(self, images):
        """label | RGB batch (Tensor) -> (one-hot maps, RGB) Tensors on the model's device."""
        maps, rgb = self.split_array(images)
        return mg.tensor(one_hot(maps), device=self.device), mg.tensor(rgb, device=self.device)

    # --- training -------------------------------------------------------------------------
    def critic_features(self, m, x):
        """D's hidden activations (after each LeakyReLU) and its patch scores for (m, x)."""
        h, features = mg.cat([m, x], axis=1), []
        for layer in self.D:
            h = layer(h)
            if type(layer).__name__ == "LeakyReLU":
                features.append(h)
        return features, h

    def generator_loss(self, m, real):
        """L_G = hinge + lambda_fm FM for one batch (see the module doc), its parts, the fakes."""
        parts = {}
        if self.E is None:
            z = mg.randn(len(real), self.nz, device=self.device)
        else:   # z ~ q(z | x) by reparameterisation, pulled towards N(0, I) by the KL
            mu, logvar = self.E(real)
            z = mu + mg.exp(0.5 * logvar) * mg.randn(len(real), self.nz, device=self.device)
            parts["loss_kl"] = F.kl_normal(mu, logvar, reduction="mean")
        fake = self.G(z, m)
        fake_features, scores = self.critic_features(m, fake)
        adv = hinge_g_loss(scores)
        parts["loss_g_adv"] = adv
        total = adv + (self.lambda_kld * parts["loss_kl"] if "loss_kl" in parts else 0)
        if self.lambda_ms > 0:
            ms = mode_seeking_loss(self.G, m, z, fake, self.nz)
            total = total + self.lambda_ms * ms
            parts["loss_ms"] = ms
        if self.lambda_fm > 0:
            with mg.no_grad():
                real_features, _ = self.critic_features(m, real)
            fm = feature_matching_loss(fake_features, real_features)
            total = total + self.lambda_fm * fm
            parts["loss_fm"] = fm
        return total, fake, parts

    def critic_loss(self, m, real, fake):
        return hinge_d_loss(self.critic_features(m, real)[1], self.critic_features(m, fake.detach())[1])

    def train_step(self, images, labels):
        m, real = self.split(images)
        with frozen(self.D):   # G's step must not fill D's gradients
            loss_g, fake, parts = self.generator_loss(m, real)
            self.optimizers["G"].zero_grad()
            loss_g.backward()
            self.optimizers["G"].step()
        loss_d = self.critic_loss(m, real, fake)
        self.optimizers["D"].zero_grad()
        loss_d.backward()
        self.optimizers["D"].step()
        return {"loss_g": loss_g, **parts, "loss_d": loss_d}

    # --- looking at it --------------------------------------------------------------------
    def set_probe(self, images):
        """Held-out label | RGB images for the sample grids."""
        self._probe = images

    def generate(self, maps, seed, batch_size=100):
        """G(z, m) in [-1, 1] (NumPy) for integer maps (N, H, W), z from ``seed``, G in eval mode."""
        z = np.random.default_rng(seed).standard_normal((len(maps), self.nz)).astype(np.float32)
        was = self.G.training
        self.G.eval()
        out = []
        with mg.no_grad():
            for i in range(0, len(maps), batch_size):
                m = mg.tensor(one_hot(maps[i:i + batch_size]), device=self.device)
                out.append(backend.as_numpy(self.G(mg.tensor(z[i:i + batch_size], device=self.device), m).data))
        self.G.train(was)
        return np.concatenate(out)

    def sample(self, n):
        """Rows of 8: the map (its colours: ``colourise``), six samples from six fixed noises,
        the real rendering; n // 8 rows (at least one) from the held-out probe."""
        maps, real = self.split_array(self._probe)
        rows = max(1, n // 8)
        maps, real = maps[:rows], real[:rows]
        samples = [self.generate(maps, FIXED_NOISE_SEED + k) for k in range(6)]
        grid = np.stack([2 * colourise(maps) - 1, *samples, real], axis=1)   # (rows, 8, 3, H, W)
        return mg.tensor(grid.reshape((-1,) + grid.shape[2:]).astype(np.float32))

    def evaluate(self, images, **unused):
        """Mean IoU, Frechet distance and diversity (``spade_metrics``) on label | RGB images."""
        return spade_metrics.evaluate(self, images)
