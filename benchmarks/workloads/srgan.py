"""srgan: ``SRGAN.train_step`` at scale 4, batch 16, against ``srgan_step.TorchSRGAN``:
name "srgan" is the phase-2 step (critic, then G on pixel + content + adversarial losses),
"srgan-pixel" the phase-1 step (the pixel loss, the content loss measured without a gradient)."""
from .common import Workload, random_images

DEFAULT_BATCH = 16


def build(batch, device="cpu", torch=None, name="srgan"):
    import minigen as mg
    from srgan_step import build_pair
    phase = 1 if name == "srgan-pixel" else 2
    ours, theirs = build_pair(batch, 4, phase, torch, device)
    y = random_images(batch)
    my = mg.tensor(y, device=device)
    step_ours = lambda: ours.train_step(my, None)  # noqa: E731
    if theirs is None:
        return Workload(name, batch, step_ours, device=device)
    for net in (theirs.G, theirs.D, theirs.phi):
        net.to(device)
    ty = torch.tensor(y, device=device)
    step = theirs.phase1_step if phase == 1 else theirs.phase2_step
    return Workload(name, batch, step_ours, lambda: step(ty), device, torch)
