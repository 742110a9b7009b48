"""Every registered model's training step as a benchmark workload, minigen against PyTorch.

One module per model (``dcgan.py``, ``cgan.py``, ...), each with ``DEFAULT_BATCH`` (the
model's own batch size) and ``build(batch, device, torch)`` -> ``common.Workload``: minigen's
step and, with torch given, the same networks, weights and step in PyTorch.

    build("cyclegan", 8, torch=torch).ours()       # one minigen step, its losses
    check("cyclegan", torch)                        # the first steps' losses agree, or raise
"""
import importlib

# name -> (module, extra keyword arguments of its build)
WORKLOADS = {
    "dcgan": ("dcgan", {}),
    "cgan": ("cgan", {}),
    "wgan": ("wgan", {"name": "wgan"}),
    "wgan-gp": ("wgan", {"name": "wgan-gp"}),
    "vae": ("vae", {}),
    "cyclegan": ("cyclegan", {}),
    "srgan-pixel": ("srgan", {"name": "srgan-pixel"}),
    "srgan": ("srgan", {"name": "srgan"}),
    "pix2pix": ("pix2pix", {}),
    "spade": ("spade", {}),
}
NAMES = tuple(WORKLOADS)


def module(name):
    if name not in WORKLOADS:
        raise ValueError(f"workload {name!r} is not one of: {', '.join(NAMES)}")
    return importlib.import_module(f"{__name__}.{WORKLOADS[name][0]}")


def default_batch(name):
    return module(name).DEFAULT_BATCH


def build(name, batch, device="cpu", torch=None, **options):
    """``name``'s Workload at ``batch``: minigen's step, and PyTorch's when ``torch`` is given."""
    return module(name).build(batch, device=device, torch=torch, **WORKLOADS[name][1], **options)


def check(name, torch, batch=4, device="cpu"):
    """Build both at ``batch`` (with the module's ``CHECK_OPTIONS``, e.g. dropout off), take
    ``common.CHECKED_STEPS`` steps of each and compare each step's losses
    (``common.check_losses``); returns the pairs of the last step."""
    from .common import CHECKED_STEPS, check_losses
    options = getattr(module(name), "CHECK_OPTIONS", {})
    work = build(name, batch, device, torch, **options)
    for step in range(1, CHECKED_STEPS + 1):
        pairs = check_losses(f"{name} (step {step})", work.ours(), work.theirs())
    return pairs
