"""Convolutions on random configurations drawn from everything PyTorch accepts.

Hand-picked cases miss corners: until issue 15, no case set output_padding >= stride (legal
when dilation > stride), and there conv_transpose2d returned a smaller output and its backward
failed. Each configuration here draws groups, channels, kernel, stride, padding, dilation,
output_padding and input size at random, keeping only what PyTorch itself accepts, and is
checked against the loop definitions (always), by gradcheck/gradgradcheck, and against
PyTorch in float64 (when installed).
"""
import numpy as np
import pytest

import minigen as mg
from minigen.nn import functional as F
from test_forward_oracles import conv2d_ref, conv_transpose2d_ref

TOL = dict(rtol=1e-10, atol=1e-10)  # float64 on both sides: only round-off differs


def random_config(rng, transposed):
    """A configuration PyTorch accepts: output at least 1x1, kernel within the padded input
    (conv2d), output_padding < max(stride, dilation) on each axis (conv_transpose2d)."""
    while True:
        groups = int(rng.integers(1, 4))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 5, size=2))
        stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
        dilation = tuple(int(v) for v in rng.integers(1, 4, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 4, size=2))
        hw = tuple(int(v) for v in rng.integers(1, 9, size=2))
        n = int(rng.integers(1, 4))
        cfg = dict(n=n, c_in=c_in, c_out=c_out, k=k, hw=hw, groups=groups, stride=stride,
                   padding=padding, dilation=dilation, bias=bool(rng.integers(0, 2)))
        if transposed:
            cfg["output_padding"] = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
            out = [(h - 1) * s - 2 * p + d * (kk - 1) + op + 1 for h, s, p, d, kk, op in
                   zip(hw, stride, padding, dilation, k, cfg["output_padding"])]
            if min(out) >= 1:
                return cfg
        elif all(d * (kk - 1) + 1 <= h + 2 * p for h, p, d, kk in zip(hw, padding, dilation, k)):
            return cfg


def arrays(cfg, rng, transposed):
    x = rng.standard_normal((cfg["n"], cfg["c_in"]) + cfg["hw"])
    w_shape = ((cfg["c_in"], cfg["c_out"] // cfg["groups"]) if transposed
               else (cfg["c_out"], cfg["c_in"] // cfg["groups"])) + cfg["k"]
    b = rng.standard_normal(cfg["c_out"]) if cfg["bias"] else None
    return x, rng.standard_normal(w_shape), b


def kwargs(cfg, transposed):
    names = ("stride", "padding", "dilation", "groups") + (("output_padding",) if transposed else ())
    return {name: cfg[name] for name in names}


def ours(transposed):
    return F.conv_transpose2d if transposed else F.conv2d


def reference(transposed):
    return conv_transpose2d_ref if transposed else conv2d_ref


CONFIGS = [(transposed, seed) for transposed in (True, False) for seed in range(40)]


@pytest.mark.parametrize("transposed, seed", CONFIGS)
def test_forward_matches_the_loop_definition(transposed, seed):
    rng = np.random.default_rng(seed)
    cfg = random_config(rng, transposed)
    x, w, b = arrays(cfg, rng, transposed)
    y = ours(transposed)(mg.tensor(x), mg.tensor(w), None if b is None else mg.tensor(b), **kwargs(cfg, transposed))
    expected = reference(transposed)(x, w, b, **kwargs(cfg, transposed))
    assert y.shape == expected.shape, cfg
    np.testing.assert_allclose(y.numpy(), expected, **TOL, err_msg=str(cfg))


@pytest.mark.parametrize("transposed, seed", [(t, s) for t, s in CONFIGS if s < 12])
def test_gradients_of_first_and_second_order_match_finite_differences(transposed, seed):
    rng = np.random.default_rng(seed)
    cfg = random_config(rng, transposed)
    inputs = [mg.tensor(a, requires_grad=True) for a in arrays(cfg, rng, transposed) if a is not None]

    def f(*xs):
        return ours(transposed)(*xs, **kwargs(cfg, transposed)) if len(xs) == 3 else \
            ours(transposed)(xs[0], xs[1], None, **kwargs(cfg, transposed))
    assert mg.gradcheck(f, inputs), cfg
    assert mg.gradgradcheck(f, inputs), cfg


def test_conv_transpose2d_wide_output_padding_forward_shape():
    """The issue's example: output_padding 1 >= stride 1 (dilation 2) gave (1, 2, 11, 8)."""
    x, w = mg.randn(1, 1, 9, 10, dtype="float64"), mg.randn(1, 2, 3, 2, dtype="float64")
    y = F.conv_transpose2d(x, w, stride=1, padding=(1, 2), dilation=2, output_padding=1)
    assert y.shape == (1, 2, 12, 9)


def test_conv_transpose2d_wide_output_padding_backward():
    """The issue's example: the backward raised "cannot reshape array" in _conv_weight_grad."""
    x = mg.randn(3, 1, 10, 4, dtype="float64", requires_grad=True)
    w = mg.randn(1, 1, 2, 4, dtype="float64", requires_grad=True)
    b = mg.randn(1, dtype="float64", requires_grad=True)

    def f(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 1), dilation=(2, 2), output_padding=(0, 1))
    assert mg.gradcheck(f, [x, w, b]) and mg.gradgradcheck(f, [x, w, b])


@pytest.mark.torch
@pytest.mark.parametrize("transposed", [True, False])
def test_one_hundred_random_configurations_match_pytorch(transposed):
    """Values and all three gradients against PyTorch in float64, 100 configurations."""
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        cfg = random_config(rng, transposed)
        arrs = [a for a in arrays(cfg, rng, transposed) if a is not None]
        mine = [mg.tensor(a, requires_grad=True) for a in arrs]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrs]
        pad = [None] if len(arrs) == 2 else []
        y = ours(transposed)(*mine, *pad, **kwargs(cfg, transposed))
        t = tf(*theirs, *pad, **kwargs(cfg, transposed))
        assert y.shape == tuple(t.shape), cfg
        np.testing.assert_allclose(y.numpy(), t.detach().numpy(), **TOL, err_msg=str(cfg))
        g = rng.standard_normal(y.shape)
        y.backward(mg.tensor(g))
        t.backward(torch.tensor(g))
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL, err_msg=str(cfg))
