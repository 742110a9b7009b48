"""DCGAN (Radford et al. 2016) trained with the GAN minimax game (Goodfellow et al. 2014).

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],   D(x) = sigmoid(logit(x))

Written with BCE(l, y) = -[y log sigmoid(l) + (1 - y) log(1 - sigmoid(l))] on logits l
(evaluated as softplus(l) - y l, finite for any l):

    D's loss: BCE(D(x), 1) + BCE(D(G(z)), 0) = -[log D(x) + log(1 - D(G(z)))]   (maximises V)
    G's loss, non-saturating (default):  BCE(D(G(z)), 1) = -log D(G(z))
    G's loss, saturating (the minimax one, ``--set g_loss=saturating``):
                                         -BCE(D(G(z)), 0) = log(1 - D(G(z)))

Both G losses have the same fixed point, but early in training D rejects fakes confidently,
D(G(z)) ~ 0, where log(1 - D) is flat and its gradient vanishes; -log D is steep there.

One step: D's update on a real batch and a fake batch (the fakes detached: D's step must
not move G), then G's update through D on the same fakes. Adam(2e-4, betas (0.5, 0.999)).
"""
import minigen as mg
from minigen.nn import functional as F
from minigen.optim import Adam

from .base import register_model
from .gan import GANModel, frozen

G_LOSSES = ("non-saturating", "saturating")
LOSSES = ("bce", "hinge")


def discriminator_loss(real_logits, fake_logits):
    """BCE(D(x), 1) + BCE(D(G(z)), 0), each averaged over its batch."""
    return (F.binary_cross_entropy_with_logits(real_logits, mg.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, mg.zeros_like(fake_logits)))


def generator_loss(fake_logits, kind="non-saturating"):
    """Non-saturating: -mean log D(G(z)) = BCE(D(G(z)), 1).
    Saturating (minimax): mean log(1 - D(G(z))) = -BCE(D(G(z)), 0)."""
    if kind == "non-saturating":
        return F.binary_cross_entropy_with_logits(fake_logits, mg.ones_like(fake_logits))
    if kind == "saturating":
        return -F.binary_cross_entropy_with_logits(fake_logits, mg.zeros_like(fake_logits))
    raise ValueError(f"--set g_loss={kind!r}: expected one of {', '.join(G_LOSSES)}")


def hinge_losses(real_logits, fake_logits):
    """The hinge loss (Lim & Ye 2017; Miyato et al. 2018), D's scores unbounded:

        D's loss: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]     G's loss: -E[D(G(z))]

    D stops pushing a sample once it is beyond the margin (score > 1 for reals, < -1 for
    fakes), so it spends its capacity on the samples it still confuses."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


@register_model
class DCGAN(GANModel):
    name = "dcgan"
    # Radford et al.'s hyperparameters; ``recipe=minigen`` (the default) is what measured
    # best on a 10-minute CPU budget (benchmarks/RESULTS.md, "GAN recipe").
    recipes = {"radford": {"lr": 2e-4, "beta1": 0.5, "loss": "bce", "critic_norm": "batch",
                           "spectral_norm": False, "augment": "none", "ema": 0.0,
                           "g_width": 128, "d_width": 64}}
    recipes["radford"]["clusters"] = 0
    # The minigen recipe differs in two settings: Adam's step, 1e-3 for both players instead of
    # 2e-4, and 50 k-means groups of the training digits as a condition (gan.py, ``clusters``).
    # On 4,500 digits they are what moved the scores (see RESULTS.md). 1,400 steps fit ten
    # minutes on the 2-core Xeon on its slowest measured day (0.37 s a step, 2026-12-03).
    recipes["minigen"] = {**recipes["radford"], "lr": 1e-3, "clusters": 50}
    defaults = {**GANModel.common_defaults, "recipe": "minigen", **recipes["minigen"], "steps": 1400,
                "g_loss": "non-saturating"}

    def build(self):
        self.g_loss = self.config.get("g_loss", "non-saturating")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"--set g_loss={self.g_loss!r}: expected one of {', '.join(G_LOSSES)}")
        self.loss = self.config.get("loss", "bce")
        if self.loss not in LOSSES:
            raise ValueError(f"--set loss={self.loss!r}: expected one of {', '.join(LOSSES)}")
        self.build_networks()
        lr, beta1 = self.lr(), self.config.get("beta1", 0.5)
        if isinstance(beta1, bool) or not isinstance(beta1, (int, float)) or not 0 <= beta1 < 1:
            raise ValueError(f"--set beta1={beta1!r}: expected a number in [0, 1)")
        self.optimizers = {"G": Adam(self.G.parameters(), lr=lr, betas=(beta1, 0.999)),
                           "D": Adam(self.D.parameters(), lr=lr, betas=(beta1, 0.999))}

    def losses(self, real_logits, fake_logits):
        """D's loss on a real and a fake batch."""
        if self.loss == "hinge":
            return hinge_losses(real_logits, fake_logits)
        return discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        if self.loss == "hinge":
            return -fake_logits.mean()
        return generator_loss(fake_logits, self.g_loss)

    def train_step(self, images, labels):
        y = self.batch_condition(images, labels)  # None unless conditioned (cgan, clusters)
        fake = self.generate(self.noise(images.shape[0]), y)
        real_logits = self.critic(images, y)
        fake_logits = self.critic(fake.detach(), y)
        loss_d = self.losses(real_logits, fake_logits)
        self.optimizers["D"].zero_grad()
        loss_d.backward()
        self.optimizers["D"].step()

        with frozen(self.D):
            loss_g = self.generator_loss(self.critic(fake, y))
            self.optimizers["G"].zero_grad()
            loss_g.backward()
        self.optimizers["G"].step()
        self.after_generator_step()
        with mg.no_grad():  # D's belief on this batch, before its update: 1/2 at the game's optimum
            d_real, d_fake = mg.sigmoid(real_logits).mean(), mg.sigmoid(fake_logits).mean()
        return {"loss_d": loss_d, "loss_g": loss_g, "d_real": d_real, "d_fake": d_fake}
