"""vae: ``classic._Steps.vae_step`` (the ``vae`` model's networks, sum BCE + KL), batch 64
(the model's default; ``run.py``'s first table times it at 128)."""
from .classic import MinigenSteps, TorchSteps
from .common import Workload

DEFAULT_BATCH = 64


def build(batch, device="cpu", torch=None):
    import numpy as np
    rng = np.random.default_rng(0)
    ours = MinigenSteps(device)
    theirs = TorchSteps(device, ours) if torch else None
    x = (rng.uniform(0, 1, (batch, 1, 28, 28)) > 0.5).astype(np.float32)
    eps = rng.standard_normal((batch, 16)).astype(np.float32)
    mx, me = ours.mg.tensor(x, device=device), ours.mg.tensor(eps, device=device)
    step_theirs = None
    if theirs:
        tx, te = theirs.data(x), theirs.data(eps)
        step_theirs = lambda: {"loss": theirs.vae_step(tx, te)}  # noqa: E731
    return Workload("vae", batch, lambda: {"loss": ours.vae_step(mx, me)}, step_theirs, device, torch)
