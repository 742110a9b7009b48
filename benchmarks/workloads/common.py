"""What every workload shares: the pair of step functions, a model built with its defaults,
a batch of images, and noise that both libraries see on the first step."""
import numpy as np


CHECKED_STEPS = 2   # the noise of this many first steps is shared, and their losses compared


class Workload:
    """One training step in minigen (``ours``) and, when PyTorch is given, the same step on
    the same networks in PyTorch (``theirs``; else None). Each call is one step and returns a
    dict name -> loss (a Tensor or a float) whose keys both sides share. The first call of each
    side sees the same data, weights and noise, so their first losses must agree
    (``check_losses``); so must the second's (``CHECKED_STEPS``), which start from weights
    each library's optimizers moved. Later calls draw fresh noise, as training does."""

    def __init__(self, name, batch, ours, theirs=None, device="cpu", torch=None):
        self.name, self.batch, self.ours, self.theirs, self.device = name, batch, ours, theirs, device
        self._torch = torch

    def fns(self):
        return [self.ours] + ([self.theirs] if self.theirs else [])

    def syncs(self):
        """Per fn, a wait for its device work before a clock reading (no-op on the CPU)."""
        if self.device != "cuda":
            return [lambda: None] * len(self.fns())
        from minigen import backend
        syncs = [lambda: backend.cupy.cuda.Device().synchronize()]
        return syncs + ([self._torch.cuda.synchronize] if self.theirs else [])


def check_losses(name, ours, theirs, rtol=1e-3):
    """The first step's losses of the two libraries agree on every key both return, to
    ``rtol`` of the larger of 1 and the loss (float32, different summation orders). Returns
    the compared {key: (minigen, PyTorch)}; raises RuntimeError naming the first that differs."""
    keys = [k for k in ours if k in theirs]
    if not keys:
        raise RuntimeError(f"{name}: the two steps return no loss of the same name to compare")
    pairs = {k: (_scalar(ours[k]), _scalar(theirs[k])) for k in keys}
    for k, (a, b) in pairs.items():
        if not abs(a - b) <= rtol * max(1.0, abs(b)):
            raise RuntimeError(f"{name}: minigen's first-step {k} is {a}, PyTorch's {b}: not the same computation")
    return pairs


def _scalar(loss):
    return float(loss.detach()) if hasattr(loss, "detach") else float(loss)


def build_model(name, batch, device="cpu", image_shape=(1, 28, 28), **options):
    """The registered model ``name`` with its defaults, ``batch_size`` = batch and ``options``,
    built after ``mg.manual_seed(0)``."""
    import minigen as mg
    from minigen.models import get_model_class
    cls = get_model_class(name)
    mg.manual_seed(0)
    return cls({**cls.resolve_settings(options), "batch_size": batch}, device=device, image_shape=image_shape)


def random_images(batch, shape=(1, 28, 28), seed=0):
    """(batch, *shape) float32 uniform in [-1, 1], as the GAN rows have always used."""
    return np.random.default_rng(seed).uniform(-1, 1, (batch,) + tuple(shape)).astype(np.float32)


def embedded_images(model_cls, batch):
    """The first ``batch`` training images of the model's embedded data in [-1, 1] (the data
    set repeated if it is shorter)."""
    from minigen.data import to_symmetric
    data = model_cls.load_data("embedded", "train").images
    index = np.arange(batch) % len(data)
    return to_symmetric(np.asarray(data[index]))


def replayed(draw):
    """What ``draw()`` returns, drawn from minigen's generator, which is then set back: the
    model's next step draws the very same numbers (so PyTorch can be handed them)."""
    from minigen import random as mg_random
    state = mg_random.get_rng_state()
    try:
        return draw()
    finally:
        mg_random.set_rng_state(state)


def frozen(params):
    """Set requires_grad False on ``params`` (PyTorch); returns a function that sets it back."""
    params = list(params)
    for p in params:
        p.requires_grad_(False)

    def thaw():
        for p in params:
            p.requires_grad_(True)
    return thaw
