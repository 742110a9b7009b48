"""What every GAN model shares: a generator G, a critic D, noise z ~ N(0, I), fixed noise for
comparable sample grids, and sample-quality metrics from minigen's digit classifier.

Subclasses (dcgan.py, cgan.py, wgan.py) choose the losses, optimizers and update schedule.
Settings common to all (``--set key=value``): ``nz`` (100), ``g_width`` (128: G's last hidden
width), ``d_width`` (64: D's first width), ``eval_samples`` (1000 generated images for
``minigen eval``), and the recipe's three tools for a small data set on a short budget:

* ``spectral_norm`` (false): every convolution of D divided by its largest singular value
  (Miyato et al. 2018, ``minigen.nn.utils.spectral_norm``);
* ``augment`` ("none"): a DiffAugment policy (Zhao et al. 2020, e.g. "translation"), applied
  to every image D sees, real or fake (``minigen.nn.functional.diff_augment``);
* ``ema`` (0): samples drawn from an exponential moving average of G's weights with this
  decay (``minigen.optim.swa_utils.AveragedModel``); 0 samples from G itself;
* ``clusters`` (0): K > 0 cuts the training images into K groups by k-means on their pixels
  (``minigen.data.clusters``) before the first step, and conditions both players on the
  group, as cgan does on the label (``conditioning.py``): G(z, y) and a projection critic
  D(x, y). A real image's y is its nearest centroid, a fake shares the y of the real image it
  is paired with, and a sample draws y with the groups' frequencies: p(x) = sum_y p(y) p(x|y)
  with no label anywhere. An unconditional G maps one connected Gaussian onto digits that lie
  apart, so some of its samples must fall between them; a discrete y lets it jump. The
  self-conditioned GAN of Liu et al. (2020) clusters D's features and re-clusters during
  training; one clustering of the pixels is the simplest form, and what the measurements in
  benchmarks/RESULTS.md ("GAN recipe") use.
"""
from contextlib import contextmanager

import numpy as np

import minigen as mg
from minigen import backend
from minigen.data.clusters import kmeans, nearest_centroid
from minigen.nn import functional as F
from minigen.nn import init
from minigen.nn.utils import spectral_norm
from minigen.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from . import gan_nets
from .base import GenerativeModel, check_positive
from .conditioning import ProjectionCritic, one_hot

FIXED_NOISE_SEED = 20160107  # the z's the sample grids show; a generator of its own (see vae.py)


def int_setting(config, key, minimum=1):
    """``--set key=N`` as an int >= ``minimum`` (1: a count; 0: a count that may be off, and
    absent means 0)."""
    value = config.get(key, 0 if minimum <= 0 else None)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"--set {key}={value!r}: expected {expected}")
    return int(value)


def spectral_norm_critic(config, critic, default):
    """``--set spectral_norm=true|false``: when true, spectral norm on every Conv2d of ``critic``
    (Miyato et al. 2018). Shared by the GANs (default false) and SPADE (default true)."""
    sn = config.get("spectral_norm", default)
    if not isinstance(sn, bool):
        raise ValueError(f"--set spectral_norm={sn!r}: expected true or false")
    if sn:
        for layer in critic.modules():
            if type(layer).__name__ == "Conv2d":
                spectral_norm(layer)


@contextmanager
def frozen(*modules):
    """Within the block, the modules' parameters take no gradient: G's step backpropagates
    through D to the images without also computing D's weight gradients (which D's next
    step would zero anyway)."""
    params = [p for m in modules for p in m.parameters()]
    for p in params:
        p.requires_grad_(False)
    try:
        yield modules
    finally:
        for p in params:
            p.requires_grad_(True)


