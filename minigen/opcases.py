"""The op cases: small random inputs on which every op is gradchecked.

``minigen selfcheck`` and ``tests/test_op_gradients.py`` both run these. Which
``Function`` classes a case exercises is *measured* (``Function.invoked``), not declared,
and a test asserts that together the cases exercise every Function in the package:
an op added without a case fails CI.

A case builds float64 inputs with a fixed seed. Ops with kinks (relu, abs, max, clamp)
get inputs kept away from the kink, since a central difference straddling a kink
measures the average of two slopes, not either one.
"""
from dataclasses import dataclass, field

import numpy as np

from . import backend
from .tensor import Tensor
from . import ops


@dataclass
class OpCase:
    name: str
    fn: object                 # Tensors -> Tensor (or tuple of Tensors)
    shapes: tuple              # one shape per input; every input requires grad
    low: float = None          # inputs drawn uniformly from [low, high] when given ...
    high: float = None
    away_from: tuple = ()      # ... and pushed at least 0.05 away from these points
    second_order: bool = True  # also run gradgradcheck
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    devices: tuple = ("cpu", "cuda")
    extra: dict = field(default_factory=dict)
    group: str = "core"

    def inputs(self, device="cpu", seed=0):
        rng = np.random.default_rng(seed)
        xs = []
        for shape in self.shapes:
            if self.low is not None:
                x = rng.uniform(self.low, self.high, size=shape)
            else:
                x = rng.standard_normal(size=shape)
            for point in self.away_from:
                close = np.abs(x - point) < 0.05
                x = np.where(close, point + np.where(x >= point, 0.05, -0.05) + x - point, x)
            xs.append(Tensor(backend.to_device(np.asarray(x, dtype=np.float64), device),
                             requires_grad=True))
        return xs


def _case(*args, **kwargs):
    return OpCase(*args, **kwargs)


