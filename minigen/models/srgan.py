"""Super-resolution, trained on pixels and then adversarially (document 004, section 3;
SRGAN, Ledig et al. 2017), on pairs made from any image set.

The task. A high-resolution image y (N, C, H, W) in [-1, 1] is degraded to
    x_LR = area(y, s):  each s x s block of y averaged into one pixel (a box filter then
                        subsampling; ``F.interpolate(mode="area")`` = ``avg_pool2d(y, s)``)
with the scale s = ``scale`` (4: 28 -> 7 px digits; 2: 28 -> 14). The generator G sees
x = bicubic(x_LR) (``F.interpolate(mode="bicubic")``, PyTorch's a = -0.75: the LR image on the
H x W grid, no new information) and returns y_hat = G(x), same shape (``srgan_nets``).

Phase 1 (the first ``pixel_fraction`` of the steps): a pixel loss only,
    L_pix = mean |y_hat - y|  ("l1", default)   or   mean (y_hat - y)^2  ("mse"),
Adam(lr, betas (0.9, 0.999)). The MSE minimiser is E[y | x_LR], the mean of every sharp image
that shrinks to x_LR (lesson 07): blurred where the LR image leaves the detail uncertain.
At the end of phase 1, G's weights are copied into ``G_phase1`` (kept for eval and samples).

Phase 2: a critic D (patch logits, ``patch_critic``) learns real y from y_hat,
    L_D = BCE(D(y), 1) + BCE(D(y_hat.detach()), 0)          (means over the patch logits)
and G minimises
    L_G = lambda_pixel L_pix + lambda_content L_content + lambda_adv BCE(D(y_hat), 1),
    L_content = mean (phi(y_hat) - phi(y))^2,
phi = the feature maps of minigen's digit classifier (``minigen.metrics``) at
``content_layer``: the perceptual loss of Johnson et al. 2016 and SRGAN, with a 2-layer digit
CNN in place of VGG-19 (not available offline); it compares strokes and their arrangement
rather than pixels, and only for 1 x 28 x 28 images (``classifier`` "auto" picks the MNIST one
there and turns the term off elsewhere). Both players Adam(adv_lr, betas (0.9, 0.999)),
one D step then one G step per batch (D's weights frozen during G's).

Logged losses: loss_pixel, loss_content (measured in phase 1 too, without a gradient),
loss_g_adv and loss_d (0 in phase 1, where D does not train yet).

Settings (``--set``): scale (4), pixel_fraction (0.5), pixel_loss ("l1" | "mse"), width (16),
n_blocks (2), upsample ("pixelshuffle" | "nearest" | "bilinear" | "transpose"), d_width (32),
adv_lr (1e-4), lambda_pixel (1), lambda_content (1), lambda_adv (1e-2),
content_layer ("conv1" | "conv2" | "fc"), classifier ("auto" | "mnist" | "fashion-mnist" | "none").
"""
import numpy as np

import minigen as mg
from minigen import backend
from minigen.nn import functional as F
from minigen.optim import Adam

from . import srgan_metrics
from .base import GenerativeModel, check_positive, register_model
from .gan import frozen, int_setting
from .srgan_nets import patch_critic, unet_generator

PIXEL_LOSSES = ("l1", "mse")
CONTENT_LAYERS = {"conv1": 2, "conv2": 4, "fc": 7}   # how many of the classifier's body layers
CLASSIFIERS = ("auto", "mnist", "fashion-mnist", "none")


def pixel_loss(y_hat, y, kind="l1"):
    """mean |y_hat - y| ("l1") or mean (y_hat - y)^2 ("mse") over every pixel."""
    if kind == "l1":
        return F.l1_loss(y_hat, y)
    if kind == "mse":
        return F.mse_loss(y_hat, y)
    raise ValueError(f"--set pixel_loss={kind!r}: expected one of {', '.join(PIXEL_LOSSES)}")


def critic_loss(real_logits, fake_logits):
    """BCE(D(y), 1) + BCE(D(y_hat), 0), each a mean over its patch logits."""
    return (F.binary_cross_entropy_with_logits(real_logits, mg.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, mg.zeros_like(fake_logits)))


def adversarial_loss(fake_logits):
    """Non-saturating: BCE(D(y_hat), 1) = -mean log sigmoid(D(y_hat))."""
    return F.binary_cross_entropy_with_logits(fake_logits, mg.ones_like(fake_logits))


def content_loss(features, y_hat, y):
    """mean (phi(y_hat) - phi(y))^2; y's features carry no gradient (they are the target)."""
    with mg.no_grad():
        target = features(y)
    return F.mse_loss(features(y_hat), target)


def _number(config, key, low=0.0, high=None):
    value = config.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or \
            (high is not None and value > high):
        span = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"--set {key}={value!r}: expected a number {span}")
    return float(value)


def _choice(config, key, choices):
    value = config.get(key)
    if value not in choices:
        raise ValueError(f"--set {key}={value!r}: expected one of {', '.join(choices)}")
    return value


