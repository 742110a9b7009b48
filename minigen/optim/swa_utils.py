"""Weight averaging (PyTorch's ``torch.optim.swa_utils``): a copy of a model whose parameters
follow a running average of the trained model's.

A GAN's generator never settles: each step moves it against a critic that moved too, so its
weights wander around a good point. Sampling from an exponential moving average of the
weights (Yazici et al. 2019; Karras et al. 2018 for the GAN practice)

    theta_ema <- decay * theta_ema + (1 - decay) * theta

averages that wandering away at no training cost. Usage, as in PyTorch:

    ema_G = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    ...after each optimizer step:  ema_G.update_parameters(G)
    samples = ema_G(z)

``get_ema_avg_fn(decay, warmup=True)`` starts with a short memory, decay_t =
min(decay, (1 + t) / (10 + t)) at the t-th update, so that the average is not dominated by
the random initial weights for the first ~1/(1 - decay) steps.
"""
import copy

import numpy as np

from ..nn.module import Module
from ..tensor import Tensor, no_grad


def get_ema_avg_fn(decay=0.999, warmup=False):
    """avg_fn(averaged, current, num_averaged) -> the new average, for one parameter's
    array: decay * averaged + (1 - decay) * current, with decay_t = min(decay,
    (1 + t) / (10 + t)) when ``warmup`` (t = num_averaged)."""
    if not 0 <= decay < 1:
        raise ValueError(f"get_ema_avg_fn: decay={decay} must lie in [0, 1)")

    def ema_update(averaged, current, num_averaged):
        d = min(decay, (1 + num_averaged) / (10 + num_averaged)) if warmup else decay
        return d * averaged + (1 - d) * current
    return ema_update


def get_ema_multi_avg_fn(decay=0.999, warmup=False):
    """The same average applied to lists of arrays in place (PyTorch's multi_avg_fn form)."""
    one = get_ema_avg_fn(decay, warmup)

    def ema_update(averaged_list, current_list, num_averaged):
        for a, c in zip(averaged_list, current_list):
            a[...] = one(a, c, num_averaged)
    return ema_update


def get_swa_avg_fn():
    """The equal-weight average of SWA: averaged + (current - averaged) / (t + 1)."""
    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters are averaged by ``update_parameters``.

    avg_fn(averaged, current, num_averaged) -> array, or multi_avg_fn(averaged_list,
    current_list, num_averaged) in place; default: the equal-weight SWA average.
    use_buffers: average the buffers too (batch norm's running statistics); when False
    (PyTorch's default) the buffers are copied from ``model`` at each update instead, so the
    copy normalises with the statistics of the model it follows.
    The first update copies the model; ``n_averaged`` counts the updates."""

    def __init__(self, model, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.register_buffer("n_averaged", Tensor(np.zeros((), dtype=np.int64)))
        object.__setattr__(self, "avg_fn", avg_fn)
        object.__setattr__(self, "multi_avg_fn", multi_avg_fn)
        object.__setattr__(self, "use_buffers", use_buffers)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        mine, theirs = list(self.module.parameters()), list(model.parameters())
        if self.use_buffers:
            mine += list(self.module.buffers())
            theirs += list(model.buffers())
        if len(mine) != len(theirs):
            raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs)} tensors "
                             f"to average, the copy {len(mine)}: not the model it was made from")
        return mine, theirs

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average (copy them on the first call)."""
        mine, theirs = self._pairs(model)
        n = int(self.n_averaged.data)
        with no_grad():
            if n == 0:
                for a, c in zip(mine, theirs):
                    a.data[...] = c.data
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn([a.data for a in mine], [c.data for c in theirs], n)
            else:
                fn = self.avg_fn or get_swa_avg_fn()
                for a, c in zip(mine, theirs):
                    if np.issubdtype(a.data.dtype, np.floating):
                        a.data[...] = fn(a.data, c.data, n)
                    else:  # integer buffers (a counter) are copied, not averaged
                        a.data[...] = c.data
            if not self.use_buffers:
                for a, c in zip(self.module.buffers(), model.buffers()):
                    a.data[...] = c.data
            for a in mine:
                a._version += 1
        self.n_averaged.data[...] = n + 1
