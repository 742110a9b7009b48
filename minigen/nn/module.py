"""``Module`` and ``Parameter``: how layers hold their weights (PyTorch's design).

A Module registers, in the order they are assigned, its Parameters (trained),
buffers (saved but not trained, e.g. batch norm's running mean) and sub-Modules.
They live in ordered dicts, never sets, so ``parameters()`` always lists them in the
same order (an optimizer's saved state refers to parameters by position) and
``state_dict()`` names them with dotted paths (``"0.weight"``, ``"encoder.conv1.bias"``)
exactly as PyTorch does, so a state dict moves between the two unchanged.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..creation import tensor as _tensor
from ..tensor import Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that is a trainable weight of a Module: a leaf with requires_grad=True.

    Assigning one to a Module attribute (``self.weight = Parameter(...)``) is what
    registers it. ``Parameter(t)`` shares ``t``'s array; anything else (a list, a number)
    is converted with ``minigen.tensor``'s dtype policy (Python floats become float32).
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        elif not (isinstance(data, np.ndarray) or backend.device_of(data) == "cuda"):
            data = _tensor(data).data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


# What load_state_dict returns (PyTorch's name and fields): the keys it could not match.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _RemovableHandle:
    """What ``register_forward_pre_hook`` returns: ``remove()`` takes the hook out again."""

    def __init__(self, hooks, key):
        self.hooks, self.key = hooks, key

    def remove(self):
        self.hooks.pop(self.key, None)


class Module:
    """Base class of every layer and model: subclasses call ``super().__init__()`` first,
    assign their Parameters, buffers and sub-Modules as attributes, and implement
    ``forward``. Calling the module calls ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration --------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               f"attributes (assigning {name!r})")
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} "
                                "(wrap it in minigen.nn.Parameter, or assign None)")
            self._parameters[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to sub-module {name!r} "
                                "(assign a Module or None)")
            self._modules[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        """Drop ``name`` from every store, so one name means one thing (a plain attribute
        left in __dict__ would shadow a Parameter registered later under the same name)."""
        for store in (self._parameters, self._buffers, self._modules, self.__dict__):
            store.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
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

    def _check_name(self, kind, name):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                               f"register_{kind}({name!r}, ...)")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"register_{kind}: name={name!r} must be a non-empty string without '.'")

    def register_buffer(self, name, tensor):
        """A tensor saved in ``state_dict`` and moved by ``to`` but not trained
        (batch norm's running statistics). ``None`` reserves the name."""
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: buffer {name!r} must be a Tensor or None, "
                            f"got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None to reserve the name, as a layer built
        with ``bias=False`` does)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    # --- traversal -------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for self and every sub-module, depth first; a module
        reachable twice (shared) is listed once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))  # reversed so the first child is visited first

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named(self, store, recurse):
        """(dotted name, tensor) from ``store`` of every module; a tensor shared by two
        modules is listed once, so an optimizer never updates it twice."""
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, t in getattr(module, store).items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, recurse=True):
        return self._named("_parameters", recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse=True):
        return self._named("_buffers", recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on self (PyTorch's order); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def num_parameters(self):
        """How many numbers training adjusts."""
        return int(sum(p.data.size for p in self.parameters()))

    # --- modes and devices ---------------------------------------------------------
    def train(self, mode=True):
        """Training mode (batch norm uses batch statistics, dropout drops) for self and
        every sub-module; each child's own ``train`` is called, so a subclass may extend it."""
        object.__setattr__(self, "training", bool(mode))
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter (freeze a network with False)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, device=None, dtype=None, **ignored):
        """Move every parameter and buffer (and gradient) to a device and/or cast the floating
        ones to a dtype, in place; returns self. PyTorch's forms: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``; ``non_blocking=`` is accepted.

        The Parameter objects stay the same, only their ``.data`` is replaced, so an
        optimizer built before the move still holds the right tensors. Integer buffers (batch
        norm's ``num_batches_tracked``) keep their dtype, as in PyTorch."""
        from ..ops.shape import to_arguments
        device, dtype = to_arguments(args, device, dtype)
        device = None if device is None else backend.check_device(device)
        for t in list(self.parameters()) + list(self.buffers()):
            for holder in (t, t.grad):
                if holder is None:
                    continue
                if dtype is not None and np.issubdtype(holder.data.dtype, np.floating):
                    holder.data = holder.data.astype(dtype, copy=False)
                if device is not None:
                    holder.data = backend.to_device(holder.data, device)
        return self

    def cuda(self, device=None):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def zero_grad(self):
        """Forget every parameter's gradient (set it to None, PyTorch's default): backward
        *adds* into ``.grad``, so each step must start from nothing."""
        for p in self.parameters():
            p.grad = None

    # --- saving --------------------------------------------------------------------
    def _state_tensors(self):
        """(key, tensor) in PyTorch's state_dict order: each module's own parameters, then
        its buffers, then its children's, depth first. Shared tensors appear under every
        name, as in PyTorch, so a key never depends on which module was visited first."""
        out = OrderedDict()

        def visit(module, prefix):
            for store in (module._parameters, module._buffers):
                for name, t in store.items():
                    if t is not None:
                        out[prefix + name] = t
            for name, child in module._modules.items():
                if child is not None:
                    visit(child, f"{prefix}{name}.")

        visit(self, "")
        return out

    def state_dict(self):
        """OrderedDict key -> host NumPy copy of every parameter and buffer (PyTorch's keys
        and order). Copies, so later training does not change a saved state."""
        return OrderedDict((k, backend.as_numpy(t.data).copy()) for k, t in self._state_tensors().items())

    def load_state_dict(self, state, strict=True):
        """Copy ``state``'s arrays (NumPy, CuPy or Tensors) into this module's tensors, in
        place: each tensor keeps its identity, dtype and device.

        strict=True: a key missing from ``state`` or one the module does not have is an
        error listing them. Shapes must always match. Everything is checked before
        anything is copied, so a failed load leaves the module as it was.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        own = self._state_tensors()
        # Batch norm's counter arrived with issue 15: a state dict saved before it (an older
        # minigen checkpoint) loads, its layers' counters staying at 0, as PyTorch does for
        # state dicts from before it had the buffer.
        missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
        values = {}
        for key, t in own.items():
            if key not in state:
                continue
            value = state[key]
            value = value.data if isinstance(value, Tensor) else value
            if not hasattr(value, "shape"):  # a list or a number
                value = np.asarray(value)
            if tuple(value.shape) != t.shape:
                raise ValueError(f"load_state_dict for {type(self).__name__}: {key!r} has shape "
                                 f"{tuple(value.shape)} in the state dict but {t.shape} in the model")
            # Convert now (to the tensor's dtype and device), so that a value that cannot be
            # converted (strings, objects) fails before the first tensor is touched.
            xp = backend.get_array_module(t.data)
            try:
                values[key] = xp.asarray(backend.to_device(value, t.device), dtype=t.dtype)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"load_state_dict for {type(self).__name__}: {key!r} cannot be "
                                 f"read as {t.dtype} ({exc}); nothing was loaded") from None
        with no_grad():
            for key, value in values.items():
                t = own[key]
                t.data[...] = value
                t._version += 1  # in place: a graph that saved the old value must notice
        return IncompatibleKeys(missing, unexpected)

    # --- calling and printing --------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        """forward(*args), after each forward pre-hook (hook(module, args) may return new
        args; spectral norm uses one to recompute the weight before every call)."""
        for hook in self.__dict__.get("_forward_pre_hooks", {}).values():
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before every forward (PyTorch's hook); returns a handle
        whose ``remove()`` unregisters it."""
        hooks = self.__dict__.setdefault("_forward_pre_hooks", OrderedDict())
        key = max(hooks, default=-1) + 1
        hooks[key] = hook
        return _RemovableHandle(hooks, key)

    def extra_repr(self):
        """The layer's settings, shown inside its repr's parentheses."""
        return ""

    def __repr__(self):
        # PyTorch's layout: settings on one line if there is nothing else, otherwise the
        # settings' lines and then "(name): child" lines, each indented by two spaces.
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        lines = extra + children
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        if not lines:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
