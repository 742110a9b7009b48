"""The super-resolution networks: document 004's "encoder/decoder borrowing U-Net's design,
with residual blocks and skip connections", made concrete and sized for a laptop CPU.

Generator (``UNetSR``), for a low-resolution image enlarged to the output grid H x W by
bicubic interpolation, x (N, C, H, W) (no new information yet, just the right grid):

    head:    Conv 3x3 (w)                                  H x W      -> skip s0
             ResBlock(w)
    down 1:  Conv 3x3 s2 (2w) -> ReLU -> ResBlock(2w)      H/2 x W/2  -> skip s1
    down 2:  Conv 3x3 s2 (4w) -> ReLU -> ResBlock(4w) x n  H/4 x W/4  (the bottleneck; for x4
                                                                     this is the LR grid itself)
    up 1:    Up(4w -> 2w) -> cat(s1) -> Conv 1x1 (2w) -> ReLU    H/2 x W/2
    up 2:    Up(2w -> w)  -> cat(s0) -> Conv 1x1 (w)  -> ReLU    H x W
    tail:    Conv 3x3 (C);   y = x + tail    (the net predicts the detail bicubic misses)

The encoder (downsampling path) gathers context; the decoder (upsampling path) puts detail
back at the high resolution, and the skips (U-Net, Ronneberger et al. 2015) hand it each
level's fine features, which the bottleneck has lost. ResBlock(c): y = x + Conv(ReLU(Conv(x)))
(3x3, c channels) without batch norm, as in EDSR (Lim et al. 2017): SR needs each image's own
intensity range, which batch statistics would blur across the batch.

``Up(c_in -> c_out)``, doubling H and W, by ``upsample`` =
    "pixelshuffle" (default): Conv 3x3 (4 c_out) -> PixelShuffle(2) -> ReLU  (sub-pixel
                              convolution, Shi et al. 2016: computed at the low resolution)
    "nearest" | "bilinear":   Upsample(x2) -> Conv 3x3 (c_out) -> ReLU         (resize-convolution,
                              Odena et al. 2016: no checkerboard by construction)
    "transpose":              ConvTranspose 4x4 s2 (c_out) -> ReLU              (DCGAN's; 4 is divisible
                              by 2, so the overlap is even, but its four output phases use different
                              taps and can learn a checkerboard; a 3x3 s2 one has it built in, lesson 07)

Critic (``patch_critic``): Conv 3x3 (d) -> LReLU -> Conv 4x4 s2 (d) -> LReLU -> Conv 4x4 s2 (2d)
-> LReLU -> Conv 3x3 (1): a map (N, 1, H/4, W/4) of logits, one per overlapping 20 x 20 patch
(PatchGAN, Isola et al. 2017): texture is local, and a patch critic works at any image size.

Each builder takes the layer library as ``nn`` (default ``minigen.nn``): ``torch.nn`` builds
the same network in PyTorch, for ``benchmarks/srgan_step.py``.
"""
import minigen
import minigen.nn

UPSAMPLES = ("pixelshuffle", "nearest", "bilinear", "transpose")


def _cat(nn):
    """The concatenation of the library ``nn`` belongs to (minigen.cat or torch.cat)."""
    if nn is minigen.nn:
        return minigen.cat
    import torch
    return torch.cat


def residual_block(channels, nn=minigen.nn):
    class ResBlock(nn.Module):
        """y = x + Conv(ReLU(Conv(x))): the block learns a correction; the identity path
        carries the image and the gradient through unchanged."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.ReLU(),
                                      nn.Conv2d(channels, channels, 3, 1, 1))

        def forward(self, x):
            return x + self.body(x)
    return ResBlock()


def up_block(c_in, c_out, mode="pixelshuffle", nn=minigen.nn):
    """(N, c_in, h, w) -> (N, c_out, 2h, 2w) by ``mode`` (see the module docstring)."""
    if mode == "pixelshuffle":
        return nn.Sequential(nn.Conv2d(c_in, 4 * c_out, 3, 1, 1), nn.PixelShuffle(2), nn.ReLU())
    if mode in ("nearest", "bilinear"):
        return nn.Sequential(nn.Upsample(scale_factor=2, mode=mode), nn.Conv2d(c_in, c_out, 3, 1, 1), nn.ReLU())
    if mode == "transpose":
        return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.ReLU())
    raise ValueError(f"--set upsample={mode!r}: expected one of {', '.join(UPSAMPLES)}")


def unet_generator(channels=1, width=16, n_blocks=2, upsample="pixelshuffle", nn=minigen.nn):
    """UNetSR: bicubic-enlarged x (N, channels, H, W), H and W divisible by 4 -> y, same shape."""
    cat = _cat(nn)
    w = width

    class UNetSR(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Conv2d(channels, w, 3, 1, 1)
            self.enc0 = residual_block(w, nn)
            self.enc1 = nn.Sequential(nn.Conv2d(w, 2 * w, 3, 2, 1), nn.ReLU(), residual_block(2 * w, nn))
            self.bottleneck = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.ReLU(),
                                            *[residual_block(4 * w, nn) for _ in range(n_blocks)])
            self.up1 = up_block(4 * w, 2 * w, upsample, nn)
            self.fuse1 = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 1), nn.ReLU())
            self.up2 = up_block(2 * w, w, upsample, nn)
            self.fuse2 = nn.Sequential(nn.Conv2d(2 * w, w, 1), nn.ReLU())
            self.tail = nn.Conv2d(w, channels, 3, 1, 1)

        def forward(self, x):
            s0 = self.enc0(self.head(x))
            s1 = self.enc1(s0)
            h = self.bottleneck(s1)
            h = self.fuse1(cat([self.up1(h), s1], dim=1))
            h = self.fuse2(cat([self.up2(h), s0], dim=1))
            return x + self.tail(h)
    return UNetSR()


def patch_critic(channels=1, width=32, nn=minigen.nn):
    """(N, channels, H, W) -> patch logits (N, 1, H/4, W/4), H and W divisible by 4."""
    d = width
    return nn.Sequential(nn.Conv2d(channels, d, 3, 1, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(d, d, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(d, 2 * d, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(2 * d, 1, 3, 1, 1))


def patch_receptive_field():
    """Input pixels one critic logit sees: walking back through each k x k, stride s layer,
    r <- (r - 1) s + k."""
    r = 1
    for k, s in reversed([(3, 1), (4, 2), (4, 2), (3, 1)]):
        r = (r - 1) * s + k
    return r
