"""Trainable models, each registered under a name for ``minigen train NAME``.

A model is a ``GenerativeModel`` subclass: it builds its networks and optimizers and
implements one ``train_step``; the shared loop in ``minigen/training`` does everything
else (data, progress bar, samples, plots, checkpoints, resume).
"""
from .base import GenerativeModel, MODELS, register_model, get_model_class
from . import autoencoder  # noqa: F401  (registers "autoencoder")
from . import vae  # noqa: F401  (registers "vae")
from . import dcgan, cgan, wgan  # noqa: F401  (register "dcgan", "cgan", "wgan", "wgan-gp")
from . import cyclegan  # noqa: F401  (registers "cyclegan")
from . import srgan  # noqa: F401  (registers "srgan")
from . import pix2pix  # noqa: F401  (registers "pix2pix")
from . import spade  # noqa: F401  (registers "spade")
