"""``Module`` and ``Parameter``: how layers hold their weights (PyTorch's design).

A Module registers, in the order they are assigned, its Parameters (trained),
buffers (saved but not trained, e.g. batch norm's running mean) and sub-Modules;
``parameters()`` walks them all, ``state_dict()`` names them with dotted paths
(``"0.weight"``, ``"encoder.conv1.bias"``) exactly as PyTorch does.
"""
from collections import OrderedDict

import numpy as np

from .. import backend
from ..tensor import Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that is a trainable weight of a Module (a leaf with requires_grad=True)."""

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model: subclasses set attributes in ``__init__``
    (after calling ``super().__init__()``) and implement ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration --------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               f"attributes (assigning {name!r})")
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} "
                                "(wrap it in minigen.nn.Parameter)")
            self._parameters[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(store)
            if d is not None and name in d:
                return d[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor):
        """A tensor saved in ``state_dict`` and moved by ``to`` but not trained."""
        self._buffers[name] = tensor

    def register_parameter(self, name, param):
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    # --- traversal -------------------------------------------------------------------
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named(self, store):
        seen = set()
        for prefix, module in self.named_modules():
            for name, t in getattr(module, store).items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self):
        return self._named("_parameters")

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self):
        return self._named("_buffers")

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on self (PyTorch's order)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes and devices ---------------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        """Move every parameter and buffer to ``device`` in place; returns self."""
        device = backend.check_device(device)
        for t in list(self.parameters()) + list(self.buffers()):
            t.data = backend.to_device(t.data, device)
            if t.grad is not None:
                t.grad = Tensor(backend.to_device(t.grad.data, device))
        return self

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    # --- saving --------------------------------------------------------------------
    def state_dict(self):
        """name -> host NumPy copy of every parameter and buffer, in registration order."""
        out = OrderedDict()
        for name, t in list(self.named_parameters()) + list(self.named_buffers()):
            out[name] = backend.as_numpy(t.data).copy()
        return out

    def load_state_dict(self, state, strict=True):
        """Copy ``state``'s arrays into this module's tensors (keeping their device).

        strict: every key must match (missing or unexpected keys are errors);
        shapes must always match."""
        own = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        with no_grad():
            for name, t in own.items():
                if name not in state:
                    continue
                value = np.asarray(backend.as_numpy(state[name].data if isinstance(state[name], Tensor)
                                                   else state[name]))
                if value.shape != t.shape:
                    raise ValueError(f"load_state_dict: {name!r} has shape {value.shape} in the state "
                                     f"dict but {t.shape} in the model")
                t.data = backend.to_device(value.astype(t.dtype, copy=True), t.device)
                t._version += 1
        return self

    # --- calling and printing --------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"

    def num_parameters(self):
        return int(sum(p.data.size for p in self.parameters()))
