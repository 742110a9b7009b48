"""spade: ``SPADE.train_step`` (defaults: SPADE generator ngf 16, spectral-norm critic, hinge +
feature matching + the mode-seeking term when lambda_ms > 0), batch 8 of the embedded 32 px label | RGB images, against
``spade_step.TorchStep``, handed the z of the model's first steps."""
from .common import Workload

DEFAULT_BATCH = 8


def build(batch, device="cpu", torch=None):
    if torch is None:
        import minigen as mg
        from minigen.models.spade import SPADE
        from .common import build_model, embedded_images
        array = embedded_images(SPADE, batch)
        model = build_model("spade", batch, device, array.shape[1:])
        images = mg.tensor(array, device=device)
        return Workload("spade", batch, lambda: model.train_step(images, None), device=device)
    from spade_step import build_pair
    model, theirs, images, (tm, treal, *first) = build_pair(torch, batch, device=device)
    for net in (theirs.G, theirs.D):
        net.to(device)

    def step_theirs():
        if first:
            return theirs.step(tm, treal, *first.pop(0))
        return theirs.step(tm, treal, torch.randn(len(treal), model.nz, device=device),
                           torch.randn(len(treal), model.nz, device=device))
    return Workload("spade", batch, lambda: model.train_step(images, None), step_theirs, device, torch)
