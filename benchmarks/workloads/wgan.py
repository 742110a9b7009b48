"""wgan and wgan-gp: one generator cycle of the model, n_critic (default 2) calls of
``WGAN.train_step`` (each a critic update; the last one also updates G), batch 64, against the
same cycle in PyTorch. wgan: RMSprop and weight clipping, the batch-norm critic. wgan-gp: Adam
and the gradient penalty, whose gradient with respect to the critic's weights is a double
backward (``torch.autograd.grad(..., create_graph=True)`` against ``mg.grad``).

The unconditional networks (``clusters=0``): the default recipe's k-means condition adds a
projection term to the critic and 50 inputs to G, about 1-3% of dcgan's step
(``python benchmarks/ab.py clusters``), which the twin does not model. wgan's default moving
average of G's weights (``ema=0.99``) is modelled: the twin averages its G the same way after
each G update, and the checked steps compare the sum of squares of the averaged weights."""
import copy

import numpy as np

from .common import CHECKED_STEPS, Workload, build_model, frozen, random_images, replayed
from .twin import copy_weights

DEFAULT_BATCH = 64


class TorchWGAN:
    """The model's networks and critic/generator updates in PyTorch, from its initial weights."""

    def __init__(self, model, torch):
        from minigen.models import gan_nets
        if model.augment or model.warm_start:
            raise ValueError("TorchWGAN writes the default step only (no augment, no warm start)")
        tnn, cfg = torch.nn, model.config
        self.torch, self.n_critic = torch, model.n_critic
        c, size = model.image_shape[0], model.image_shape[1]
        self.G = gan_nets.generator(model.nz, c, size, cfg["g_width"], nn=tnn)
        self.D = gan_nets.discriminator(c, size, cfg["d_width"], cfg.get("critic_norm", model.critic_norm), nn=tnn)
        copy_weights(model.G, self.G, torch)
        copy_weights(model.D, self.D, torch)
        self.decay = model.config["ema"] if model.G_ema is not None else 0.0
        self.G_ema, self.n_averaged = (copy.deepcopy(self.G) if self.decay else None), 0
        self.gp_lambda = getattr(model, "gp_lambda", None)   # None: WGAN, which clips instead
        if self.gp_lambda is None:
            self.clip = model.clip
            self.opt_g = torch.optim.RMSprop(self.G.parameters(), lr=cfg["lr"])
            self.opt_d = torch.optim.RMSprop(self.D.parameters(), lr=cfg["lr"])
        else:
            betas = (cfg["beta1"], cfg["beta2"])
            self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg["lr"], betas=betas)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg["lr"], betas=betas)

    def average(self):
        """G_ema <- d G_ema + (1 - d) G, d = min(decay, (1 + t)/(10 + t)) at the t-th update (the
        first copies G); buffers copied from G: minigen's AveragedModel with warm-up."""
        with self.torch.no_grad():
            d = 0.0 if self.n_averaged == 0 else min(self.decay, (1 + self.n_averaged) / (10 + self.n_averaged))
            for a, p in zip(self.G_ema.parameters(), self.G.parameters()):
                a.mul_(d).add_(p, alpha=1 - d)
            for a, b in zip(self.G_ema.buffers(), self.G.buffers()):
                a.copy_(b)
        self.n_averaged += 1

    def penalty(self, real, fake, eps):
        """lambda mean_i (||grad_xhat D(xhat)_i|| - 1)^2, xhat = eps x + (1 - eps) fake."""
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = self.torch.autograd.grad(self.D(x_hat).sum(), [x_hat], create_graph=True)
        norms = self.torch.sqrt((g * g).sum(dim=(1, 2, 3)) + 1e-12)
        return self.gp_lambda * ((norms - 1) ** 2).mean()

    def critic_step(self, real, z, eps):
        fake = self.G(z).detach()
        loss_d = self.D(fake).mean() - self.D(real).mean()
        penalty = self.penalty(real, fake, eps) if self.gp_lambda is not None else 0.0
        self.opt_d.zero_grad()
        (loss_d + penalty).backward()
        self.opt_d.step()
        if self.gp_lambda is None:
            with self.torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.clip, self.clip)
        return loss_d, penalty

    def cycle(self, real, critic_noise, z_g):
        """n_critic critic updates, (z, eps) each, then G's update on z_g."""
        for z, eps in critic_noise:
            loss_d, penalty = self.critic_step(real, z, eps)
        thaw = frozen(self.D.parameters())
        loss_g = -self.D(self.G(z_g)).mean()
        self.opt_g.zero_grad()
        loss_g.backward()
        thaw()
        self.opt_g.step()
        if self.G_ema is not None:
            self.average()
        return {"loss_d": loss_d + penalty, "wasserstein": -loss_d.detach(), "loss_g": loss_g.detach()}


def build(batch, device="cpu", torch=None, name="wgan"):
    import minigen as mg
    model = build_model(name, batch, device, clusters=0)
    images = random_images(batch)
    mimages = mg.tensor(images, device=device)
    gp = name == "wgan-gp"

    checked = [CHECKED_STEPS, CHECKED_STEPS]   # cycles left whose averaged weights are compared

    def ema_sum(params, to_numpy):
        """sum of squares of G_ema's parameters, float64 (only in the checked cycles)."""
        return float(sum((to_numpy(p).astype(np.float64) ** 2).sum() for p in params))

    def ours():
        for _ in range(model.n_critic):
            losses = model.train_step(mimages, None)
        if model.G_ema is not None and checked[0] > 0:
            checked[0] -= 1
            losses = {**losses, "ema_sumsq": ema_sum(model.G_ema.module.parameters(), lambda p: p.numpy())}
        return losses
    if torch is None:
        return Workload(name, batch, ours, device=device)
    theirs = TorchWGAN(model, torch)
    for net in (theirs.G, theirs.D, theirs.G_ema):
        if net is not None:
            net.to(device)

    def draws():
        """The model's draws in one cycle, in its order: per critic step z (and eps), then G's z."""
        critic = [(model.noise(batch), mg.rand(batch, 1, 1, 1) if gp else None) for _ in range(model.n_critic)]
        return critic, model.noise(batch)
    first = replayed(lambda: [draws() for _ in range(CHECKED_STEPS)])
    treal = torch.tensor(images, device=device)

    def tensor(x):
        return None if x is None else torch.tensor(x.numpy(), device=device)

    def fresh():
        return ([(torch.randn(batch, model.nz, 1, 1, device=device), torch.rand(batch, 1, 1, 1, device=device) if gp else None)
                 for _ in range(model.n_critic)], torch.randn(batch, model.nz, 1, 1, device=device))

    def step_theirs():
        if first:
            critic, z_g = first.pop(0)
            losses = theirs.cycle(treal, [(tensor(z), tensor(e)) for z, e in critic], tensor(z_g))
        else:
            losses = theirs.cycle(treal, *fresh())
        if theirs.G_ema is not None and checked[1] > 0:
            checked[1] -= 1
            losses["ema_sumsq"] = ema_sum(theirs.G_ema.parameters(), lambda p: p.detach().cpu().numpy())
        return losses
    return Workload(name, batch, ours, step_theirs, device, torch)
