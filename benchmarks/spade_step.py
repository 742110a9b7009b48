"""The spade model's training step, minigen against the same networks in PyTorch, interleaved.

    python benchmarks/spade_step.py [--threads 1] [--repeat 15] [--generator spade|concat]

minigen: ``SPADE.train_step`` of the model with its defaults (batch 8, 32 px). PyTorch: the
same generator, critic (spectral norm on its convolutions), hinge + feature-matching step and
Adam settings written with torch.nn below, started from minigen's weights; the first step of
both is checked to give the same losses. Reported: the median of --repeat steps of each after
2 warm-up steps, timed alternately (``timing.median_interleaved``), and their ratio.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import machine, median_interleaved, set_threads  # noqa: E402
from workloads.twin import torch_twin  # noqa: E402


def torch_networks(torch, model):
    """PyTorch twins of ``model.G`` and ``model.D`` (minigen/models/spade_nets.py), same names."""
    tnn, tF = torch.nn, torch.nn.functional
    g = model.G

    class SPADE(tnn.Module):
        def __init__(self, layer):
            super().__init__()
            self.param_free_norm = tnn.InstanceNorm2d(layer.norm_nc, affine=False)
            self.mlp_shared = tnn.Sequential(tnn.Conv2d(layer.label_nc, layer.hidden, 3, padding=1), tnn.ReLU())
            self.mlp_gamma = tnn.Conv2d(layer.hidden, layer.norm_nc, 3, padding=1)
            self.mlp_beta = tnn.Conv2d(layer.hidden, layer.norm_nc, 3, padding=1)

        def forward(self, x, segmap):
            segmap = tF.interpolate(segmap, size=x.shape[2:], mode="nearest")
            actv = self.mlp_shared(segmap)
            return self.param_free_norm(x) * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)

    class IN(tnn.Module):
        def __init__(self, layer):
            super().__init__()
            self.norm = tnn.InstanceNorm2d(layer.norm.num_features, affine=True)

        def forward(self, x, segmap):
            return self.norm(x)

    def norm(layer):
        return SPADE(layer) if type(layer).__name__ == "SPADE" else IN(layer)

    def conv(c):
        return torch_twin(c, torch)

    class Block(tnn.Module):
        def __init__(self, b):
            super().__init__()
            self.learned_shortcut = b.learned_shortcut
            self.conv_0, self.conv_1 = conv(b.conv_0), conv(b.conv_1)
            self.norm_0, self.norm_1 = norm(b.norm_0), norm(b.norm_1)
            if b.learned_shortcut:
                self.conv_s, self.norm_s = conv(b.conv_s), norm(b.norm_s)

        def forward(self, x, segmap):
            x_s = self.conv_s(self.norm_s(x, segmap)) if self.learned_shortcut else x
            dx = self.conv_0(tF.leaky_relu(self.norm_0(x, segmap), 0.2))
            dx = self.conv_1(tF.leaky_relu(self.norm_1(dx, segmap), 0.2))
            return x_s + dx

    def sequential(seq):
        return torch_twin(seq, torch)

    class Generator(tnn.Module):
        def __init__(self):
            super().__init__()
            self.kind = g.kind
            self.fc = tnn.Linear(g.fc.in_features, g.fc.out_features)
            self.head = Block(g.head)
            self.up_blocks = tnn.ModuleList([Block(b) for b in g.up_blocks])
            self.conv_img = conv(g.conv_img)
            if g.kind == "concat":
                self.encoder = sequential(g.encoder)

        def forward(self, z, segmap):
            x = self.fc(z).reshape(z.shape[0], -1, 4, 4)
            if self.kind == "concat":
                x = x + self.encoder(segmap)
            for block in [self.head, *self.up_blocks]:
                if block is not self.head:
                    x = tF.interpolate(x, scale_factor=2, mode="nearest")
                x = block(x, segmap)
            return torch.tanh(self.conv_img(tF.leaky_relu(x, 0.2)))

    d = sequential(model.D)
    if model.config.get("spectral_norm", True):
        for layer in d:
            if isinstance(layer, tnn.Conv2d):
                tnn.utils.spectral_norm(layer)
    return Generator(), d


class TorchStep:
    """model.train_step written in PyTorch (minigen/models/spade.py)."""

    def __init__(self, torch, model):
        self.torch, self.model = torch, model
        self.G, self.D = torch_networks(torch, model)
        for src, dst in ((model.G, self.G), (model.D, self.D)):
            state = {k: torch.tensor(v) for k, v in src.state_dict().items()}
            missing, unexpected = dst.load_state_dict(state, strict=False)
            if unexpected or missing:
                raise RuntimeError(f"weights do not line up: missing {missing}, unexpected {unexpected}")
        lr, factor = model.config["lr"], model.config["d_lr_factor"]
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=(0.0, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr * factor, betas=(0.0, 0.999))

    def features(self, m, x):
        h, feats = self.torch.cat([m, x], 1), []
        for layer in self.D:
            h = layer(h)
            if isinstance(layer, self.torch.nn.LeakyReLU):
                feats.append(h)
        return feats, h

    def step(self, m, real, z, z2=None):
        """One step; z2 is the second noise of the mode-seeking term (when lambda_ms > 0)."""
        torch, F = self.torch, self.torch.nn.functional
        for p in self.D.parameters():
            p.requires_grad_(False)
        fake = self.G(z, m)
        ff, scores = self.features(m, fake)
        with torch.no_grad():
            rf, _ = self.features(m, real)
        fm = sum((f - r).abs().mean() for f, r in zip(ff, rf))
        loss_g = -scores.mean() + self.model.lambda_fm * fm
        if self.model.lambda_ms > 0:   # 1 / (mean |G(z) - G(z2)| / mean |z - z2| + 1e-5)
            ratio = (fake - self.G(z2, m)).abs().mean() / (z - z2).abs().mean()
            loss_g = loss_g + self.model.lambda_ms / (ratio + 1e-5)
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        for p in self.D.parameters():
            p.requires_grad_(True)
        loss_d = F.relu(1 - self.features(m, real)[1]).mean() + F.relu(1 + self.features(m, fake.detach())[1]).mean()
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        return {"loss_g": loss_g.item(), "loss_d": loss_d.item()}


def build_pair(torch, batch=None, generator="spade", device="cpu"):
    """(the spade model with its defaults, its PyTorch twin ``TorchStep``, minigen's label | RGB
    batch, PyTorch's [maps, rgb, z of each of the model's first steps]): the first steps of the two
    compute the same losses. ``batch``: default the model's; the embedded training images."""
    import minigen as mg
    from minigen.models.spade import SPADE
    from workloads.common import CHECKED_STEPS, build_model, embedded_images, replayed
    batch = batch or SPADE.defaults["batch_size"]
    array = embedded_images(SPADE, batch)
    model = build_model("spade", batch, device, array.shape[1:], generator=generator)
    images = mg.tensor(array, device=device)
    theirs = TorchStep(torch, model)
    m, real = model.split(images)
    # the noise of the model's first steps: z, and the mode-seeking term's z2 drawn after it

    def draws():
        z = mg.randn(len(real), model.nz)
        return z, (mg.randn(len(real), model.nz) if model.lambda_ms > 0 else None)

    def tt(t):
        return None if t is None else torch.tensor(t.numpy(), device=device)
    zs = replayed(lambda: [draws() for _ in range(CHECKED_STEPS)])
    return model, theirs, images, [tt(m), tt(real)] + [(tt(z), tt(z2)) for z, z2 in zs]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--generator", choices=("spade", "concat"), default="spade")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import torch
    from minigen import allocator
    torch.set_num_threads(args.threads)
    allocator.keep_freed_memory()
    model, theirs, images, (tm, treal, first, _) = build_pair(torch, generator=args.generator)
    ours_losses = model.train_step(images, None)
    theirs_losses = theirs.step(tm, treal, *first)
    print(f"# first step, loss_g / loss_d: minigen {float(ours_losses['loss_g']):.6f} / "
          f"{float(ours_losses['loss_d']):.6f}, PyTorch {theirs_losses['loss_g']:.6f} / {theirs_losses['loss_d']:.6f}")
    tz, tz2 = torch.randn(len(treal), model.nz), torch.randn(len(treal), model.nz)
    times = median_interleaved([lambda: model.train_step(images, None), lambda: theirs.step(tm, treal, tz, tz2)],
                               [lambda: None, lambda: None], args.repeat)
    print(f"# {machine('cpu')}, torch {torch.__version__}, threads {args.threads}")
    print("| workload | batch | minigen ms | PyTorch ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| spade step ({args.generator}) | {len(treal)} | {times[0] * 1e3:.1f} | {times[1] * 1e3:.1f} | "
          f"{times[0] / times[1]:.2f}x |")


if __name__ == "__main__":
    main()
