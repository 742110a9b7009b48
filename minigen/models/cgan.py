"""A class-conditional DCGAN (Mirza & Osindero 2014): the label y enters both players.

    G(z, y): [z, onehot(y)] (N, nz + K, 1, 1) -> the DCGAN generator
    D(x, y): [x, onehot(y) broadcast to H x W] (N, C + K, H, W) -> the DCGAN discriminator

so D judges whether x is a real image *of class y*, and G must make the digit it is asked
for. ``--set critic=projection`` (the minigen recipe's default) lets the label act at D's end
instead, the projection discriminator of Miyato & Koyama (2018):

    D(x, y) = psi(phi(x)) + < embed(y), phi(x) >

with phi(x) D's last feature map (N, 2d, 7, 7), psi D's final layer and embed(y) a learned
(2d, 7, 7) map per class. It is the form the optimal critic's logit takes when the classes'
densities are log-linear in phi, and it asks far less of D than discovering, from ten
constant input planes, that the label matters. Losses and schedule are DCGAN's (``dcgan.py``), with y the batch's labels for the real
images and, for the fakes, the same labels (so both halves of D's batch share one class mix).

``minigen sample RUN --labels 0..9`` draws one row per requested digit.
"""
import numpy as np

import minigen as mg
from minigen import backend, nn

from .base import register_model
from .conditioning import ProjectionCritic, one_hot  # noqa: F401  (one_hot: cgan's public helper)
from . import gan_nets
from .dcgan import DCGAN
from .gan import FIXED_NOISE_SEED, int_setting

CRITICS = ("concat", "projection")


@register_model
class ConditionalDCGAN(DCGAN):
    name = "cgan"
    recipes = {"radford": {**DCGAN.recipes["radford"], "critic": "concat"},
               "minigen": {**DCGAN.recipes["minigen"], "critic": "projection", "clusters": 0}}
    # 1,400 steps, as dcgan: a step costs 1.03x DCGAN's, so ten minutes on the slowest day measured
    defaults = {**DCGAN.defaults, **recipes["minigen"], "classes": 10, "steps": 1400}
    grid = (100, 10)  # the training sample grids: ten rows, one digit each

    def build(self):
        self.n_classes = int_setting(self.config, "classes")
        self.critic_kind = self.config.get("critic", "concat")
        if self.critic_kind not in CRITICS:
            raise ValueError(f"--set critic={self.critic_kind!r}: expected one of {', '.join(CRITICS)}")
        super().build()

    def make_critic(self, channels, size):
        if self.critic_kind == "projection":
            return super().make_critic(channels, size)
        return gan_nets.discriminator(channels + self.n_classes, size, int_setting(self.config, "d_width"),
                                      norm=self.config.get("critic_norm", self.critic_norm))

    def batch_condition(self, images, labels):
        if labels is None:
            raise ValueError("cgan: the data set has no labels; a conditional GAN needs them")
        return one_hot(labels, self.n_classes, self.device)

    def critic(self, x, y=None):
        if self.critic_kind == "projection":
            return super().critic(x, y)
        n, _, h, w = x.shape
        y = y.reshape(n, self.n_classes, 1, 1) * mg.ones(n, self.n_classes, h, w, device=self.device)
        return self.D(mg.cat([self.augmented(x), y], axis=1))  # the label planes are not augmented

    def _eval_generate(self, z, labels=None):
        return super()._eval_generate(z, one_hot(labels, self.n_classes, self.device))

    def sample(self, n):
        """n images with labels 0, 0, ..., 1, 1, ...: row r of a 10-wide grid shows digit r."""
        labels = (np.arange(n) // 10) % self.n_classes
        return self._eval_generate(self.sample_noise(n), labels)

    def sample_labels(self, labels, per_label):
        """``per_label`` images of each requested label, label by label (one grid row each)."""
        labels = np.repeat(np.asarray(labels, dtype=np.int64), per_label)
        return self._eval_generate(self.sample_noise(len(labels)), labels)

    def eval_batch(self, n):
        labels = np.arange(n) % self.n_classes
        return self._eval_generate(self.noise_array(FIXED_NOISE_SEED + 1, n), labels), labels
