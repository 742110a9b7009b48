"""CycleGAN's networks (Zhu et al. 2017, appendix 7.2), with sizes as arguments.

ResNet generator ("c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-3" in the paper):

    ReflectionPad(3) -> Conv 7x7 (ngf) -> IN -> ReLU                      H x W
    Conv 3x3 s2 (2 ngf) -> IN -> ReLU;  Conv 3x3 s2 (4 ngf) -> IN -> ReLU  H/4 x W/4
    n residual blocks: x + [ReflPad(1) Conv3x3 IN ReLU ReflPad(1) Conv3x3 IN](x)
    ConvT 3x3 s2 (2 ngf) -> IN -> ReLU;  ConvT 3x3 s2 (ngf) -> IN -> ReLU  (output_padding 1)
    ReflectionPad(3) -> Conv 7x7 (C_out) -> tanh

Instance norm (no affine parameters, no running statistics) normalises each image by its own
statistics, so a translation does not depend on the other images in the batch.

PatchGAN critic: 4x4 convolutions, ``n_layers`` of them with stride 2, then two with stride 1;
no sigmoid (the least-squares loss takes raw scores). Each output scores one patch of the
input; the patch size is the receptive field, ``patchgan_receptive_field(n_layers)``:
70 pixels for n_layers = 3 (the paper's 70x70 PatchGAN at 256 px), 34 for n_layers = 2 (a
6x6 map of 34-pixel patches at 32 px).
"""
from minigen import nn


class ResidualBlock(nn.Module):
    """y = x + block(x): the block learns a correction, and the identity path lets the
    gradient and the image's content pass through unchanged."""

    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)


def resnet_generator(in_channels, out_channels, ngf=16, n_blocks=4):
    """(N, in_channels, H, W) -> (N, out_channels, H, W) in [-1, 1]; H and W divisible by 4."""
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU()]
    for mult in (1, 2):  # downsample twice
        layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, 2, 1), nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU()]
    layers += [ResidualBlock(ngf * 4) for _ in range(n_blocks)]
    for mult in (4, 2):  # and back up
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1),
                   nn.InstanceNorm2d(ngf * mult // 2), nn.ReLU()]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patchgan(in_channels, ndf=16, n_layers=2):
    """(N, in_channels, H, W) -> a map of patch scores (N, 1, H / 2^n_layers - 2, ...)."""
    layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
    width = ndf
    for i in range(1, n_layers):
        out = ndf * min(2 ** i, 8)
        layers += [nn.Conv2d(width, out, 4, 2, 1), nn.InstanceNorm2d(out), nn.LeakyReLU(0.2)]
        width = out
    out = ndf * min(2 ** n_layers, 8)
    layers += [nn.Conv2d(width, out, 4, 1, 1), nn.InstanceNorm2d(out), nn.LeakyReLU(0.2),
               nn.Conv2d(out, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


def patchgan_receptive_field(n_layers):
    """Pixels of input one output of ``patchgan(n_layers=...)`` sees: walking back from one
    output through each k x k, stride s layer, r <- (r - 1) s + k."""
    r = 1
    for stride in reversed([2] * n_layers + [1, 1]):
        r = (r - 1) * stride + 4
    return r
