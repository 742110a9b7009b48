"""The DCGAN generator and discriminator (Radford et al. 2016), shared by every GAN model.

28x28 digits (the GAN issue's networks):

    G: z (N, nz, 1, 1) -> ConvT(nz, 2w, 7, 1, 0) -> BN -> ReLU      (N, 2w, 7, 7)
                       -> ConvT(2w, w, 4, 2, 1)  -> BN -> ReLU      (N, w, 14, 14)
                       -> ConvT(w, C, 4, 2, 1)   -> tanh            (N, C, 28, 28)
    D: x (N, C, 28, 28) -> Conv(C, d, 4, 2, 1)   -> LeakyReLU(0.2)  (N, d, 14, 14)
                        -> Conv(d, 2d, 4, 2, 1)  -> norm -> LeakyReLU(0.2)  (N, 2d, 7, 7)
                        -> Conv(2d, 1, 7, 1, 0)                     (N, 1, 1, 1): a logit / score

with w = 128 and d = 64 by default (G: 256 -> 128 channels, D: 64 -> 128).

64x64 (CelebA), Radford et al.'s figure 1 scaled by w: four transposed convolutions
4x4 -> 8 -> 16 -> 32 -> 64 in G (8w, 4w, 2w, w channels) and the mirror image in D.

D never ends in a sigmoid: the GAN losses take logits (BCE-with-logits, stable for any
logit), and a Wasserstein critic's output is a score, not a probability.

Each builder takes the layer library as ``nn`` (default ``minigen.nn``): passing ``torch.nn``
builds the identical PyTorch network, which is how ``benchmarks/run.py`` times both.
"""
import minigen.nn

NORMS = ("batch", "layer", "none")


def _norm(nn, kind, channels, size):
    """The critic's normalisation: batch norm (DCGAN, WGAN), layer norm over (C, H, W) or
    nothing (WGAN-GP: its penalty is per sample, and batch norm mixes the samples)."""
    if kind == "batch":
        return [nn.BatchNorm2d(channels)]
    if kind == "layer":
        return [nn.LayerNorm((channels, size, size))]
    if kind == "none":
        return []
    raise ValueError(f"--set critic_norm={kind!r}: expected one of {', '.join(NORMS)}")


def _check_size(size):
    if size not in (28, 64):
        raise ValueError(f"the DCGAN networks are sized for 28x28 or 64x64 images, not {size}x{size} "
                         "(MNIST-like data is 28x28; CelebA is prepared at 64x64)")


def generator(nz=100, channels=1, size=28, width=128, nn=minigen.nn):
    """G: z (N, nz, 1, 1) -> images (N, channels, size, size) in [-1, 1]."""
    _check_size(size)
    if size == 28:
        widths = [2 * width, width]
        layers = [nn.ConvTranspose2d(nz, widths[0], 7, 1, 0)]
    else:
        widths = [8 * width, 4 * width, 2 * width, width]
        layers = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0)]
    layers += [nn.BatchNorm2d(widths[0]), nn.ReLU()]
    for cin, cout in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU()]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(channels=1, size=28, width=64, norm="batch", nn=minigen.nn):
    """D: images (N, channels, size, size) -> one logit or score per image, (N, 1, 1, 1)."""
    _check_size(size)
    widths = [width, 2 * width] if size == 28 else [width, 2 * width, 4 * width, 8 * width]
    layers = [nn.Conv2d(channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2)]
    side = size // 2
    for cin, cout in zip(widths, widths[1:]):
        side //= 2
        layers += [nn.Conv2d(cin, cout, 4, 2, 1), *_norm(nn, norm, cout, side), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(widths[-1], 1, side, 1, 0)]  # one output over the whole side x side map
    return nn.Sequential(*layers)
