"""Containers: ``Sequential`` (modules applied one after another, the way most generators
and discriminators are written), ``ModuleList`` and ``ModuleDict`` (sub-modules held in a
list or a dict, registered so that their parameters are found)."""
from collections import OrderedDict

from .module import Module


class Sequential(Module):
    """y = module_k(... module_1(module_0(x))). Children are named "0", "1", ..., so the
    state dict keys are ``"0.weight"``, ``"3.running_mean"``, as in PyTorch.

    Indexable (``net[0]``, ``net[-1]``; a slice gives a new Sequential sharing the
    modules), iterable and sized.
    """

    def __init__(self, *modules):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: argument {len(self)} is a {type(module).__name__}, not a Module")
        setattr(self, str(len(self)), module)
        return self

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential: index {index} is out of range for {len(modules)} modules")
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules, children "0", "1", ... (state dict keys "0.weight", as PyTorch);
    unlike Sequential it has no forward: the owner decides how to call them."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: item {len(self)} is a {type(module).__name__}, not a Module")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        modules = list(self._modules.values())
        return ModuleList(modules[index]) if isinstance(index, slice) else modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules, children named by their keys (state dict keys "key.weight")."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in (OrderedDict(modules) if modules is not None else {}).items():
            self[name] = module

    def __setitem__(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {name!r} is a {type(module).__name__}, not a Module")
        setattr(self, name, module)

    def __getitem__(self, name):
        return self._modules[name]

    def __contains__(self, name):
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