class GANModel(GenerativeModel):
    data_range = "symmetric"  # G ends in tanh
    common_defaults = {"batch_size": 64, "nz": 100, "g_width": 128, "d_width": 64,
                       "eval_samples": 1000, "spectral_norm": False, "augment": "none", "ema": 0.0,
                       "clusters": 0}
    n_classes = 0             # cgan: the number of labels G and D are conditioned on
    n_clusters = 0            # ``--set clusters=K``: the number of k-means groups instead
    critic_norm = "batch"

    def build_networks(self):
        """G and D from the config, DCGAN-initialised: N(0, 0.02) conv weights, N(1, 0.02)
        batch-norm scales (Radford et al. 2016, section 4)."""
        c, h, w = self.image_shape
        if h != w:
            raise ValueError(f"{self.name}: images are {h}x{w}; the DCGAN networks need square images")
        self.nz = int_setting(self.config, "nz")
        self.eval_samples = int_setting(self.config, "eval_samples")
        self.n_clusters = int_setting(self.config, "clusters", minimum=0)
        if self.n_clusters and self.n_classes:
            raise ValueError(f"--set clusters={self.n_clusters}: {self.name} conditions on the labels "
                             "already; clusters must be 0")
        self.centroids, self.cluster_sizes = None, None  # set by prepare() or a checkpoint
        self.G = gan_nets.generator(self.nz + self.condition_size, c, h, int_setting(self.config, "g_width"))
        self.D = self.make_critic(c, h)
        init.dcgan_init_(self.G)
        init.dcgan_init_(self.D)
        self.networks = {"G": self.G, "D": self.D}
        self.fixed_noise = self.noise_array(FIXED_NOISE_SEED, 100)
        self.build_recipe_tools()

    def build_recipe_tools(self):
        """Spectral norm on D's convolutions, the augmentation policy, G's moving average."""
        spectral_norm_critic(self.config, self.D, default=False)
        policy = self.config.get("augment", "none")
        self.augment = None if policy in ("none", "", None) else str(policy)
        if self.augment is not None:
            F.diff_augment(mg.zeros(1, 1, 4, 4), self.augment)  # an unknown policy fails here, not at step 1
        decay = self.config.get("ema", 0.0)
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1:
            raise ValueError(f"--set ema={decay!r}: expected a decay in [0, 1) (0 turns averaging off)")
        self.G_ema = None
        if decay > 0:
            self.G_ema = AveragedModel(self.G, multi_avg_fn=get_ema_multi_avg_fn(decay, warmup=True))
            self.networks["G_ema"] = self.G_ema

    def augmented(self, x):
        """What D sees of a batch: DiffAugment(x) while training with ``augment`` set, else x."""
        if self.augment is None or not self.D.training:
            return x
        return F.diff_augment(x, self.augment, fill=-1.0)

    def after_generator_step(self):
        """Fold G's new weights into the moving average (when ``ema`` > 0)."""
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)

    def sampler(self):
        """The generator samples come from: the moving average when there is one."""
        return self.G_ema.module if self.G_ema is not None else self.G

    @property
    def condition_size(self):
        """K, the length of the one-hot y both players see: labels, clusters, or 0 (none)."""
        return self.n_classes or self.n_clusters

    def make_critic(self, channels, size):
        """D for images of ``channels`` x ``size`` x ``size``: the DCGAN discriminator, made a
        projection critic D(x, y) when the GAN is conditioned (cgan may use label planes)."""
        net = gan_nets.discriminator(channels, size, int_setting(self.config, "d_width"),
                                     norm=self.config.get("critic_norm", self.critic_norm))
        if not self.condition_size:
            return net
        critic = ProjectionCritic(net, self.condition_size)
        init.normal_(critic.embed.weight, 0.0, 0.02)  # DCGAN's scale, as D's own weights
        return critic

    # --- the clusters (``--set clusters=K``) -------------------------------------------------
    def prepare(self, train_images):
        """Before the first step: k-means of the training images (N, C, H, W), in the range
        the model trains on, into ``clusters`` groups. Nothing to do for other GANs. A
        resumed run takes its centroids from the checkpoint instead."""
        if not self.n_clusters:
            return
        x = backend.as_numpy(getattr(train_images, "data", train_images))
        if self.n_clusters > len(x):
            raise ValueError(f"--set clusters={self.n_clusters}: more groups than the {len(x)} training images")
        self.centroids, ids = kmeans(x.reshape(len(x), -1), self.n_clusters, seed=0)
        self.cluster_sizes = np.bincount(ids, minlength=self.n_clusters).astype(np.int64)

    def batch_condition(self, images, labels):
        """The one-hot y a step conditions on, (N, K): the images' nearest centroids; None for
        an unconditional GAN (cgan: the labels)."""
        if not self.n_clusters:
            return None
        if self.centroids is None:
            raise ValueError(f"{self.name}: --set clusters={self.n_clusters} needs the training images' "
                             "clusters: call model.prepare(train_images) before train_step "
                             "(minigen train does)")
        x = images.data  # stays on its device: no host copy per step
        ids = nearest_centroid(x.reshape(len(x), -1), self._centroids_on(backend.device_of(x)))
        return one_hot(ids, self.n_clusters, self.device)

    def _centroids_on(self, device):
        """The centroids on ``device``: copied there once, not at every step."""
        cached = getattr(self, "_centroids_cache", None)
        if cached is None or cached[0] is not self.centroids or cached[1] != device:
            self._centroids_cache = (self.centroids, device, backend.to_device(self.centroids, device))
        return self._centroids_cache[2]

    def sample_condition(self, n, seed):
        """y for n samples, drawn with the clusters' frequencies from a generator of its own
        (so a grid is the same every call); None without clusters."""
        if not self.n_clusters:
            return None
        p = self.cluster_sizes / self.cluster_sizes.sum()
        return one_hot(np.random.default_rng(seed).choice(self.n_clusters, n, p=p), self.n_clusters, self.device)

    def extra_state(self):
        if self.centroids is None:
            return {}
        return {"centroids": self.centroids, "cluster_sizes": self.cluster_sizes}

    def load_extra_state(self, state):
        if "centroids" in state:
            self.centroids = np.asarray(backend.as_numpy(state["centroids"]), dtype=np.float32)
            self.cluster_sizes = np.asarray(backend.as_numpy(state["cluster_sizes"]), dtype=np.int64)

    def lr(self):
        return check_positive(self.config, "lr")

    def noise_array(self, seed, n):
        """n draws of z ~ N(0, I) from a generator of their own, (n, nz, 1, 1) float32."""
        return np.random.default_rng(seed).standard_normal((n, self.nz, 1, 1)).astype(np.float32)

    def noise(self, n):
        """Fresh z ~ N(0, I) from minigen's seeded generator, (n, nz, 1, 1), on the device."""
        return mg.randn(n, self.nz, 1, 1, device=self.device)

    def generate(self, z, y=None, G=None):
        """G(z), or G([z, y]) for a one-hot condition y (N, K), in training mode (batch
        statistics), with the graph."""
        G = G or self.G
        if y is None:
            return G(z)
        return G(mg.cat([z, y.reshape(y.shape[0], y.shape[1], 1, 1)], axis=1))

    def generate_eval(self, z, y=None):
        """The sampler's G (no graph, eval mode set by the caller)."""
        return self.generate(z, y, self.sampler())

    def critic(self, x, y=None):
        """D's logit or score for x (DiffAugmented while training with ``augment``), given y
        when the GAN is conditioned."""
        if y is None:
            return self.D(self.augmented(x))
        return self.D(self.augmented(x), y)

    # --- looking at it ------------------------------------------------------------------
    def _eval_generate(self, z, y=None):
        """G(z) (G(z, y) given one-hot y) with batch norm's running statistics and no graph, in
        batches of 500 (from the moving average of G when ``ema`` is on)."""
        g = self.sampler()
        was_training = g.training
        g.eval()
        out = []
        with mg.no_grad():
            for i in range(0, len(z), 500):
                y_i = None if y is None else y[i:i + 500]
                out.append(self.generate_eval(mg.tensor(z[i:i + 500], device=self.device), y_i).data)
        g.train(was_training)
        return mg.Tensor(backend.get_array_module(out[0]).concatenate(out))

    def sample_noise(self, n):
        """The fixed noise while n <= 100, then more from a seed of its own."""
        z = self.fixed_noise[:n]
        if n > len(z):
            z = np.concatenate([z, self.noise_array(FIXED_NOISE_SEED + n, n - len(z))])
        return z

    def sample(self, n):
        """n images G(z) in [-1, 1], z the fixed noise (the same every call)."""
        return self._eval_generate(self.sample_noise(n), self.sample_condition(n, FIXED_NOISE_SEED))

    def evaluate(self, images, train_images=None, classifier="mnist"):
        """Sample quality of ``eval_samples`` generated images against ``images`` (held-out,
        in [-1, 1]) and, for the real-vs-real floor, ``train_images``: FLD, classifier
        Inception score, class coverage, confident fraction (``minigen.metrics``). The scored
        images come from ``eval_batch`` (noise of a seed of their own), not the grid's noise."""
        from minigen.data import from_symmetric
        from minigen.metrics import load_classifier, sample_quality
        fake, labels = self.eval_batch(self.eval_samples)
        unit = lambda x: from_symmetric(backend.as_numpy(getattr(x, "data", x)))  # noqa: E731
        train = unit(train_images) if train_images is not None else unit(images)
        return sample_quality(unit(fake), unit(images), train, labels=labels,
                              classifier=load_classifier(classifier))

    def eval_batch(self, n):
        """(n generated images, the labels they were asked for or None) for ``evaluate``."""
        y = self.sample_condition(n, FIXED_NOISE_SEED + 2)
        return self._eval_generate(self.noise_array(FIXED_NOISE_SEED + 1, n), y), None
