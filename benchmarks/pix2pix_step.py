"""The pix2pix model's training step in minigen against the same step in PyTorch, interleaved.

    python benchmarks/pix2pix_step.py [--threads 2] [--repeat 15] [--batch 16] [--task neon]

minigen: ``Pix2Pix.train_step`` itself (defaults: U-Net ngf 32 depth 5, PatchGAN ndf 32, Adam,
the LR schedule). PyTorch: the identical U-Net (``pix2pix_nets.UNetLayers`` over ``torch.nn``)
and PatchGAN (layer by layer from minigen's), minigen's initial weights copied, and the same
step written out: D on (x, y) and (x, G(x)) detached, then G's cGAN + 100 L1 with D frozen.
Before timing, the first step's losses are compared with dropout off (with it on, the two
frameworks draw different masks). Reported: median ms of --repeat steps after 3 warm-up steps,
the two frameworks alternating step by step, and the ratio minigen / PyTorch.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import machine, median_interleaved, set_threads  # noqa: E402
from workloads.twin import copy_weights, torch_twin  # noqa: E402


class TorchPix2Pix:
    """The pix2pix step of ``minigen/models/pix2pix.py`` in PyTorch, weights from ``model``."""

    def __init__(self, model, torch):
        from minigen.models.pix2pix_nets import UNetLayers

        class TorchUNet(UNetLayers, torch.nn.Module):
            pass
        self.torch, self.model, self.lambda_l1 = torch, model, model.lambda_l1
        g = model.G
        depth = len(g.down)
        n_dropout = sum(any(type(m).__name__ == "Dropout" for m in level) for level in g.up)
        self.G = TorchUNet(model.c_in, model.c_out, g.down[0].out_channels, depth, n_dropout, g.skips,
                           nn=torch.nn, cat=torch.cat)
        self.D = torch_twin(model.D, torch)
        copy_weights(model.G, self.G, torch)
        copy_weights(model.D, self.D, torch)
        total = model.config["steps"]
        decay = lambda step: min(1.0, max(0.0, (total - step) / max(1, total - total // 2)))  # noqa: E731
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=model.config["lr"], betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=model.config["lr"], betas=(0.5, 0.999))
        self.scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (self.opt_g, self.opt_d)]

    def train_step(self, images):
        torch, F = self.torch, self.torch.nn.functional
        x, y = images[:, self.model.slices[0]], images[:, self.model.slices[1]]
        fake = self.G(x)
        real_logits, fake_logits = self.D(torch.cat([x, y], 1)), self.D(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                        + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        for p in self.D.parameters():
            p.requires_grad_(False)
        logits = self.D(torch.cat([x, fake], 1))
        loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)) + self.lambda_l1 * F.l1_loss(fake, y)
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        for s in self.scheds:
            s.step()
        return {"loss_g": float(loss_g.detach()), "loss_d": float(loss_d.detach())}


def make(options, torch):
    import minigen as mg
    from minigen.models.pix2pix import Pix2Pix
    shape = Pix2Pix.load_data("embedded", "test").images.shape[1:]
    mg.manual_seed(0)
    model = Pix2Pix({**Pix2Pix.defaults, **options}, "cpu", shape)
    return model, TorchPix2Pix(model, torch), shape


def check_same_step(options, torch, batch):
    """First-step losses of both frameworks with dropout off must agree."""
    import numpy as np
    import minigen as mg
    model, theirs, shape = make({**options, "n_dropout": 0}, torch)
    images = np.random.default_rng(0).uniform(-1, 1, (batch,) + shape).astype(np.float32)
    ours = {k: float(v.item()) for k, v in model.train_step(mg.tensor(images), None).items()}
    other = theirs.train_step(torch.tensor(images))
    for k in ("loss_g", "loss_d"):
        if abs(ours[k] - other[k]) > 1e-3 * max(1.0, abs(other[k])):
            raise RuntimeError(f"{k}: minigen's first step gives {ours[k]}, PyTorch's {other[k]}")
    return ours, other


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--batch", type=int, default=None, help="default: the model's batch size")
    parser.add_argument("--task", default="neon", choices=("neon", "outline"))
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import numpy as np
    import torch
    import minigen as mg
    from minigen import allocator
    from minigen.models.pix2pix import Pix2Pix
    torch.set_num_threads(args.threads)
    allocator.keep_freed_memory()   # as `minigen train` does
    batch = args.batch or Pix2Pix.defaults["batch_size"]
    options = {"task": args.task}
    ours_loss, their_loss = check_same_step(options, torch, 4)
    model, theirs, shape = make(options, torch)
    images = np.random.default_rng(0).uniform(-1, 1, (batch,) + shape).astype(np.float32)
    mine, other = mg.tensor(images), torch.tensor(images)
    ms = median_interleaved([lambda: model.train_step(mine, None), lambda: theirs.train_step(other)],
                            [lambda: None, lambda: None], args.repeat)
    print(f"# pix2pix step ({args.task}), batch {batch}, threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# {machine('cpu')}, torch {torch.__version__}; first-step loss_g minigen {ours_loss['loss_g']:.6f} "
          f"PyTorch {their_loss['loss_g']:.6f} (dropout off)")
    print("| workload | batch | minigen ms | PyTorch ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| pix2pix {args.task} | {batch} | {ms[0] * 1e3:.1f} | {ms[1] * 1e3:.1f} | {ms[0] / ms[1]:.2f} |")


if __name__ == "__main__":
    main()
