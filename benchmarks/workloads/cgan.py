"""cgan: ``ConditionalDCGAN.train_step`` (defaults: the projection critic, Adam 1e-3), batch 64,
against the same step in PyTorch: D on real and fake images of the batch's labels, then G
with D frozen, and D's mean beliefs logged as the model does."""
from .common import CHECKED_STEPS, Workload, build_model, frozen, random_images, replayed
from .twin import copy_weights

DEFAULT_BATCH = 64


def projection_critic(torch, net, n_classes):
    """``cgan.ProjectionCritic`` in PyTorch: D(x, y) = psi(phi(x)) + <embed(y), phi(x)>."""
    class ProjectionCritic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net
            side = net[-1].kernel_size[0]
            self.embed = torch.nn.Linear(n_classes, net[-1].in_channels * side * side, bias=False)

        def forward(self, x, y_onehot):
            features = self.net[:-1](x)
            inner = (features * self.embed(y_onehot).reshape(features.shape)).sum(dim=(1, 2, 3))
            return self.net[-1](features) + inner.reshape(x.shape[0], 1, 1, 1)
    return ProjectionCritic()


class TorchCGAN:
    """The model's networks and step in PyTorch, from ``model``'s initial weights."""

    def __init__(self, model, torch):
        from minigen.models import gan_nets
        if model.loss != "bce" or model.g_loss != "non-saturating" or model.augment or model.G_ema:
            raise ValueError("TorchCGAN writes the default step only (BCE, non-saturating, no augment, no EMA)")
        tnn, cfg = torch.nn, model.config
        self.torch, self.k, self.kind = torch, model.n_classes, model.critic_kind
        c, size = model.image_shape[0], model.image_shape[1]
        norm = cfg.get("critic_norm", model.critic_norm)
        self.G = gan_nets.generator(model.nz + self.k, c, size, cfg["g_width"], nn=tnn)
        if self.kind == "projection":
            self.D = projection_critic(torch, gan_nets.discriminator(c, size, cfg["d_width"], norm, nn=tnn), self.k)
        else:
            self.D = gan_nets.discriminator(c + self.k, size, cfg["d_width"], norm, nn=tnn)
        copy_weights(model.G, self.G, torch)
        copy_weights(model.D, self.D, torch)
        betas = (cfg.get("beta1", 0.5), 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg["lr"], betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg["lr"], betas=betas)

    def critic(self, x, y):
        if self.kind == "projection":
            return self.D(x, y)
        n, _, h, w = x.shape
        return self.D(self.torch.cat([x, y.reshape(n, self.k, 1, 1).expand(n, self.k, h, w)], 1))

    def step(self, real, y, z):
        torch, bce = self.torch, self.torch.nn.functional.binary_cross_entropy_with_logits
        fake = self.G(torch.cat([z, y.reshape(len(y), self.k, 1, 1)], 1))
        real_logits, fake_logits = self.critic(real, y), self.critic(fake.detach(), y)
        loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        thaw = frozen(self.D.parameters())
        logits = self.critic(fake, y)
        loss_g = bce(logits, torch.ones_like(logits))
        self.opt_g.zero_grad()
        loss_g.backward()
        thaw()
        self.opt_g.step()
        with torch.no_grad():
            d_real, d_fake = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
        return {"loss_d": loss_d, "loss_g": loss_g, "d_real": d_real, "d_fake": d_fake}


def build(batch, device="cpu", torch=None):
    import numpy as np
    import minigen as mg
    model = build_model("cgan", batch, device)
    images = random_images(batch)
    labels = np.random.default_rng(1).integers(0, model.n_classes, batch)
    mimages = mg.tensor(images, device=device)
    ours = lambda: model.train_step(mimages, labels)  # noqa: E731
    if torch is None:
        return Workload("cgan", batch, ours, device=device)
    theirs = TorchCGAN(model, torch)
    for net in (theirs.G, theirs.D):
        net.to(device)
    # the z of the model's first steps
    first = replayed(lambda: [model.noise(batch).numpy() for _ in range(CHECKED_STEPS)])
    treal = torch.tensor(images, device=device)
    ty = torch.tensor(np.eye(model.n_classes, dtype=np.float32)[labels], device=device)

    def step_theirs():
        z = torch.tensor(first.pop(0), device=device) if first else torch.randn(batch, model.nz, 1, 1, device=device)
        return theirs.step(treal, ty, z)
    return Workload("cgan", batch, ours, step_theirs, device, torch)
