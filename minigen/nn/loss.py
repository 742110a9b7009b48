"""Loss modules (PyTorch's ``nn.BCELoss`` and friends): each holds ``reduction`` and calls
its function in ``minigen.nn.functional``, where the formulas are stated.

    criterion = nn.BCELoss()
    loss = criterion(D(x).view(-1), labels)
"""
from . import functional as F
from .module import Module


class _Loss(Module):
    function = None

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction={reduction!r} must be 'mean', 'sum' or 'none'")
        self.reduction = reduction

    def forward(self, input, target):
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class BCELoss(_Loss):
    """-[t log p + (1 - t) log(1 - p)] for probabilities p (after a sigmoid)."""
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """BCELoss of sigmoid(x), computed stably from the logits x."""
    function = staticmethod(F.binary_cross_entropy_with_logits)


class MSELoss(_Loss):
    """(x - t)^2."""
    function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """|x - t|."""
    function = staticmethod(F.l1_loss)


class CrossEntropyLoss(_Loss):
    """-log softmax(x)[t] for logits (N, K) and class indices (N,)."""
    function = staticmethod(F.cross_entropy)


class NLLLoss(_Loss):
    """-x[t] for log-probabilities (N, K) and class indices (N,)."""
    function = staticmethod(F.nll_loss)
