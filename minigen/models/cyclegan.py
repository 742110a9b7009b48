"""CycleGAN (Zhu, Park, Isola & Efros 2017): unpaired translation between domains A and B.

Two generators, G: A -> B and F: B -> A, and two critics, D_B (real b or G(a)?) and D_A
(real a or F(b)?). The full objective, with least-squares adversarial terms (Mao et al. 2017):

    L_GAN(G, D_B) = E_b[(D_B(b) - 1)^2] + E_a[D_B(G(a))^2]             (D_B minimises)
    G's side:       E_a[(D_B(G(a)) - 1)^2]                               (G minimises)
    L_cyc(G, F)   = E_a ||F(G(a)) - a||_1 + E_b ||G(F(b)) - b||_1        (a round trip returns)
    L_id(G, F)    = E_b ||G(b) - b||_1 + E_a ||F(a) - a||_1              (leave the target alone)

    G, F minimise  L_adv(G) + L_adv(F) + lambda_cyc L_cyc + lambda_id L_id,
    lambda_cyc = 10, lambda_id = 0.5 lambda_cyc.

The identity term feeds a B image to G, which takes A images: it needs equal channel counts.
For the embedded domains (A grey, B colour) it is off (``lambda_id`` = "auto" gives
0.5 lambda_cyc when the channels match and 0 otherwise; an explicit value with mismatched
channels is an error).

Each batch: the generators' step first, with the critics frozen (their weights get no
gradient), then the critics' step on fakes drawn from a history pool of 50 (Shrivastava et
al. 2017), detached, each critic's loss halved (the paper's "slows down the rate at which D learns";
with Adam, which divides each gradient by its running RMS, the factor all but cancels). Adam(2e-4,
betas (0.5, 0.999)), the rate constant for the first half of the steps and then decaying
linearly to 0. Weights N(0, 0.02) (``init.dcgan_init_``).

Settings (``--set``): ngf (16; the paper's 64 at 256 px), ndf (16), n_blocks (4), n_layers
("auto": 2 stride-2 layers, a 34-pixel patch, up to 32 px; 3, the paper's 70-pixel patch, above), lambda_cyc (10),
lambda_id ("auto"), pool_size (50).
"""
import numpy as np

import minigen as mg
from minigen import backend
from minigen import random as mg_random
from minigen.nn import functional as F
from minigen.nn import init
from minigen.optim import Adam
from minigen.optim.lr_scheduler import LambdaLR

from . import cyclegan_metrics
from .base import GenerativeModel, register_model, check_positive
from .cyclegan_nets import patchgan, resnet_generator
from .gan import frozen, int_setting


