"""PyTorch twins of minigen networks: the same layers, the same parameter names, the same
initial weights, so that one training step can be timed in both libraries.

Builders that take the layer library as ``nn`` (``gan_nets``, ``srgan_nets``, ``UNetLayers``)
make their twin themselves; ``torch_twin`` covers the networks built from minigen's layers
only (CycleGAN's ResNet generator and PatchGAN): it walks the module tree and makes each
layer's PyTorch namesake from the layer's own settings.
"""


def copy_weights(src, dst, torch):
    """minigen module -> PyTorch module with the same parameter names and layouts."""
    state = {k: torch.tensor(v) for k, v in src.state_dict().items()}
    missing, unexpected = dst.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError(f"weights do not line up: missing {missing}, unexpected {unexpected}")


def _residual_class(torch):
    class ResidualBlock(torch.nn.Module):
        """y = x + block(x), as ``cyclegan_nets.ResidualBlock``."""

        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return x + self.block(x)
    return ResidualBlock


def torch_twin(module, torch):
    """The PyTorch network with ``module``'s structure (weights not copied: ``copy_weights``).
    Raises TypeError naming a layer it has no twin for, rather than guessing."""
    tnn = torch.nn
    kind = type(module).__name__
    if kind in ("Sequential", "ModuleList"):
        return getattr(tnn, kind)(*[torch_twin(m, torch) for m in module])
    if kind == "ResidualBlock":
        return _residual_class(torch)(torch_twin(module.block, torch))
    if kind in ("Conv2d", "ConvTranspose2d"):
        args = dict(stride=module.stride, padding=module.padding, dilation=module.dilation,
                    groups=module.groups, bias=module.bias is not None)
        if kind == "ConvTranspose2d":
            args["output_padding"] = module.output_padding
        return getattr(tnn, kind)(module.in_channels, module.out_channels, module.kernel_size, **args)
    if kind == "InstanceNorm2d":
        return tnn.InstanceNorm2d(module.num_features, eps=module.eps, affine=module.affine)
    if kind == "BatchNorm2d":
        return tnn.BatchNorm2d(module.num_features, eps=module.eps, momentum=module.momentum, affine=module.affine)
    if kind == "ReflectionPad2d":
        return tnn.ReflectionPad2d(module.padding)
    if kind == "LeakyReLU":
        return tnn.LeakyReLU(module.negative_slope)
    if kind in ("ReLU", "Tanh", "Sigmoid"):
        return getattr(tnn, kind)()
    raise TypeError(f"torch_twin: no PyTorch twin for {kind} ({module!r})")
