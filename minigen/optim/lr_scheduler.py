"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``)."""


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