CASES = [
    # --- arithmetic, broadcasting both ways, 0-d scalars --------------------------------
    _case("add", lambda a, b: a + b, ((3, 4), (4,))),
    _case("add broadcast both ways", lambda a, b: a + b, ((2, 1, 4), (3, 1))),
    _case("add 0-d", lambda a, b: a + b, ((), (3,))),
    _case("sub", lambda a, b: a - b, ((3, 1), (1, 4))),
    _case("mul", lambda a, b: a * b, ((2, 3, 4), (3, 1))),
    _case("mul 0-d", lambda a, b: a * b, ((), ())),
    _case("div", lambda a, b: a / b, ((3, 4), (4,)), low=0.5, high=2.0),
    _case("rdiv scalar", lambda a: 2.0 / a, ((3, 4),), low=0.5, high=2.0),
    _case("pow scalar", lambda a: a ** 3, ((3, 4),)),
    _case("pow tensor", lambda a, b: a ** b, ((3, 4), (4,)), low=0.5, high=2.0),
    _case("neg", lambda a: -a, ((3, 4),)),
    _case("matmul 2-D", lambda a, b: a @ b, ((3, 4), (4, 5))),
    _case("matmul batched broadcast", lambda a, b: a @ b, ((2, 3, 4), (4, 5))),
    _case("matmul batch both", lambda a, b: a @ b, ((2, 1, 3, 4), (3, 4, 2))),
    _case("matmul vector", lambda a, b: a @ b, ((4,), (4, 3))),
    _case("matmul matrix-vector", lambda a, b: a @ b, ((3, 4), (4,))),
    # --- elementwise ----------------------------------------------------------------
    _case("exp", lambda a: a.exp(), ((3, 4),)),
    _case("log", lambda a: a.log(), ((3, 4),), low=0.5, high=3.0),
    _case("sqrt", lambda a: a.sqrt(), ((3, 4),), low=0.5, high=3.0),
    _case("abs", lambda a: a.abs(), ((3, 4),), away_from=(0.0,)),
    _case("tanh", lambda a: a.tanh(), ((3, 4),)),
    _case("sigmoid", lambda a: a.sigmoid(), ((3, 4),)),
    _case("relu", lambda a: a.relu(), ((3, 4),), away_from=(0.0,)),
    _case("leaky_relu", lambda a: ops.leaky_relu(a, 0.2), ((2, 3, 4),), away_from=(0.0,)),
    _case("softplus", lambda a: ops.softplus(a), ((3, 4),)),
    _case("clamp", lambda a: ops.clamp(a, -0.5, 0.5), ((3, 4),), away_from=(-0.5, 0.5)),
    _case("maximum", lambda a, b: ops.maximum(a, b), ((3, 4), (4,))),
    _case("minimum", lambda a, b: ops.minimum(a, b), ((3, 4), (3, 1))),
    _case("where", lambda a, b: ops.where(a.data > 0, a, b), ((3, 4), (4,)), away_from=(0.0,)),
    # --- reductions -----------------------------------------------------------------
    _case("sum all", lambda a: a.sum(), ((3, 4),)),
    _case("sum axis=(0, 2) keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), ((2, 3, 4),)),
    _case("sum axis=-1", lambda a: a.sum(axis=-1), ((2, 3, 4),)),
    _case("mean axis=1", lambda a: a.mean(axis=1), ((2, 3, 4),)),
    _case("var ddof=0", lambda a: a.var(axis=0, ddof=0), ((5, 3),)),
    _case("var ddof=1 keepdims", lambda a: a.var(axis=(0, 2), keepdims=True, ddof=1), ((4, 2, 3),)),
    _case("max axis=1", lambda a: a.max(axis=1), ((3, 5),)),
    _case("min all", lambda a: a.min(), ((3, 5),)),
    _case("logsumexp", lambda a: ops.logsumexp(a, axis=-1), ((3, 5),)),
    _case("log_softmax", lambda a: ops.log_softmax(a, axis=1), ((3, 5),)),
    _case("softmax", lambda a: ops.softmax(a, axis=0), ((3, 5),)),
    # --- shape ----------------------------------------------------------------------
    _case("reshape", lambda a: a.reshape(4, -1), ((2, 3, 4),)),
    _case("transpose", lambda a: a.transpose(2, 0, 1), ((2, 3, 4),)),
    _case("T", lambda a: a.T, ((3, 4),)),
    _case("transpose two dims", lambda a: a.transpose(0, 2), ((2, 3, 4),)),
    _case("clone", lambda a: a.clone() * a, ((3, 4),)),
    _case("flatten", lambda a: a.flatten(1), ((2, 3, 4),)),
    _case("squeeze/unsqueeze", lambda a: a.unsqueeze(0).squeeze(2), ((3, 1, 4),)),
    _case("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), ((3, 1),)),
    _case("getitem basic", lambda a: a[1:, ::2, -1], ((3, 4, 5),)),
    _case("getitem integer array (repeats)", lambda a: a[[0, 2, 0], 1:], ((3, 4),)),
    _case("getitem boolean mask", lambda a: a[a.data > 0], ((3, 4),), away_from=(0.0,)),
    _case("cat", lambda a, b: ops.cat([a, b], axis=1), ((2, 3), (2, 2))),
    _case("stack", lambda a, b: ops.stack([a, b], axis=-1), ((2, 3), (2, 3))),
    _case("pad constant", lambda a: ops.pad(a, (1, 2, 0, 1), value=0.5), ((2, 3, 4),)),
    _case("pad reflect", lambda a: ops.pad(a, (2, 1, 1, 2), mode="reflect"), ((1, 2, 4, 5),)),
    # float32 holds ~7 digits, so its central differences need a larger eps and atol.
    _case("cast float32", lambda a: a.float().double() * a.float(), ((3, 4),),
          eps=1e-3, atol=1e-3, rtol=1e-2),
    _case("to device", lambda a: (a.to("cpu") * 2).to("cuda"), ((3, 4),), devices=("cuda",)),
]


# ----------------------------------------------------------------------------- layers (minigen.nn.functional)


def _nn_cases():
    from .nn import functional as F
    from .random import manual_seed

    def const(*shape, seed=1, low=None, high=None):
        rng = np.random.default_rng(seed)
        x = rng.uniform(low, high, size=shape) if low is not None else rng.standard_normal(shape)
        return Tensor(x.astype(np.float64))

    running_mean, running_var = const(3), const(3, low=0.5, high=2.0)
    labels = Tensor(np.array([0, 2, 1, 2]))
    bce_target = const(3, 4, low=0.0, high=1.0)

    def on(constant, like):
        """A case's constant on the device of its input (the cases run on either device)."""
        return constant.to(like.device)

    def seeded_dropout(x):
        manual_seed(7)  # the same mask on every call, or finite differences see noise
        return F.dropout(x, p=0.4, training=True)

    def nn(name, fn, shapes, **kw):
        return OpCase(name, fn, shapes, group="nn", **kw)

    conv = F.conv2d
    return [
        nn("conv2d k3 s1 p1", lambda x, w, b: conv(x, w, b, padding=1), ((2, 3, 5, 5), (4, 3, 3, 3), (4,))),
        nn("conv2d k4 s2 p1 no bias", lambda x, w: conv(x, w, stride=2, padding=1), ((2, 2, 6, 6), (3, 2, 4, 4))),
        nn("conv2d s3 p2 non-square", lambda x, w: conv(x, w, stride=3, padding=2), ((1, 2, 7, 5), (2, 2, 3, 2))),
        nn("conv2d dilation 2", lambda x, w, b: conv(x, w, b, dilation=2, padding=(2, 1)), ((2, 2, 6, 5), (3, 2, 3, 2), (3,))),
        nn("conv2d groups 2", lambda x, w: conv(x, w, groups=2, stride=(1, 2)), ((2, 4, 5, 6), (6, 2, 2, 3))),
        nn("conv2d depthwise groups=C", lambda x, w: conv(x, w, groups=3, padding=1), ((2, 3, 4, 4), (3, 1, 3, 3))),
        nn("conv2d 1x1", lambda x, w: conv(x, w), ((2, 3, 3, 4), (2, 3, 1, 1))),
        nn("conv_transpose2d k4 s2 p1", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
           ((2, 3, 3, 3), (3, 2, 4, 4), (2,))),
        nn("conv_transpose2d output_padding", lambda x, w: F.conv_transpose2d(x, w, stride=(2, 3), output_padding=(1, 2)),
           ((1, 2, 3, 2), (2, 3, 3, 3))),
        nn("conv_transpose2d groups dilation", lambda x, w: F.conv_transpose2d(x, w, groups=2, dilation=2, padding=1),
           ((2, 4, 3, 4), (4, 1, 2, 3))),
        nn("conv_transpose2d k7 s1 p0 from 1x1", lambda x, w: F.conv_transpose2d(x, w), ((2, 3, 1, 1), (3, 2, 3, 3))),
        nn("conv_transpose2d output_padding >= stride", lambda x, w, b: F.conv_transpose2d(
            x, w, b, stride=(1, 2), padding=(1, 0), output_padding=(1, 2), dilation=(2, 3)),
           ((2, 2, 3, 3), (2, 2, 2, 2), (2,))),
        nn("max_pool2d k3 s2 p1", lambda x: F.max_pool2d(x, 3, 2, 1), ((2, 2, 5, 6),)),
        nn("max_pool2d k2 dilation 2", lambda x: F.max_pool2d(x, 2, (1, 2), dilation=2), ((1, 2, 5, 5),)),
        nn("avg_pool2d k2", lambda x: F.avg_pool2d(x, 2), ((2, 3, 4, 5),)),
        nn("interpolate nearest x2", lambda x: F.interpolate(x, scale_factor=2), ((1, 2, 3, 2),)),
        nn("interpolate nearest to (5, 7)", lambda x: F.interpolate(x, size=(5, 7)), ((1, 2, 3, 4),)),
        nn("interpolate bilinear to (5, 3)", lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"),
           ((2, 1, 3, 4),)),
        nn("nll_loss", lambda x: F.nll_loss(x, labels), ((4, 3),)),
        nn("batch_norm train (N, C, H, W)", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           ((4, 3, 2, 3), (3,), (3,))),
        nn("batch_norm train (N, C)", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           ((5, 3), (3,), (3,))),
        nn("batch_norm train no affine", lambda x: F.batch_norm(x, None, None, training=True), ((3, 2, 2, 2),)),
        nn("batch_norm eval", lambda x, w, b: F.batch_norm(x, on(running_mean, x), on(running_var, x), w, b, training=False),
           ((4, 3, 2, 2), (3,), (3,))),
        nn("instance_norm", lambda x: F.instance_norm(x), ((2, 3, 3, 4),)),
        nn("instance_norm affine", lambda x, w, b: F.instance_norm(x, w, b), ((2, 3, 3, 3), (3,), (3,))),
        nn("layer_norm", lambda x, w, b: F.layer_norm(x, (3, 4), w, b), ((2, 3, 4), (3, 4), (3, 4))),
        nn("linear", lambda x, w, b: F.linear(x, w, b), ((4, 3), (5, 3), (5,))),
        nn("dropout", seeded_dropout, ((4, 5),)),
        nn("binary_cross_entropy_with_logits", lambda x: F.binary_cross_entropy_with_logits(x, on(bce_target, x)),
           ((3, 4),)),
        nn("binary_cross_entropy", lambda p: F.binary_cross_entropy(p, on(bce_target, p), reduction="sum"), ((3, 4),),
           low=0.05, high=0.95),
        nn("mse_loss", lambda x, t: F.mse_loss(x, t), ((3, 4), (3, 4))),
        nn("l1_loss none", lambda x: F.l1_loss(x, on(bce_target, x), reduction="none"), ((3, 4),)),
        nn("cross_entropy", lambda x: F.cross_entropy(x, labels), ((4, 3),)),
        nn("kl_normal", lambda mu, logvar: F.kl_normal(mu, logvar, reduction="sum"), ((4, 3), (4, 3))),
        nn("translate (DiffAugment shift)", lambda x: F.translate(x, [1, -2, 0], [0, 2, -3], fill=-1.0),
           ((3, 2, 4, 5),)),
        nn("pixel_shuffle r=2", lambda x: F.pixel_shuffle(x, 2), ((2, 8, 2, 3),)),
        nn("pixel_unshuffle r=2", lambda x: F.pixel_unshuffle(x, 2), ((2, 2, 4, 6),)),
        nn("interpolate bicubic x2", lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), ((1, 2, 3, 4),)),
        nn("interpolate bicubic align_corners to (5, 7)",
           lambda x: F.interpolate(x, size=(5, 7), mode="bicubic", align_corners=True), ((2, 1, 4, 3),)),
        nn("interpolate area /2", lambda x: F.interpolate(x, size=(2, 3), mode="area"), ((2, 2, 4, 6),)),
    ]


CASES += _nn_cases()


def cases_for(device="cpu", groups=None):
    return [c for c in CASES if device in c.devices and (groups is None or c.group in groups)]


# Functions whose only case needs a GPU; on the CPU they are covered by `--device cuda`.
GPU_ONLY_FUNCTIONS = {"ToDevice"}
