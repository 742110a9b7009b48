"""Pix2Pix (Isola, Zhu, Zhou & Efros 2017): paired image-to-image translation x -> y.

A conditional GAN whose critic judges (input, output) pairs, plus an L1 pull to the truth:

    L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_x[log(1 - D(x, G(x)))]     (D maximises)
    L_L1(G)      = E_{x,y} ||y - G(x)||_1
    G* = arg min_G max_D  L_cGAN(G, D) + lambda L_L1(G),   lambda = 100

D is a PatchGAN (``cyclegan_nets.patchgan``) on the channels of x and y concatenated: each of
its logits judges one patch, so D models only high frequencies (is this patch sharp and
consistent with its input?) and leaves the low frequencies to L1, which gets them right on
average without GAN noise (L2 would too, but blurs more: the mean of the plausible answers
rather than their median). As in the paper, G minimises the non-saturating -log D(x, G(x))
and D's loss is halved; BCE with logits, means over all patch logits.

Each batch: D's step first on (x, y) and (x, G(x)) detached, then G's step against the
updated D with D frozen (the authors' code's order). Adam(2e-4, betas (0.5, 0.999)), constant
for the first half of the steps and then linearly to 0. Weights N(0, 0.02).

Data (``minigen.data.paired``): "embedded" holds digit | neon | outline; ``task`` picks the
pair: "neon" (A digit, B neon T(x)) or "outline" (A outline, B digit), and ``direction``
AtoB or BtoA which side is the input. A folder of side-by-side pairs holds A | B ("ab" task).

Settings (``--set``): task ("auto": neon on the embedded pairs, A | B on a folder), direction (AtoB), ngf (32), ndf (32), depth ("auto":
down to 1 x 1), n_dropout (3), skips (true; false is the encoder-decoder ablation), n_layers
(2: a 34-pixel patch at 32 px), lambda_l1 (100).
"""
import math

import numpy as np

import minigen as mg
from minigen import backend
from minigen.nn import functional as F
from minigen.nn import init
from minigen.optim import Adam
from minigen.optim.lr_scheduler import LambdaLR

from . import pix2pix_metrics
from .base import GenerativeModel, register_model, check_positive
from .cyclegan_nets import patchgan
from .gan import frozen, int_setting
from .pix2pix_nets import UNet

TASKS = ("neon", "outline")
DIRECTIONS = ("AtoB", "BtoA")


def cgan_critic_loss(real_logits, fake_logits):
    """(BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)) / 2 over every patch logit."""
    ones, zeros = mg.ones(*real_logits.shape), mg.zeros(*fake_logits.shape)
    return 0.5 * (F.binary_cross_entropy_with_logits(real_logits, ones.to(real_logits.device))
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros.to(fake_logits.device)))


def cgan_generator_loss(fake_logits):
    """BCE(D(x, G(x)), 1) = mean log(1 + exp(-logit)): the non-saturating generator loss."""
    ones = mg.ones(*fake_logits.shape).to(fake_logits.device)
    return F.binary_cross_entropy_with_logits(fake_logits, ones)


