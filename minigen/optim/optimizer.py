"""The Optimizer base class: parameter groups, per-parameter state, saving."""
from .. import backend
from ..tensor import no_grad


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyperparameters, as in
    PyTorch) and ``state`` (per-parameter arrays such as Adam's moments).
    Subclasses implement ``update(p, grad, group, state)`` on raw arrays, in place."""

    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups = [{**self.defaults, **g, "params": list(g["params"])} for g in groups]
        self.state = {}  # id(param) -> dict

    def zero_grad(self):
        """Forget the gradients (set them to None, PyTorch's default)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self):
        """One update of every parameter that has a gradient."""
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.setdefault(id(p), {})
                    self.update(p.data, p.grad.data, group, state)
                    p._version += 1  # in place: a graph that saved p must notice

    def update(self, p, grad, group, state):
        raise NotImplementedError

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self):
        """{"state": {index: {name: array or number}}, "param_groups": [...]}, indices
        counting parameters across groups in order (PyTorch's format)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[k]: {n: (backend.as_numpy(v).copy() if hasattr(v, "shape") else v) for n, v in s.items()}
                 for k, s in self.state.items() if k in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        params = self._params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or \
                [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved optimizer has groups of "
                             f"{[len(g['params']) for g in groups]} parameters, this one "
                             f"{[len(g['params']) for g in self.param_groups]}")
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {n: (backend.to_device(v.astype(p.dtype, copy=True), p.device)
                                     if hasattr(v, "shape") and v.ndim > 0 else v) for n, v in s.items()}
