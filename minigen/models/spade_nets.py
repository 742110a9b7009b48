"""SPADE's generator (Park et al. 2019, appendix A), its input-concatenation baseline, and the
critic, sized by arguments.

SPADE generator, from noise z (N, nz) and the one-hot label map m (N, L, H, W):

    Linear(nz -> 4 ngf * 4 * 4), reshaped                          4 x 4
    SPADEResBlk(4 ngf -> 4 ngf), then per doubling up to H:
        nearest upsample x2, SPADEResBlk(c_in -> c_out)            8, 16, 32: 4 ngf, 2 ngf, ngf
    LeakyReLU(0.2) -> Conv 3x3 (-> 3) -> tanh                      H x W

    SPADEResBlk(x, m) = shortcut(x, m) + conv_1(lrelu(SPADE_1(conv_0(lrelu(SPADE_0(x, m))), m)))

with shortcut = conv_s(SPADE_s(x, m)) (1x1, no bias) when the widths differ, else x. Every
SPADE layer reads m again at its own resolution, so the label of a region reaches every layer
of the generator after its normalisation.

The baseline (``generator=concat``) has the same trunk with every SPADE replaced by instance
norm with a learned per-channel scale and shift (what SPADE's modulation generalises), and
the map entering only at the input, through an encoder of stride-2 convolutions each
followed by instance norm (pix2pixHD's encoder without its skip connections):

    Conv 3x3 (L -> ngf) IN lrelu, then Conv 4x4 s2 IN lrelu down to 4 x 4 (4 ngf)
    start = Linear(z) reshaped + encoder(m)

Critic: CycleGAN's PatchGAN (``cyclegan_nets.patchgan``) on the map and the image
concatenated (L + 3 channels): it judges whether each patch of image belongs with its labels.
"""
import math

from minigen import nn
from minigen.nn import functional as F

from .cyclegan_nets import patchgan


def check_size(size):
    if size < 8 or size & (size - 1):
        raise ValueError(f"spade: images of {size} px a side; the generator doubles from 4 x 4, so it "
                         "needs a power of two of at least 8 (the embedded set is 32)")
    return int(math.log2(size // 4))


def widths(ngf, doublings):
    """Widths of the trunk: 4 ngf at 4 x 4, then halving from the third block, never below ngf."""
    return [ngf * max(1, 4 // 2 ** max(0, i - 1)) for i in range(doublings + 1)]


class InstanceNormAffine(nn.Module):
    """The baseline's normalisation: instance norm with a learned per-channel scale and
    shift, ignoring the map (the same call signature as SPADE so the blocks are shared)."""

    def __init__(self, channels, label_nc=None, hidden=None):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x, segmap):
        return self.norm(x)


class SPADEResBlock(nn.Module):
    """The residual block of the module doc; ``norm`` is nn.SPADE or InstanceNormAffine."""

    def __init__(self, fin, fout, label_nc, hidden, norm=nn.SPADE):
        super().__init__()
        fmiddle = min(fin, fout)
        self.learned_shortcut = fin != fout
        self.conv_0 = nn.Conv2d(fin, fmiddle, 3, padding=1)
        self.conv_1 = nn.Conv2d(fmiddle, fout, 3, padding=1)
        self.norm_0 = norm(fin, label_nc, hidden=hidden)
        self.norm_1 = norm(fmiddle, label_nc, hidden=hidden)
        if self.learned_shortcut:
            self.conv_s = nn.Conv2d(fin, fout, 1, bias=False)
            self.norm_s = norm(fin, label_nc, hidden=hidden)

    def forward(self, x, segmap):
        x_s = self.conv_s(self.norm_s(x, segmap)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, segmap), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, segmap), 0.2))
        return x_s + dx


class SPADEGenerator(nn.Module):
    """G(z, m): z (N, nz), m (N, label_nc, size, size) one-hot -> (N, 3, size, size) in [-1, 1].
    ``kind`` "spade" (the paper) or "concat" (the baseline); see the module doc."""

    def __init__(self, nz, label_nc, size=32, ngf=16, hidden=32, kind="spade", out_channels=3):
        super().__init__()
        if kind not in ("spade", "concat"):
            raise ValueError(f"--set generator={kind!r}: expected 'spade' or 'concat'")
        doublings = check_size(size)
        self.nz, self.kind, self.ngf = nz, kind, ngf
        w = widths(ngf, doublings)
        self.fc = nn.Linear(nz, w[0] * 16)
        norm = nn.SPADE if kind == "spade" else InstanceNormAffine
        self.head = SPADEResBlock(w[0], w[0], label_nc, hidden, norm)
        self.up_blocks = nn.ModuleList([SPADEResBlock(a, b, label_nc, hidden, norm) for a, b in zip(w, w[1:])])
        self.conv_img = nn.Conv2d(w[-1], out_channels, 3, padding=1)
        if kind == "concat":
            layers = [nn.Conv2d(label_nc, ngf, 3, padding=1), nn.InstanceNorm2d(ngf), nn.LeakyReLU(0.2)]
            cin = ngf
            for i in range(doublings):
                cout = w[0] if i == doublings - 1 else min(w[0], ngf * 2 ** (i + 1))
                layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.InstanceNorm2d(cout), nn.LeakyReLU(0.2)]
                cin = cout
            self.encoder = nn.Sequential(*layers)

    def forward(self, z, segmap):
        x = self.fc(z).reshape(z.shape[0], -1, 4, 4)
        if self.kind == "concat":
            x = x + self.encoder(segmap)
            segmap = None  # the map enters only at the input
        x = self.head(x, segmap)
        for block in self.up_blocks:
            x = block(F.interpolate(x, scale_factor=2, mode="nearest"), segmap)
        return F.tanh(self.conv_img(F.leaky_relu(x, 0.2)))


def critic(label_nc, channels=3, ndf=16, n_layers=2):
    """D(m, x): the PatchGAN on (N, label_nc + channels, H, W); see the module doc."""
    return patchgan(label_nc + channels, ndf, n_layers)


class StyleEncoder(nn.Module):
    """SPADE's image encoder (the paper's section 3.3, smaller): an RGB image -> (mu, logvar)
    of a Gaussian over the noise z, trained as a VAE's encoder so that z carries the image's
    style (here its colours and texture) and z ~ N(0, I) at sampling draws styles:

        Conv 3x3 s2 (3 -> ngf) lrelu, then Conv 3x3 s2 IN lrelu (doubling) down to 4 x 4,
        flatten, Linear -> mu (nz), Linear -> logvar (nz)."""

    def __init__(self, nz, ngf, size):
        super().__init__()
        layers, c, side = [nn.Conv2d(3, ngf, 3, 2, 1), nn.LeakyReLU(0.2)], ngf, size // 2
        while side > 4:
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.InstanceNorm2d(2 * c, affine=True), nn.LeakyReLU(0.2)]
            c, side = 2 * c, side // 2
        self.net = nn.Sequential(*layers)
        self.fc_mu, self.fc_logvar = nn.Linear(c * side * side, nz), nn.Linear(c * side * side, nz)

    def forward(self, x):
        h = self.net(x).reshape(x.shape[0], -1)
        return self.fc_mu(h), self.fc_logvar(h)


def spade_init_(module):
    """Convolution and linear weights ~ N(0, 0.02), biases 0 (the authors' 'normal' init
    with gain 0.02); the norms' scales stay 1 and shifts 0."""
    from minigen.nn import init
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                init.zeros_(layer.bias)
    return module