@register_model
class Pix2Pix(GenerativeModel):
    name = "pix2pix"
    defaults = {"lr": 2e-4, "batch_size": 16, "steps": 2000, "task": "auto", "direction": "AtoB",
                "ngf": 32, "ndf": 32, "depth": "auto", "n_dropout": 3, "skips": True, "n_layers": 2,
                "lambda_l1": 100.0}
    data_range = "symmetric"
    grid = (48, 8)

    @staticmethod
    def load_data(data, split):
        from minigen.data.paired import load_paired
        return load_paired(data, split)

    def build(self):
        c, h, w = self.image_shape
        cfg = self.config
        self.task, self.direction = cfg.get("task", "auto"), cfg.get("direction", "AtoB")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"--set direction={self.direction!r}: expected AtoB or BtoA")
        self.slices = self._slices(c)
        self.c_in = self.slices[0].stop - self.slices[0].start
        self.c_out = self.slices[1].stop - self.slices[1].start
        depth = cfg.get("depth", "auto")
        auto = depth == "auto"
        depth = min(8, int(math.log2(min(h, w)))) if auto else int_setting(cfg, "depth")
        if h % 2 ** depth or w % 2 ** depth:
            given = "depth=auto gives" if auto else "--set"
            raise ValueError(f"{given} depth={depth}: a U-Net of depth {depth} needs sides divisible by "
                             f"2^{depth} = {2 ** depth}; these images are {h}x{w}")
        layers = int_setting(cfg, "n_layers")
        if min(h, w) // 2 ** layers < 3:
            raise ValueError(f"--set n_layers={layers}: a {layers}-layer PatchGAN needs images of at least "
                             f"{3 * 2 ** layers} px a side; these are {h}x{w}")
        skips = cfg.get("skips", True)
        if not isinstance(skips, bool):
            raise ValueError(f"--set skips={skips!r}: expected true or false")
        n_dropout = cfg.get("n_dropout", 3)
        if isinstance(n_dropout, bool) or not isinstance(n_dropout, int) or n_dropout < 0:
            raise ValueError(f"--set n_dropout={n_dropout!r}: expected an integer >= 0")
        self.lambda_l1 = cfg.get("lambda_l1", 100.0)
        if isinstance(self.lambda_l1, bool) or not isinstance(self.lambda_l1, (int, float)) or self.lambda_l1 < 0:
            raise ValueError(f"--set lambda_l1={self.lambda_l1!r}: expected a number >= 0 "
                             "(0 leaves the cGAN alone, the paper's ablation)")
        self.lambda_l1 = float(self.lambda_l1)
        self.G = init.dcgan_init_(UNet(self.c_in, self.c_out, int_setting(cfg, "ngf"), depth, n_dropout, skips))
        self.D = init.dcgan_init_(patchgan(self.c_in + self.c_out, int_setting(cfg, "ndf"), layers))
        self.networks = {"G": self.G, "D": self.D}
        lr, betas = check_positive(cfg, "lr"), (0.5, 0.999)
        self.optimizers = {"G": Adam(self.G.parameters(), lr=lr, betas=betas),
                           "D": Adam(self.D.parameters(), lr=lr, betas=betas)}
        total = int_setting(cfg, "steps")
        # constant for the first half, then linearly to 0 at the last step (the paper's schedule)
        decay = lambda step: min(1.0, max(0.0, (total - step) / max(1, total - total // 2)))  # noqa: E731
        self.schedulers = [LambdaLR(opt, decay) for opt in self.optimizers.values()]
        self._probe = None

    def _slices(self, channels):
        """(input channels, target channels) of a batch, from the task and the direction."""
        from minigen.data.paired import EMBEDDED_CHANNELS
        if channels == 5:  # the embedded digit | neon | outline
            if self.task == "auto":
                self.task = "neon"
            if self.task not in TASKS:
                raise ValueError(f"--set task={self.task!r}: expected auto or one of {', '.join(TASKS)}")
            a, b = ("digit", "neon") if self.task == "neon" else ("outline", "digit")
            a, b = EMBEDDED_CHANNELS[a], EMBEDDED_CHANNELS[b]
        elif channels in (2, 6):  # a folder's A | B halves
            if self.task != "auto":
                raise ValueError(f"--set task={self.task!r}: a folder of pairs has one task, its A | B "
                                 "images; expected task=auto (neon and outline are the embedded pairs' tasks)")
            self.task = "ab"
            a, b = slice(0, channels // 2), slice(channels // 2, channels)
        else:
            raise ValueError(f"pix2pix: images of {channels} channels; expected the embedded pairs (5) or "
                             "A | B halves side by side (1 + 1 or 3 + 3)")
        return (a, b) if self.direction == "AtoB" else (b, a)

    def split(self, images):
        """A batch -> (input x, target y)."""
        return images[:, self.slices[0]], images[:, self.slices[1]]

    # --- training -----------------------------------------------------------------------
    def generator_losses(self, x, y, fake):
        """(total, parts): cGAN term BCE(D(x, G(x)), 1) + lambda_l1 * mean |G(x) - y|."""
        adv = cgan_generator_loss(self.D(mg.cat([x, fake], 1)))
        l1 = F.l1_loss(fake, y)
        return adv + self.lambda_l1 * l1, {"loss_g_gan": adv, "loss_l1": l1}

    def critic_loss(self, x, y, fake):
        return cgan_critic_loss(self.D(mg.cat([x, y], 1)), self.D(mg.cat([x, fake], 1)))

    def train_step(self, images, labels):
        x, y = self.split(images)
        fake = self.G(x)
        loss_d = self.critic_loss(x, y, fake.detach())
        self.optimizers["D"].zero_grad()
        loss_d.backward()
        self.optimizers["D"].step()
        with frozen(self.D):  # G's step must not fill D's gradients
            loss_g, parts = self.generator_losses(x, y, fake)
            self.optimizers["G"].zero_grad()
            loss_g.backward()
            self.optimizers["G"].step()
        for s in self.schedulers:
            s.step()
        return {"loss_g": loss_g, **parts, "loss_d": loss_d}

    def extra_state(self):
        return {"scheduler_step": self.schedulers[0].last_epoch}

    def load_extra_state(self, state):
        for s in self.schedulers:
            s.load_state_dict({"last_epoch": int(state.get("scheduler_step", 0)), "base_lrs": s.base_lrs})

    # --- looking at it ------------------------------------------------------------------
    def set_probe(self, images):
        """Held-out pairs (the embedded test split) for the sample grids."""
        self._probe = images

    def translate(self, x, noise=False):
        """G(x) with no graph, in batches of 100; ``noise=True`` keeps dropout on (the paper's
        test-time noise), otherwise G runs as trained in eval mode (dropout off)."""
        x = getattr(x, "data", x)
        was_training = getattr(self.G, "training", None)   # None: a plain function (tests' stubs)
        if was_training is not None:
            self.G.train(noise)
        try:
            with mg.no_grad():
                out = [self.G(mg.Tensor(x[i:i + 100])).data for i in range(0, len(x), 100)]
        finally:
            if was_training is not None:
                self.G.train(was_training)
        return mg.Tensor(backend.get_array_module(out[0]).concatenate(out))

    def _rgb(self, x):
        x = backend.as_numpy(getattr(x, "data", x))
        return np.repeat(x, 3, axis=1) if x.shape[1] == 1 else x

    def sample(self, n, nrow=8):
        """Rows of ``nrow`` held-out inputs, their translations G(x) and the truths y beneath,
        repeated for n // (3 nrow) groups (at least one)."""
        x, y = self.split(self._probe)
        nrow = min(nrow, len(x))   # a small folder may hold fewer probe pairs than a row
        groups = max(1, min(n // (3 * nrow), len(x) // nrow))
        x, y = x[:groups * nrow], y[:groups * nrow]
        rows = [self._rgb(v) for v in (x, self.translate(x), y)]
        grid = np.stack([r.reshape((groups, nrow) + r.shape[1:]) for r in rows], axis=1)  # (g, 3, nrow, ...)
        if self.c_in == self.c_out == 1:
            grid = grid[:, :, :, :1]
        return mg.tensor(grid.reshape((-1,) + grid.shape[3:]))

    def evaluate(self, images, labels=None, paired=True):
        """PSNR, L1, digit accuracy and FLD of G's outputs on held-out pairs (``pix2pix_metrics``)."""
        return pix2pix_metrics.evaluate(self, images, labels=labels)
