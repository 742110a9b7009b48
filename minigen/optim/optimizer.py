"""The Optimizer base class: parameter groups, per-parameter state, saving.

An optimizer changes parameters *in place* (their ``.data``), outside any graph, and
bumps each parameter's version so that a graph recorded before the step, and used
after it, is caught instead of silently giving wrong gradients.
"""
from .. import backend
from ..tensor import Tensor, enable_grad, no_grad


class Optimizer:
    """Holds ``param_groups`` (PyTorch's: a list of dicts, each with ``"params"`` and its
    hyperparameters such as ``"lr"``) and ``state`` (per-parameter arrays such as Adam's
    moments, created on the parameter's device at its first step).

    ``params`` is an iterable of Tensors (``model.parameters()``) or of dicts
    ``{"params": [...], "lr": ...}`` whose missing hyperparameters take the defaults.
    Subclasses implement ``update(p, grad, group, state)`` on raw arrays, in place.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or dicts, "
                            "got a single Tensor (write [p] or model.parameters())")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}  # id(param) -> dict of arrays and numbers
        for group in (params if isinstance(params[0], dict) else [{"params": params}]):
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add ``{"params": [...], hyperparameter: value, ...}`` (missing ones from defaults)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict with 'params'")
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: parameter {i} (shape {p.shape}) is not a leaf "
                                 "tensor; optimize the tensors you created, not results of ops")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} (shape {p.shape}) appears twice; "
                                 "it would be updated twice per step")
            seen.add(id(p))
        self.param_groups.append({**self.defaults, **group, "params": params})

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set them to None, PyTorch's default; zeros with
        ``set_to_none=False``). backward adds into ``.grad``, so without this each step would
        use the sum of all past gradients."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = p.grad.detach() * 0

    def step(self, closure=None):
        """One update of every parameter that has a gradient (those whose ``.grad`` is None
        are skipped). ``closure``, if given, recomputes and returns the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.setdefault(id(p), {})
                    self.update(p.data, p.grad.data, group, state)
                    p._version += 1  # in place: a graph that saved p must notice
        return loss

    def update(self, p, grad, group, state):
        """Change the array ``p`` in place from ``grad``, the group's hyperparameters and
        this parameter's ``state`` dict (empty at its first step)."""
        raise NotImplementedError

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    # --- saving --------------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: {name: host array or number}}, "param_groups": [...]}``
        (PyTorch's format): parameters are referred to by their position across all
        groups, so the state can be loaded into a new optimizer over a new model."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {index[k]: {name: (backend.as_numpy(v).copy() if hasattr(v, "shape") else v)
                            for name, v in s.items()}
                 for k, s in self.state.items() if k in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and per-parameter state saved by ``state_dict`` (arrays
        are copied to each parameter's device and dtype). The groups must have the same
        sizes, and each state array the shape of its parameter."""
        params = self._params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or \
                [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved optimizer has groups of "
                             f"{[len(g['params']) for g in groups]} parameters, this one "
                             f"{[len(g['params']) for g in self.param_groups]}")
        state = {}
        for i, saved in state_dict["state"].items():
            p = params[int(i)]
            own = {}
            for name, v in saved.items():
                if hasattr(v, "shape") and v.ndim > 0:
                    if tuple(v.shape) != p.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: state {name!r} of "
                                         f"parameter {i} has shape {tuple(v.shape)}, the parameter {p.shape}")
                    v = backend.to_device(v.astype(p.dtype, copy=True), p.device)
                own[name] = v
            state[id(p)] = own
        for own, saved in zip(self.param_groups, groups):
            for k, v in saved.items():
                if k != "params":
                    # a saved file turns tuples (Adam's betas) into lists; keep our type
                    own[k] = tuple(v) if isinstance(own.get(k), tuple) else v
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
