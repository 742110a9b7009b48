"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``): LambdaLR, StepLR,
ExponentialLR, CosineAnnealingLR."""
import math


class LambdaLR:
    """lr = base_lr * lr_lambda(epoch) for each parameter group, set at construction
    (epoch 0) and on every ``step()`` (epoch 1, 2, ...). ``lr_lambda`` is one function, or a
    list with one per group. CycleGAN's schedule, constant then linear decay to 0, is
    ``LambdaLR(opt, lambda e: 1.0 - max(0, e - 100) / 100)``.

    The base lr is kept in each group as ``"initial_lr"`` (PyTorch's key), so the optimizer's
    own state dict carries it too.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        groups = optimizer.param_groups
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups)
        if len(lambdas) != len(groups):
            raise ValueError(f"LambdaLR: got {len(lambdas)} lr_lambdas for {len(groups)} parameter groups")
        if not all(callable(f) for f in lambdas):
            raise TypeError("LambdaLR: lr_lambda must be a function of the epoch (or a list of them)")
        self.lr_lambdas = lambdas
        self.base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in groups]
        self.last_epoch = last_epoch
        self.step()

    def _set_lrs(self):
        for g, base, f in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas):
            g["lr"] = base * f(self.last_epoch)

    def step(self):
        """Advance one epoch and set each group's lr."""
        self.last_epoch += 1
        self._set_lrs()

    def get_last_lr(self):
        """The lr of each group as set by the last ``step()``."""
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self):
        """The epoch counter and base lrs (the lambdas are code, so they are not saved)."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = list(state["base_lrs"])
        self._set_lrs()


class _ClosedFormLR(LambdaLR):
    """A schedule whose lr is a closed form of (epoch, base lr): ``lr_at``."""

    def __init__(self, optimizer, last_epoch=-1):
        super().__init__(optimizer, lambda epoch: 1.0, last_epoch)

    def lr_at(self, epoch, base_lr):
        raise NotImplementedError

    def _set_lrs(self):
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(self.last_epoch, base)


class StepLR(_ClosedFormLR):
    """lr = base_lr * gamma^floor(epoch / step_size): divided by 1/gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (isinstance(step_size, int) and step_size >= 1):
            raise ValueError(f"StepLR: step_size={step_size!r} must be a positive integer")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(_ClosedFormLR):
    """lr = base_lr * gamma^epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(_ClosedFormLR):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2 (Loshchilov & Hutter
    2017, without restarts): from base_lr down to eta_min at epoch T_max, then back up."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max={T_max} must be positive")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
