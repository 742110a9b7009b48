"""dcgan: ``classic._Steps.dcgan_step`` (D on a real and a fake batch, then G), batch 64."""
from .classic import MinigenSteps, TorchSteps
from .common import Workload, random_images

DEFAULT_BATCH = 64


def build(batch, device="cpu", torch=None):
    import numpy as np
    ours = MinigenSteps(device)
    theirs = TorchSteps(device, ours) if torch else None
    real = random_images(batch)
    z = np.random.default_rng(1).standard_normal((batch, 100, 1, 1)).astype(np.float32)
    mr, mz = ours.mg.tensor(real, device=device), ours.mg.tensor(z, device=device)
    step_theirs = None
    if theirs:
        tr, tz = theirs.data(real), theirs.data(z)
        step_theirs = lambda: {"loss_g": theirs.dcgan_step(tr, tz)}  # noqa: E731
    return Workload("dcgan", batch, lambda: {"loss_g": ours.dcgan_step(mr, mz)}, step_theirs, device, torch)