class ImagePool:
    """A history of up to ``size`` generated images (Shrivastava et al. 2017).

    query(images), image by image: while the pool is filling, store the image and return it;
    once full, with probability 1/2 return a stored image chosen at random and store the new
    one in its place, otherwise return the new image. The critic thus also sees older fakes,
    which damps the oscillation of chasing only the generator's latest mistakes."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        if self.size == 0:
            return images
        rng = mg_random.generator()
        out = []
        for img in images.data:
            img = img[None].copy()
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif rng.random() < 0.5:
                i = int(rng.integers(len(self.images)))
                out.append(self.images[i])
                self.images[i] = img
            else:
                out.append(img)
        return mg.Tensor(backend.get_array_module(out[0]).concatenate(out))

    def state(self):
        return np.stack([backend.as_numpy(i[0]) for i in self.images]) if self.images else np.zeros((0,))

    def load(self, array, device):
        self.images = [backend.to_device(a[None], device) for a in array] if array.ndim == 4 else []


def lsgan_loss(scores, target):
    """mean (D(x) - target)^2 over every patch score."""
    return ((scores - target) ** 2).mean()


@register_model
class CycleGAN(GenerativeModel):
    name = "cyclegan"
    # 1,800 steps: ~11 min on the 2-core CPU, all three of the targets met (RESULTS.md)
    defaults = {"lr": 2e-4, "batch_size": 8, "steps": 1800, "ngf": 16, "ndf": 16, "n_blocks": 4,
                "n_layers": "auto", "lambda_cyc": 10.0, "lambda_id": "auto", "pool_size": 50}
    data_range = "symmetric"
    grid = (64, 8)

    @staticmethod
    def load_data(data, split):
        from minigen.data.unpaired import load_unpaired
        return load_unpaired(data, split)

    def build(self):
        c, h, w = self.image_shape
        self.ca = {4: 1, 6: 3, 2: 1}.get(c)
        if self.ca is None or h % 4 or w % 4:
            raise ValueError(f"cyclegan: images of {c} channels at {h}x{w}; expected domains A | B side "
                             "by side (1 + 3, 3 + 3 or 1 + 1 channels), sides divisible by 4")
        self.cb = c - self.ca
        cfg = self.config
        ngf, ndf = int_setting(cfg, "ngf"), int_setting(cfg, "ndf")
        blocks = int_setting(cfg, "n_blocks")
        # the PatchGAN's depth sets its patch: 34 px (2 layers) at 32 px, 70 px (3) from 64 px up
        layers = (2 if h <= 32 else 3) if cfg.get("n_layers") == "auto" else int_setting(cfg, "n_layers")
        side = min(h, w) // 2 ** layers
        if side < 3:  # its last two convolutions need a map of at least 3 px
            most = max(n for n in range(1, 12) if min(h, w) // 2 ** n >= 3 or n == 1)
            raise ValueError(f"--set n_layers={layers}: a {layers}-layer PatchGAN needs images of at least "
                             f"{3 * 2 ** layers} px a side (its last maps would be {side} and {side - 1} px); "
                             f"these are {h}x{w}: use n_layers <= {most}")
        self.lambda_cyc = cfg.get("lambda_cyc")
        if isinstance(self.lambda_cyc, bool) or not isinstance(self.lambda_cyc, (int, float)) or self.lambda_cyc < 0:
            raise ValueError(f"--set lambda_cyc={self.lambda_cyc!r}: expected a number >= 0 "
                             "(0 drops the cycle term: two independent GANs, lesson 06's ablation)")
        self.lambda_cyc = float(self.lambda_cyc)
        self.lambda_id = self._identity_weight(cfg.get("lambda_id", "auto"))
        self.G = init.dcgan_init_(resnet_generator(self.ca, self.cb, ngf, blocks))   # A -> B
        self.F = init.dcgan_init_(resnet_generator(self.cb, self.ca, ngf, blocks))   # B -> A
        self.D_A = init.dcgan_init_(patchgan(self.ca, ndf, layers))
        self.D_B = init.dcgan_init_(patchgan(self.cb, ndf, layers))
        self.networks = {"G": self.G, "F": self.F, "D_A": self.D_A, "D_B": self.D_B}
        lr, betas = check_positive(cfg, "lr"), (0.5, 0.999)
        self.optimizers = {
            "generators": Adam(list(self.G.parameters()) + list(self.F.parameters()), lr=lr, betas=betas),
            "critics": Adam(list(self.D_A.parameters()) + list(self.D_B.parameters()), lr=lr, betas=betas)}
        total = int_setting(cfg, "steps")
        # constant for the first half, then linearly to 0 at the last step (the paper: 100 + 100 epochs)
        decay = lambda step: min(1.0, max(0.0, (total - step) / max(1, total - total // 2)))  # noqa: E731
        self.schedulers = [LambdaLR(opt, decay) for opt in self.optimizers.values()]
        size = cfg.get("pool_size", 50)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"--set pool_size={size!r}: expected an integer >= 0")
        self.pools = {"A": ImagePool(size), "B": ImagePool(size)}
        self._probe = None

    def _identity_weight(self, value):
        if value == "auto":
            return 0.5 * self.lambda_cyc if self.ca == self.cb else 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"--set lambda_id={value!r}: expected a number >= 0 or auto")
        if value > 0 and self.ca != self.cb:
            raise ValueError(f"--set lambda_id={value}: the identity loss feeds B images to G: A -> B, "
                             f"which needs equal channel counts (A has {self.ca}, B has {self.cb}); "
                             "use lambda_id=0 or auto")
        return float(value)

    def split(self, images):
        """A | B batch -> (a, b)."""
        return images[:, :self.ca], images[:, self.ca:]

    # --- training -----------------------------------------------------------------------
    def generator_losses(self, a, b):
        """The generators' objective for one batch (see the module doc) and its parts."""
        fake_b, fake_a = self.G(a), self.F(b)
        adv = lsgan_loss(self.D_B(fake_b), 1.0) + lsgan_loss(self.D_A(fake_a), 1.0)
        cyc = F.l1_loss(self.F(fake_b), a) + F.l1_loss(self.G(fake_a), b)
        total = adv + self.lambda_cyc * cyc
        parts = {"loss_g_adv": adv, "loss_cycle": cyc}
        if self.lambda_id > 0:
            idt = F.l1_loss(self.G(b), b) + F.l1_loss(self.F(a), a)
            total = total + self.lambda_id * idt
            parts["loss_identity"] = idt
        return total, fake_a, fake_b, parts

    def critic_loss(self, critic, real, fake):
        """(LS(D(real), 1) + LS(D(fake), 0)) / 2, the paper's halving (a half-size SGD step;
        under Adam's gradient normalisation nearly no change, as lesson 06 measures)."""
        return 0.5 * (lsgan_loss(critic(real), 1.0) + lsgan_loss(critic(fake), 0.0))

    def train_step(self, images, labels):
        a, b = self.split(images)
        with frozen(self.D_A, self.D_B):  # G's step must not fill the critics' gradients
            loss_g, fake_a, fake_b, parts = self.generator_losses(a, b)
            self.optimizers["generators"].zero_grad()
            loss_g.backward()
            self.optimizers["generators"].step()

        loss_d_a = self.critic_loss(self.D_A, a, self.pools["A"].query(fake_a.detach()))
        loss_d_b = self.critic_loss(self.D_B, b, self.pools["B"].query(fake_b.detach()))
        self.optimizers["critics"].zero_grad()
        (loss_d_a + loss_d_b).backward()
        self.optimizers["critics"].step()
        for s in self.schedulers:
            s.step()
        return {"loss_g": loss_g, **parts, "loss_d_a": loss_d_a, "loss_d_b": loss_d_b}

    def extra_state(self):
        return {"pool_A": self.pools["A"].state(), "pool_B": self.pools["B"].state(),
                "scheduler_step": self.schedulers[0].last_epoch}

    def load_extra_state(self, state):
        for k in ("A", "B"):
            if f"pool_{k}" in state:
                self.pools[k].load(np.asarray(state[f"pool_{k}"]), self.device)
        for s in self.schedulers:
            s.load_state_dict({"last_epoch": int(state.get("scheduler_step", 0)), "base_lrs": s.base_lrs})

    # --- looking at it ------------------------------------------------------------------
    def set_probe(self, images):
        """Held-out A | B images (the embedded test split pairs b = T(a)) for the sample grids."""
        self._probe = images

    def translate(self, x, direction="AB"):
        """G(x) (direction "AB") or F(x) ("BA") with no graph, in batches of 100."""
        net = self.G if direction == "AB" else self.F
        x = getattr(x, "data", x)
        with mg.no_grad():
            out = [net(mg.Tensor(x[i:i + 100])).data for i in range(0, len(x), 100)]
        return mg.Tensor(backend.get_array_module(out[0]).concatenate(out))

    def _rgb(self, x):
        x = backend.as_numpy(getattr(x, "data", x))
        return np.repeat(x, 3, axis=1) if x.shape[1] == 1 else x

    def sample(self, n):
        """Rows of (a, G(a), b, F(G(a))) quadruples for A -> B, then (b, F(b), a, G(F(b))) for
        B -> A, from the held-out probe; on the embedded test split b = T(a), the truth."""
        a, b = self.split(self._probe)
        k = max(1, n // 8)  # quadruples per direction (8 images per row)
        a, b = a[:k], b[:k]
        fb, fa = self.translate(a, "AB"), self.translate(b, "BA")
        rows_ab = [self._rgb(v) for v in (a, fb, b, self.translate(fb, "BA"))]
        rows_ba = [self._rgb(v) for v in (b, fa, a, self.translate(fa, "AB"))]
        quads = [np.stack(r, axis=1) for r in (rows_ab, rows_ba)]   # (k, 4, 3, H, W)
        return mg.tensor(np.concatenate([q.reshape((-1,) + q.shape[2:]) for q in quads]))

    def evaluate(self, images, labels=None, paired=True):
        """Translation and cycle errors on held-out A | B images (``cyclegan_metrics``)."""
        return cyclegan_metrics.evaluate(self, images, labels=labels, paired=paired)
