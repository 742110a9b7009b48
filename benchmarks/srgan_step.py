"""The srgan model's training steps, minigen against the same networks in PyTorch.

    OMP_NUM_THREADS=1 python benchmarks/srgan_step.py [--batch 16] [--repeat 15] [--scale 4]
                                                      [--threads 1] [--dcgan]

Times, interleaved step by step (``timing.median_interleaved``): minigen's own
``SRGAN.train_step`` in phase 1 (pixel loss) and in phase 2 (critic + pixel + content +
adversarial), and the same two steps written in PyTorch on networks built by the same
builders (``srgan_nets`` with ``nn=torch.nn``) holding minigen's initial weights. The first
step's losses of the two are compared before timing (same computation). ``--dcgan`` adds the
dcgan model's step at batch 64 (``run.py``'s), the reference the default step count is sized
against. Prints a Markdown table: median ms per step and the ratio minigen / PyTorch.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import machine, median_interleaved  # noqa: E402


def build_minigen(batch, scale, device="cpu"):
    import minigen as mg
    from minigen.models import get_model_class
    mg.manual_seed(0)
    cls = get_model_class("srgan")
    settings = {**cls.defaults, "scale": scale, "batch_size": batch}
    return cls(settings, device=device, image_shape=(1, 28, 28))


class TorchSRGAN:
    """The srgan model's two steps in PyTorch, on copies of the minigen model's weights."""

    def __init__(self, ours):
        import torch
        from minigen.models.srgan_nets import patch_critic, unet_generator
        from workloads.twin import copy_weights
        self.torch, self.F = torch, torch.nn.functional
        cfg = ours.config
        self.G = unet_generator(1, cfg["width"], cfg["n_blocks"], cfg["upsample"], nn=torch.nn)
        self.D = patch_critic(1, cfg["d_width"], nn=torch.nn)
        nn = torch.nn
        self.phi = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU())
        copy_weights(ours.G, self.G, torch)
        copy_weights(ours.D, self.D, torch)
        self.phi.load_state_dict({k.replace("body.", ""): torch.tensor(v) for k, v in
                                  ours.features.net.state_dict().items() if k.startswith("body.") and
                                  int(k.split(".")[1]) < 4})
        for p in self.phi.parameters():
            p.requires_grad_(False)
        self.lr_shape, self.lambdas = ours.lr_shape, ours.lambdas
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg["lr"], betas=(0.9, 0.999))
        self.opt_g_adv = torch.optim.Adam(self.G.parameters(), lr=cfg["adv_lr"], betas=(0.9, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg["adv_lr"], betas=(0.9, 0.999))

    def inputs(self, y):
        with self.torch.no_grad():
            lr = self.F.interpolate(y, size=self.lr_shape, mode="area")
            return self.F.interpolate(lr, size=y.shape[2:], mode="bicubic", align_corners=False)

    def features(self, y):
        return self.phi((y + 1) * 0.5 - 0.5)

    def phase1_step(self, y):
        """The pixel step; the content loss is measured without a gradient, as the model logs it."""
        y_hat = self.G(self.inputs(y))
        loss = self.F.l1_loss(y_hat, y)
        self.opt_g.zero_grad()
        loss.backward()
        self.opt_g.step()
        with self.torch.no_grad():
            content = self.F.mse_loss(self.features(y_hat), self.features(y))
        return {"loss_pixel": loss, "loss_content": content}

    def phase2_step(self, y):
        bce = self.F.binary_cross_entropy_with_logits
        y_hat = self.G(self.inputs(y))
        real, fake = self.D(y), self.D(y_hat.detach())
        loss_d = bce(real, self.torch.ones_like(real)) + bce(fake, self.torch.zeros_like(fake))
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        for p in self.D.parameters():
            p.requires_grad_(False)
        fake = self.D(y_hat)
        with self.torch.no_grad():
            target = self.features(y)
        parts = {"loss_pixel": self.F.l1_loss(y_hat, y), "loss_g_adv": bce(fake, self.torch.ones_like(fake)),
                 "loss_content": self.F.mse_loss(self.features(y_hat), target)}
        total = sum(self.lambdas[k] * parts[f"loss_{k}"] for k in ("pixel", "content"))
        total = total + self.lambdas["adv"] * parts["loss_g_adv"]
        self.opt_g_adv.zero_grad()
        total.backward()
        self.opt_g_adv.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        return {**parts, "loss_d": loss_d}


def build_pair(batch, scale, phase, torch, device="cpu"):
    """(the srgan model, its PyTorch twin), the model set to take its next step in ``phase``
    (1: the pixel loss; 2: critic + pixel + content + adversarial)."""
    ours = build_minigen(batch, scale, device)
    if phase == 2:
        ours.pixel_steps, ours.step = 0, 1   # in phase 2 from the first call
    return ours, TorchSRGAN(ours) if torch else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dcgan", action="store_true", help="also time the dcgan step at batch 64")
    args = p.parse_args(argv)
    import numpy as np
    import torch
    import minigen as mg
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    y = rng.uniform(-1, 1, (args.batch, 1, 28, 28)).astype(np.float32)
    ty, my = torch.tensor(y), mg.tensor(y)

    from workloads.common import check_losses
    ours1, theirs1 = build_pair(args.batch, args.scale, 1, torch)
    ours2, theirs2 = build_pair(args.batch, args.scale, 2, torch)
    # the same computation: the first step's losses agree (float32, different summation orders)
    check_losses("srgan phase 1", ours1.train_step(my, None), theirs1.phase1_step(ty))
    check_losses("srgan phase 2", ours2.train_step(my, None), theirs2.phase2_step(ty))
    fns = [lambda: ours1.train_step(my, None), lambda: theirs1.phase1_step(ty),
           lambda: ours2.train_step(my, None), lambda: theirs2.phase2_step(ty)]
    names = ["srgan phase 1", "srgan phase 1", "srgan phase 2", "srgan phase 2"]
    if args.dcgan:
        from workloads import dcgan
        fns.append(dcgan.build(64).ours)
        names.append("dcgan (reference)")
    times = median_interleaved(fns, [lambda: None] * len(fns), args.repeat)
    print(f"machine: {machine('cpu')}; threads {args.threads}; batch {args.batch}; scale x{args.scale}")
    print("| step | batch | minigen ms | PyTorch ms | minigen / PyTorch |")
    print("|---|---|---|---|---|")
    for k in (0, 2):
        print(f"| {names[k]} | {args.batch} | {times[k] * 1e3:.1f} | {times[k + 1] * 1e3:.1f} | "
              f"{times[k] / times[k + 1]:.2f} |")
    if args.dcgan:
        print(f"| dcgan step (reference) | 64 | {times[4] * 1e3:.1f} | | |")
    return times


if __name__ == "__main__":
    main()
