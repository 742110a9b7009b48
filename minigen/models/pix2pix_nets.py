"""Pix2Pix's generator: a U-Net (Ronneberger et al. 2015; Isola et al. 2017, appendix 6.1.1).

An encoder of ``depth`` 4x4 stride-2 convolutions halves the image down to 1 x 1, and a
decoder of 4x4 stride-2 transposed convolutions doubles it back; decoder level i also reads
encoder level i's output, concatenated on the channels (the skip connection):

    e1 = Conv(x)                                          C_in  -> w1      H/2
    e_i = Conv(LeakyReLU_0.2(e_{i-1})) -> IN              w_{i-1} -> w_i   H/2^i
    e_d = Conv(LeakyReLU_0.2(e_{d-1}))                    (1 x 1: no norm to take)
    u_d = ConvT(ReLU(e_d)) -> IN [-> Dropout]             back to H/2^(d-1)
    u_i = ConvT(ReLU(cat[e_i, u_{i+1}])) -> IN [-> Dropout]
    y   = tanh(ConvT(ReLU(cat[e_1, u_2])))                C_out, H x W

with widths w_i = ngf * min(2^(i-1), 8) (the paper's C64-C128-C256-C512-C512-... at ngf = 64).
Dropout(0.5) on the first ``n_dropout`` decoder levels is the generator's only noise, as in the
paper (a noise input z was simply ignored by the generator in their experiments).

Why the skips: the output's edges sit where the input's are; without a skip, every such detail
must squeeze through the 1 x 1 bottleneck. ``skips=False`` builds the plain encoder-decoder
(the paper's ablation, figure 3): decoder level i then reads u_{i+1} alone.

Instance norm (no affine parameters) in place of the paper's batch norm: the paper trains
with batch size 1 and normalises at test time with the test image's own statistics, which
*is* instance norm; here batches are larger, and instance norm keeps that per-image meaning.

``UNetLayers`` holds the architecture with the layer library as an argument ``nn`` and its
``cat`` (minigen's in ``UNet``), so that ``benchmarks/pix2pix_step.py`` can build the identical
PyTorch network as ``class TorchUNet(UNetLayers, torch.nn.Module)``.
"""
import minigen
import minigen.nn


def unet_widths(ngf, depth):
    """Channels of encoder levels 1..depth: ngf * min(2^(i-1), 8)."""
    return [ngf * min(2 ** i, 8) for i in range(depth)]


class UNetLayers:
    """The U-Net's layers and forward, for a Module class of library ``nn`` (see the module doc)."""

    def __init__(self, in_channels, out_channels, ngf=32, depth=5, n_dropout=3, skips=True,
                 dropout=0.5, nn=None, cat=None):
        nn = nn or minigen.nn
        super().__init__()  # the Module base class that comes after this one
        if depth < 2:
            raise ValueError(f"UNet: depth={depth}; expected at least 2 levels")
        self.skips, self._cat = skips, cat or minigen.cat
        w = unet_widths(ngf, depth)
        down = [nn.Conv2d(in_channels, w[0], 4, 2, 1)]
        for i in range(1, depth):
            norm = [nn.InstanceNorm2d(w[i])] if i < depth - 1 else []  # the innermost map is 1 x 1
            down.append(nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(w[i - 1], w[i], 4, 2, 1), *norm))
        up = []
        for i in range(depth - 1, 0, -1):      # decoder level i+1 -> i (innermost first)
            width_in = w[i] * (2 if skips and i < depth - 1 else 1)
            layers = [nn.ReLU(), nn.ConvTranspose2d(width_in, w[i - 1], 4, 2, 1), nn.InstanceNorm2d(w[i - 1])]
            if depth - 1 - i < n_dropout:
                layers.append(nn.Dropout(dropout))
            up.append(nn.Sequential(*layers))
        up.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(w[0] * (2 if skips else 1), out_channels, 4, 2, 1),
                                nn.Tanh()))
        self.down, self.up = nn.ModuleList(down), nn.ModuleList(up)

    def encode(self, x):
        """The encoder's outputs e_1 .. e_depth (the skips), finest first."""
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        return skips

    def forward(self, x):
        skips = self.encode(x)
        h = self.up[0](skips[-1])
        for layer, skip in zip(self.up[1:], reversed(skips[:-1])):
            h = layer(self._cat([skip, h], 1) if self.skips else h)
        return h


class UNet(UNetLayers, minigen.nn.Module):
    """(N, in_channels, H, W) -> (N, out_channels, H, W) in [-1, 1]; H and W divisible by
    2^depth (depth 5 at 32 px takes the image to 1 x 1)."""
