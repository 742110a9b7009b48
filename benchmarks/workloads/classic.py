"""The DCGAN and VAE training steps of ``run.py``'s first rows, written once for both libraries.

``MinigenSteps`` and ``TorchSteps`` hold the same networks (PyTorch's with minigen's initial
weights) and the same optimizers; ``_Steps`` writes each step with ``self.lib`` (minigen or
torch) and ``self.F``, whose every call means the same in both:

  * dcgan: one discriminator update on a real and a fake batch, then one generator update
    (non-saturating BCE-with-logits losses, Adam 2e-4, betas (0.5, 0.999));
  * vae: one step of the convolutional VAE (sum BCE + KL over the batch size, Adam 1e-3).
"""
from minigen.models.gan_nets import discriminator, generator

from .twin import copy_weights


# ----------------------------------------------------------------------------- networks

def dcgan_nets(nn, c=1, nz=100):
    """The ``dcgan`` model's G and D (minigen/models/gan_nets.py), built with ``nn``."""
    return generator(nz, c, 28, 128, nn=nn), discriminator(c, 28, 64, "batch", nn=nn)


def vae_nets(nn, latent=16):
    enc = nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 2 * latent))
    dec = nn.Sequential(
        nn.Linear(latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, 2, 1))
    return enc, dec


# ----------------------------------------------------------------------------- steps

class _Steps:
    """The two training steps, written once: ``self.lib`` is minigen or torch, and every call
    below exists with the same meaning in both."""

    def dcgan_step(self, real, z):
        bce = self.F.binary_cross_entropy_with_logits
        ones = self.lib.ones(real.shape[0], 1, 1, 1, device=self.device)
        zeros = self.lib.zeros(real.shape[0], 1, 1, 1, device=self.device)
        fake = self.g(z)
        loss_d = bce(self.d(real), ones) + bce(self.d(fake.detach()), zeros)
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        loss_g = bce(self.d(fake), ones)  # the non-saturating generator loss
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        return loss_g

    def vae_step(self, x, eps):
        h = self.enc(x)
        mu, logvar = h[:, :16], h[:, 16:]
        z = mu + (logvar * 0.5).exp() * eps
        logits = self.dec(z)
        kl = 0.5 * (mu * mu + logvar.exp() - 1 - logvar).sum()  # KL(N(mu, sigma^2) || N(0, I))
        loss = (self.F.binary_cross_entropy_with_logits(logits, x, reduction="sum") + kl) / x.shape[0]
        self.opt_v.zero_grad()
        loss.backward()
        self.opt_v.step()
        return loss

    def _adam(self, optim):
        self.opt_g = optim.Adam(self.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = optim.Adam(self.d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_v = optim.Adam(list(self.enc.parameters()) + list(self.dec.parameters()), lr=1e-3)


class MinigenSteps(_Steps):
    def __init__(self, device):
        import minigen as mg
        self.lib = self.mg = mg
        self.device = device
        self.F = mg.nn.functional
        mg.manual_seed(0)
        self.g, self.d = dcgan_nets(mg.nn)
        self.enc, self.dec = vae_nets(mg.nn)
        for m in (self.g, self.d, self.enc, self.dec):
            m.to(device)
        self._adam(mg.optim)

    def sync(self):
        if self.device == "cuda":
            self.mg.backend.cupy.cuda.Device().synchronize()


class TorchSteps(_Steps):
    def __init__(self, device, ours):
        import torch
        self.lib = self.torch = torch
        self.device = device
        self.F = torch.nn.functional
        self.g, self.d = dcgan_nets(torch.nn)
        self.enc, self.dec = vae_nets(torch.nn)
        for src, dst in ((ours.g, self.g), (ours.d, self.d), (ours.enc, self.enc), (ours.dec, self.dec)):
            copy_weights(src, dst, torch)
            dst.to(device)
        self._adam(torch.optim)

    def data(self, array):
        return self.torch.tensor(array, device=self.device)

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()