class ClassifierFeatures:
    """phi(y): the digit classifier's activations after ``depth`` of its body layers, for
    images in [-1, 1] (the classifier reads [0, 1]: (y + 1) / 2). A private copy whose
    weights take no gradient, in eval mode (dropout off)."""

    def __init__(self, name, layer, device):
        from minigen.metrics import DigitClassifier, load_classifier
        net = DigitClassifier()
        net.load_state_dict(load_classifier(name).state_dict())
        for p in net.parameters():
            p.requires_grad_(False)
        self.net, self.depth = net.eval().to(device), CONTENT_LAYERS[layer]

    def __call__(self, y):
        h = (y + 1) * 0.5 - 0.5   # to [0, 1], then the classifier's own centring
        for layer in list(self.net.body)[:self.depth]:
            h = layer(h)
        return h


@register_model
class SRGAN(GenerativeModel):
    name = "srgan"
    defaults = {"lr": 1e-3, "batch_size": 16, "steps": 4000, "scale": 4, "pixel_fraction": 0.5,
                "pixel_loss": "l1", "width": 16, "n_blocks": 2, "upsample": "pixelshuffle", "d_width": 32,
                "adv_lr": 1e-4, "lambda_pixel": 1.0, "lambda_content": 1.0, "lambda_adv": 1e-2,
                "content_layer": "conv2", "classifier": "auto"}
    data_range = "symmetric"
    grid = (40, 8)   # rows of 8: LR input, bicubic, phase 1, phase 2, truth

    @staticmethod
    def load_data(data, split):
        """The images of ``data`` (any data set: the pairs are made from each image); a folder
        without a test split evaluates on its training images. ``paired``: eval gets labels."""
        from minigen.data import load_dataset
        try:
            ds = load_dataset(data, split)
        except (FileNotFoundError, ValueError):
            if split == "train":
                raise
            ds = load_dataset(data, "train")
        ds.paired = True
        return ds

    def build(self):
        c, h, w = self.image_shape
        cfg = self.config
        self.scale = int_setting(cfg, "scale")
        if c not in (1, 3) or h % 4 or w % 4 or h % self.scale or w % self.scale:
            raise ValueError(f"srgan: images of {c} channels at {h}x{w} with --set scale={self.scale}; expected "
                             "1 or 3 channels and sides divisible by 4 (the U-Net halves them twice) and by "
                             "the scale")
        self.lr_shape = (h // self.scale, w // self.scale)
        self.pixel_kind = _choice(cfg, "pixel_loss", PIXEL_LOSSES)
        self.fraction = _number(cfg, "pixel_fraction", 0.0, 1.0)
        self.lambdas = {k: _number(cfg, f"lambda_{k}") for k in ("pixel", "content", "adv")}
        layer = _choice(cfg, "content_layer", tuple(CONTENT_LAYERS))
        name = _choice(cfg, "classifier", CLASSIFIERS)
        if name == "auto":
            name = "mnist" if (c, h, w) == (1, 28, 28) else "none"
        elif name != "none" and (c, h, w) != (1, 28, 28):
            raise ValueError(f"--set classifier={name}: the digit classifiers read 1 x 28 x 28 images; "
                             f"these are {c} x {h} x {w} (use classifier=none)")
        self.classifier = None if name == "none" else name
        if self.classifier is None:
            self.lambdas["content"] = 0.0  # no feature network for these images: pixels and D only
        self.features = ClassifierFeatures(self.classifier, layer, self.device) if self.classifier else None
        width, blocks = int_setting(cfg, "width"), int_setting(cfg, "n_blocks")
        upsample = cfg.get("upsample")
        self.G = unet_generator(c, width, blocks, upsample)
        self.G_phase1 = unet_generator(c, width, blocks, upsample)
        self.D = patch_critic(c, int_setting(cfg, "d_width"))
        self.networks = {"G": self.G, "G_phase1": self.G_phase1, "D": self.D}
        adv_lr = check_positive(cfg, "adv_lr")
        self.optimizers = {"G": Adam(self.G.parameters(), lr=check_positive(cfg, "lr"), betas=(0.9, 0.999)),
                           "G_adv": Adam(self.G.parameters(), lr=adv_lr, betas=(0.9, 0.999)),
                           "D": Adam(self.D.parameters(), lr=adv_lr, betas=(0.9, 0.999))}
        self.pixel_steps = int(round(self.fraction * int_setting(cfg, "steps")))
        self.step, self.switched = 0, False
        self._probe = None

    # --- the data ---------------------------------------------------------------------
    def degrade(self, y):
        """x_LR = area(y, scale): the mean of each scale x scale block."""
        return F.interpolate(y, size=self.lr_shape, mode="area")

    def enlarge(self, x_lr, mode="bicubic"):
        """x_LR on the H x W grid by ``mode`` ("nearest", "bilinear", "bicubic"; no learning)."""
        h, w = self.image_shape[1:]
        return F.interpolate(x_lr, size=(h, w), mode=mode, align_corners=None if mode == "nearest" else False)

    # --- training -----------------------------------------------------------------------
    @property
    def in_phase2(self):
        return self.switched or self.step > self.pixel_steps

    def end_phase1(self):
        """Keep phase 1's generator: G_phase1 <- G (weights copied, not shared)."""
        self.G_phase1.load_state_dict(self.G.state_dict())
        self.switched = True

    def train_step(self, images, labels):
        y = images
        with mg.no_grad():
            x = self.enlarge(self.degrade(y))
        self.step += 1
        if not self.in_phase2:
            y_hat = self.G(x)
            loss_pixel = pixel_loss(y_hat, y, self.pixel_kind)
            self.optimizers["G"].zero_grad()
            loss_pixel.backward()
            self.optimizers["G"].step()
            if self.step == self.pixel_steps:
                self.end_phase1()
            with mg.no_grad():
                loss_content = content_loss(self.features, y_hat, y) if self.features else 0.0
            return {"loss_pixel": loss_pixel, "loss_content": loss_content, "loss_g_adv": 0.0, "loss_d": 0.0}
        if not self.switched:   # e.g. pixel_fraction=0: no pixel phase at all
            self.end_phase1()
        y_hat = self.G(x)
        loss_d = critic_loss(self.D(y), self.D(y_hat.detach()))
        self.optimizers["D"].zero_grad()
        loss_d.backward()
        self.optimizers["D"].step()
        with frozen(self.D):
            total, parts = self.generator_objective(y_hat, y)
            self.optimizers["G_adv"].zero_grad()
            total.backward()
        self.optimizers["G_adv"].step()
        return {**parts, "loss_d": loss_d}

    def generator_objective(self, y_hat, y):
        """Phase 2's L_G = lambda_pixel L_pix + lambda_content L_content + lambda_adv BCE(D(y_hat), 1)
        and its three parts (see the module docstring)."""
        loss_pixel = pixel_loss(y_hat, y, self.pixel_kind)
        loss_adv = adversarial_loss(self.D(y_hat))
        total = self.lambdas["pixel"] * loss_pixel + self.lambdas["adv"] * loss_adv
        loss_content = 0.0
        if self.features is not None:
            loss_content = content_loss(self.features, y_hat, y)
            total = total + self.lambdas["content"] * loss_content
        return total, {"loss_pixel": loss_pixel, "loss_content": loss_content, "loss_g_adv": loss_adv}

    def extra_state(self):
        return {"step": self.step, "switched": int(self.switched)}

    def load_extra_state(self, state):
        self.step = int(state.get("step", 0))
        self.switched = bool(int(state.get("switched", 0)))

    # --- looking at it ------------------------------------------------------------------
    def generators(self):
        """{"phase1": G after phase 1, "phase2": G after phase 2}, each present once trained."""
        if not self.switched:
            return {"phase1": self.G} if self.step > 0 else {}
        out = {"phase1": self.G_phase1}
        if self.step > self.pixel_steps or self.pixel_steps == 0:
            out["phase2"] = self.G
        return out

    def super_resolve(self, y, generator=None):
        """G(bicubic(area(y))) for high-resolution y in [-1, 1], clipped to [-1, 1], no graph,
        in batches of 100 (``generator``: default the latest G)."""
        net = generator or self.G
        return self._batched(y, lambda b: net(self.enlarge(self.degrade(b))).clamp(-1.0, 1.0))

    def baseline(self, y, mode):
        """enlarge(area(y), mode) for high-resolution y, clipped to [-1, 1] (bicubic overshoots)."""
        return self._batched(y, lambda b: self.enlarge(self.degrade(b), mode).clamp(-1.0, 1.0))

    def _batched(self, y, fn):
        y = getattr(y, "data", y)
        y = backend.to_device(np.asarray(y, dtype=np.float32), self.device) if isinstance(y, np.ndarray) else y
        with mg.no_grad():
            out = [fn(mg.Tensor(y[i:i + 100])).data for i in range(0, len(y), 100)]
        return mg.Tensor(backend.get_array_module(out[0]).concatenate(out))

    def set_probe(self, images):
        self._probe = images

    def sample(self, n):
        """Rows of k = min(8, n // 5) held-out images: the LR input (enlarged by nearest, so
        its pixels show), bicubic, phase 1's G, phase 2's G (black until phase 2 has run),
        the truth: 5 k images in [-1, 1]."""
        y = self._probe[:max(1, min(8, n // 5, len(self._probe)))]
        gens = self.generators()
        blank = mg.Tensor(backend.get_array_module(y.data).full(y.shape, -1.0, dtype=y.data.dtype))
        rows = [self.baseline(y, "nearest"), self.baseline(y, "bicubic"),
                self.super_resolve(y, gens["phase1"]) if "phase1" in gens else blank,
                self.super_resolve(y, gens["phase2"]) if "phase2" in gens else blank, y]
        return mg.cat([mg.Tensor(getattr(r, "data", r)) for r in rows], axis=0)

    def evaluate(self, images, labels=None, paired=True):
        """PSNR, SSIM, classifier accuracy and FLD of each phase and of the three
        interpolation baselines (``srgan_metrics``)."""
        return srgan_metrics.evaluate(self, images, labels)
