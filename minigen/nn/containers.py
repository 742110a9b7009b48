"""``Sequential``: modules applied one after another, the way most generators and
discriminators are written."""
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
