"""cyclegan: ``CycleGAN.train_step`` (defaults: ResNet generators ngf 16 with 4 residual blocks,
PatchGANs ndf 16, least-squares losses, the history pools, the LR schedule), batch 8 of the
embedded 32 px A | B images, against the same step in PyTorch (``twin.torch_twin`` networks)."""
from .common import Workload, build_model, embedded_images, frozen
from .twin import copy_weights, torch_twin

DEFAULT_BATCH = 8


class TorchImagePool:
    """``cyclegan.ImagePool``'s rule on PyTorch tensors: store while filling, then half the
    time hand back a stored image and keep the new one in its place."""

    def __init__(self, torch, size=50):
        import numpy as np
        self.torch, self.size, self.images, self.rng = torch, size, [], np.random.default_rng(0)

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for img in images:
            img = img[None].clone()
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif self.rng.random() < 0.5:
                i = int(self.rng.integers(len(self.images)))
                out.append(self.images[i])
                self.images[i] = img
            else:
                out.append(img)
        return self.torch.cat(out)


class TorchCycleGAN:
    """The model's four networks, optimizers, schedulers and step in PyTorch."""

    def __init__(self, model, torch):
        self.torch, self.model = torch, model
        for name in ("G", "F", "D_A", "D_B"):
            net = torch_twin(getattr(model, name), torch)
            copy_weights(getattr(model, name), net, torch)
            setattr(self, name, net)
        lr, betas, total = model.config["lr"], (0.5, 0.999), model.config["steps"]
        self.opt_g = torch.optim.Adam(list(self.G.parameters()) + list(self.F.parameters()), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(list(self.D_A.parameters()) + list(self.D_B.parameters()), lr=lr, betas=betas)
        decay = lambda step: min(1.0, max(0.0, (total - step) / max(1, total - total // 2)))  # noqa: E731
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (self.opt_g, self.opt_d)]
        size = model.pools["A"].size
        self.pools = {"A": TorchImagePool(torch, size), "B": TorchImagePool(torch, size)}

    def step(self, images):
        m, F = self.model, self.torch.nn.functional
        a, b = images[:, :m.ca], images[:, m.ca:]
        ls = lambda scores, target: ((scores - target) ** 2).mean()  # noqa: E731
        thaw = frozen(list(self.D_A.parameters()) + list(self.D_B.parameters()))
        fake_b, fake_a = self.G(a), self.F(b)
        adv = ls(self.D_B(fake_b), 1.0) + ls(self.D_A(fake_a), 1.0)
        cyc = F.l1_loss(self.F(fake_b), a) + F.l1_loss(self.G(fake_a), b)
        loss_g = adv + m.lambda_cyc * cyc
        if m.lambda_id > 0:
            loss_g = loss_g + m.lambda_id * (F.l1_loss(self.G(b), b) + F.l1_loss(self.F(a), a))
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        thaw()
        pool_a, pool_b = self.pools["A"].query(fake_a.detach()), self.pools["B"].query(fake_b.detach())
        loss_d_a = 0.5 * (ls(self.D_A(a), 1.0) + ls(self.D_A(pool_a), 0.0))
        loss_d_b = 0.5 * (ls(self.D_B(b), 1.0) + ls(self.D_B(pool_b), 0.0))
        self.opt_d.zero_grad()
        (loss_d_a + loss_d_b).backward()
        self.opt_d.step()
        for s in self.schedulers:
            s.step()
        return {"loss_g": loss_g, "loss_g_adv": adv, "loss_cycle": cyc, "loss_d_a": loss_d_a, "loss_d_b": loss_d_b}


def build(batch, device="cpu", torch=None):
    import minigen as mg
    from minigen.models.cyclegan import CycleGAN
    images = embedded_images(CycleGAN, batch)
    model = build_model("cyclegan", batch, device, images.shape[1:])
    mimages = mg.tensor(images, device=device)
    ours = lambda: model.train_step(mimages, None)  # noqa: E731
    if torch is None:
        return Workload("cyclegan", batch, ours, device=device)
    theirs = TorchCycleGAN(model, torch)
    for name in ("G", "F", "D_A", "D_B"):
        getattr(theirs, name).to(device)
    timages = torch.tensor(images, device=device)
    return Workload("cyclegan", batch, ours, lambda: theirs.step(timages), device, torch)
