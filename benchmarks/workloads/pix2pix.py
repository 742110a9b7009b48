"""pix2pix: ``Pix2Pix.train_step`` (defaults: the neon task, U-Net ngf 32 depth 5 with dropout,
PatchGAN ndf 32), batch 16 of the embedded 32 px pairs, against ``pix2pix_step.TorchPix2Pix``.
Dropout draws different masks in the two libraries, so the loss check builds both without it
(``CHECK_OPTIONS``)."""
from .common import Workload, embedded_images

DEFAULT_BATCH = 16
CHECK_OPTIONS = {"n_dropout": 0}


def build(batch, device="cpu", torch=None, **options):
    import minigen as mg
    from minigen.models.pix2pix import Pix2Pix
    from pix2pix_step import TorchPix2Pix
    from .common import build_model
    images = embedded_images(Pix2Pix, batch)
    model = build_model("pix2pix", batch, device, images.shape[1:], **options)
    mimages = mg.tensor(images, device=device)
    ours = lambda: model.train_step(mimages, None)  # noqa: E731
    if torch is None:
        return Workload("pix2pix", batch, ours, device=device)
    theirs = TorchPix2Pix(model, torch)
    for net in (theirs.G, theirs.D):
        net.to(device)
    timages = torch.tensor(images, device=device)
    return Workload("pix2pix", batch, ours, lambda: theirs.train_step(timages), device, torch)
