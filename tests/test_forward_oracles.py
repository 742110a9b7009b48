"""Every op's forward values against a NumPy oracle, no PyTorch needed.

Finite differences check a backward against its own forward, so a wrong forward with a
matching backward passes them (leaky-ReLU's slope on the wrong side, layer norm's weight
and bias swapped), and an input the forward ignores has 0 = 0 for a gradient. Here each op
case of ``minigen.opcases`` (the cases gradcheck runs, which together reach every Function)
is evaluated on its own inputs and compared with the formula written in NumPy; the cases
whose ``fn`` closes over constants (targets, labels, running statistics) get a test of
their own below, and a test keeps the table complete."""
import numpy as np
import pytest

import minigen as mg
from minigen import nn, ops
from minigen.nn import functional as F
from minigen.opcases import CASES

TOL = dict(rtol=1e-10, atol=1e-12)   # float64 throughout: only round-off separates the two


def softplus(x):
    return np.log1p(np.exp(x))


def logsumexp(a, axis, keepdims=False):
    return np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))


def normalise(x, axes, eps=1e-5):
    """(x - mean) / sqrt(var + eps), biased variance over ``axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, g C/G + c, p s + i d, q s + j d],
    one output pixel at a time."""
    (sh, sw), (ph, pw), (dh, dw) = (np.broadcast_to(v, 2) for v in (stride, padding, dilation))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for oc in range(o):
        g = oc // (o // groups)
        for p in range(ho):
            for q in range(wo):
                for i in range(kh):
                    for j in range(kw):
                        y[:, oc, p, q] += xp[:, g * cg:(g + 1) * cg, p * sh + i * dh, q * sw + j * dw] @ w[oc, :, i, j]
    return y if b is None else y + channel(b, 4)


def conv_transpose2d_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The scatter definition: input pixel (i, j) of channel c adds x[n, c, i, j] w[c, o, ki, kj]
    to output pixel (i s - p + ki d, j s - p + kj d) of channel g O/G + o; the output is
    (H - 1) s - 2 p + d (k - 1) + output_padding + 1 a side."""
    (sh, sw), (ph, pw), (dh, dw), (oph, opw) = (np.broadcast_to(v, 2) for v in
                                                (stride, padding, dilation, output_padding))
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    y = np.zeros((n, og * groups, ho, wo))
    for ci in range(c):
        g = ci // (c // groups)
        for i in range(h):
            for j in range(wd):
                for ki in range(kh):
                    for kj in range(kw):
                        p, q = i * sh - ph + ki * dh, j * sw - pw + kj * dw
                        if 0 <= p < ho and 0 <= q < wo:
                            y[:, g * og:(g + 1) * og, p, q] += x[:, ci, i, j, None] * w[ci, :, ki, kj]
    return y if b is None else y + channel(b, 4)


def pool_ref(x, k, s, p, d, reduce):
    """One window at a time: reduce(x_pad[n, c, i s + a d, j s + b d] over a, b < k), with
    -inf padding for max (never chosen); the windows here never reach into padding for mean."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (np.broadcast_to(v, 2) for v in (k, s, p, d))
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            y[:, :, i, j] = reduce(window, axis=(2, 3))
    return y


def bilinear_ref(x, h_out, w_out):
    """PyTorch's bilinear (align_corners=False), one output pixel at a time: sample the input
    at ((i + 0.5) H / H_out - 0.5, ...), clamped at 0, between its four neighbours."""
    n, c, h, w = x.shape
    y = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            si, sj = max((i + 0.5) * h / h_out - 0.5, 0), max((j + 0.5) * w / w_out - 0.5, 0)
            i0, j0 = min(int(si), h - 1), min(int(sj), w - 1)
            i1, j1, li, lj = min(i0 + 1, h - 1), min(j0 + 1, w - 1), si - i0, sj - j0
            y[:, :, i, j] = ((1 - li) * ((1 - lj) * x[:, :, i0, j0] + lj * x[:, :, i0, j1])
                             + li * ((1 - lj) * x[:, :, i1, j0] + lj * x[:, :, i1, j1]))
    return y


def batch_norm_ref(x, w=None, b=None):
    y = normalise(x, (0,) + tuple(range(2, x.ndim)))
    return y if w is None else y * channel(w, x.ndim) + channel(b, x.ndim)


# case name -> the NumPy formula of the case's fn, on the same (float64) inputs
ORACLES = {
    "add": np.add, "add broadcast both ways": np.add, "add 0-d": np.add,
    "sub": np.subtract, "mul": np.multiply, "mul 0-d": np.multiply, "div": np.divide,
    "rdiv scalar": lambda a: 2.0 / a, "pow scalar": lambda a: a ** 3, "pow tensor": np.power,
    "neg": np.negative,
    "matmul 2-D": np.matmul, "matmul batched broadcast": np.matmul, "matmul batch both": np.matmul,
    "matmul vector": np.matmul, "matmul matrix-vector": np.matmul,
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.where(a > 0, a, 0.0),
    "leaky_relu": lambda a: np.where(a > 0, a, 0.2 * a), "softplus": softplus,
    "clamp": lambda a: np.clip(a, -0.5, 0.5), "maximum": np.maximum, "minimum": np.minimum,
    "where": lambda a, b: np.where(a > 0, a, b),
    "sum all": np.sum, "sum axis=(0, 2) keepdims": lambda a: a.sum(axis=(0, 2), keepdims=True),
    "sum axis=-1": lambda a: a.sum(axis=-1), "mean axis=1": lambda a: a.mean(axis=1),
    "var ddof=0": lambda a: a.var(axis=0), "var ddof=1 keepdims": lambda a: a.var(axis=(0, 2), keepdims=True, ddof=1),
    "max axis=1": lambda a: a.max(axis=1), "min all": np.min,
    "logsumexp": lambda a: logsumexp(a, -1), "log_softmax": lambda a: a - logsumexp(a, 1, True),
    "softmax": lambda a: np.exp(a) / np.exp(a).sum(axis=0, keepdims=True),
    "reshape": lambda a: a.reshape(4, -1), "transpose": lambda a: a.transpose(2, 0, 1), "T": np.transpose,
    "transpose two dims": lambda a: a.swapaxes(0, 2), "clone": lambda a: a * a,
    "flatten": lambda a: a.reshape(a.shape[0], -1), "squeeze/unsqueeze": lambda a: a[None][:, :, 0],
    "broadcast_to": lambda a: np.broadcast_to(a, (2, 3, 4)),
    "getitem basic": lambda a: a[1:, ::2, -1], "getitem integer array (repeats)": lambda a: a[[0, 2, 0], 1:],
    "getitem boolean mask": lambda a: a[a > 0],
    "cat": lambda a, b: np.concatenate([a, b], axis=1), "stack": lambda a, b: np.stack([a, b], axis=-1),
    # PyTorch's pad order: (left, right) of the last axis first, then (top, bottom)
    "pad constant": lambda a: np.pad(a, ((0, 0), (0, 1), (1, 2)), constant_values=0.5),
    "pad reflect": lambda a: np.pad(a, ((0, 0), (0, 0), (1, 2), (2, 1)), mode="reflect"),
    "cast float32": lambda a: a.astype(np.float32).astype(np.float64) * a.astype(np.float32).astype(np.float64),
    "conv2d k3 s1 p1": lambda x, w, b: conv2d_ref(x, w, b, padding=1),
    "conv2d k4 s2 p1 no bias": lambda x, w: conv2d_ref(x, w, stride=2, padding=1),
    "conv2d s3 p2 non-square": lambda x, w: conv2d_ref(x, w, stride=3, padding=2),
    "conv2d dilation 2": lambda x, w, b: conv2d_ref(x, w, b, dilation=2, padding=(2, 1)),
    "conv2d groups 2": lambda x, w: conv2d_ref(x, w, groups=2, stride=(1, 2)),
    "conv2d depthwise groups=C": lambda x, w: conv2d_ref(x, w, groups=3, padding=1),
    "conv2d 1x1": conv2d_ref,
    "conv_transpose2d k4 s2 p1": lambda x, w, b: conv_transpose2d_ref(x, w, b, stride=2, padding=1),
    "conv_transpose2d output_padding": lambda x, w: conv_transpose2d_ref(x, w, stride=(2, 3), output_padding=(1, 2)),
    "conv_transpose2d groups dilation": lambda x, w: conv_transpose2d_ref(x, w, groups=2, dilation=2, padding=1),
    "conv_transpose2d k7 s1 p0 from 1x1": conv_transpose2d_ref,
    "conv_transpose2d output_padding >= stride": lambda x, w, b: conv_transpose2d_ref(
        x, w, b, stride=(1, 2), padding=(1, 0), output_padding=(1, 2), dilation=(2, 3)),
    "max_pool2d k3 s2 p1": lambda x: pool_ref(x, 3, 2, 1, 1, np.max),
    "max_pool2d k2 dilation 2": lambda x: pool_ref(x, 2, (1, 2), 0, 2, np.max),
    "avg_pool2d k2": lambda x: pool_ref(x, 2, 2, 0, 1, np.mean),
    "interpolate nearest x2": lambda x: x.repeat(2, axis=2).repeat(2, axis=3),
    "interpolate nearest to (5, 7)": lambda x: x[:, :, [i * 3 // 5 for i in range(5)]][:, :, :, [j * 4 // 7 for j in range(7)]],
    "interpolate bilinear to (5, 3)": lambda x: bilinear_ref(x, 5, 3),
    "nll_loss": lambda x: -x[np.arange(4), [0, 2, 1, 2]].mean(),
    "batch_norm train (N, C, H, W)": batch_norm_ref, "batch_norm train (N, C)": batch_norm_ref,
    "batch_norm train no affine": batch_norm_ref,
    "instance_norm": lambda x: normalise(x, (2, 3)),
    "instance_norm affine": lambda x, w, b: normalise(x, (2, 3)) * channel(w, 4) + channel(b, 4),
    "layer_norm": lambda x, w, b: normalise(x, (1, 2)) * w + b,
    "linear": lambda x, w, b: x @ w.T + b,
    "mse_loss": lambda x, t: ((x - t) ** 2).mean(),
    "kl_normal": lambda mu, lv: 0.5 * (mu ** 2 + np.exp(lv) - 1 - lv).sum(),
    "translate (DiffAugment shift)": lambda x: translate_ref(x, [1, -2, 0], [0, 2, -3], -1.0),
    "pixel_shuffle r=2": lambda x: pixel_shuffle_ref(x, 2),
    "pixel_unshuffle r=2": lambda x: pixel_unshuffle_ref(x, 2),
    "interpolate bicubic x2": lambda x: bicubic_ref(x, 6, 8, False),
    "interpolate bicubic align_corners to (5, 7)": lambda x: bicubic_ref(x, 5, 7, True),
    "interpolate area /2": lambda x: pool_ref(x, 2, 2, 0, 1, np.mean),
}


def pixel_shuffle_ref(x, r):
    """y[n, c, h r + i, w r + j] = x[n, c r^2 + i r + j, h, w], a loop over every output pixel."""
    n, cr2, h, w = x.shape
    y = np.zeros((n, cr2 // (r * r), h * r, w * r))
    for c in range(cr2 // (r * r)):
        for i in range(h * r):
            for j in range(w * r):
                y[:, c, i, j] = x[:, c * r * r + (i % r) * r + j % r, i // r, j // r]
    return y


def pixel_unshuffle_ref(x, r):
    """The inverse: x[n, c r^2 + i r + j, h, w] = y[n, c, h r + i, w r + j]."""
    n, c, hr, wr = x.shape
    y = np.zeros((n, c * r * r, hr // r, wr // r))
    for k in range(c * r * r):
        for h in range(hr // r):
            for w in range(wr // r):
                y[:, k, h, w] = x[:, k // (r * r), h * r + (k % (r * r)) // r, w * r + k % r]
    return y


def keys_cubic(s, a=-0.75):
    """Keys' cubic convolution kernel W(s), written piecewise as in the paper."""
    s = abs(s)
    if s <= 1:
        return (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1
    if s < 2:
        return a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a
    return 0.0


def bicubic_ref(x, h_out, w_out, align_corners):
    """PyTorch's bicubic, one output pixel at a time: sample at src (unclamped), sum the 4 x 4
    neighbours (indices clamped to the border) weighted by W(dy) W(dx)."""
    n, c, h, w = x.shape

    def src(i, n_in, n_out):
        if align_corners:
            return i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return (i + 0.5) * n_in / n_out - 0.5
    y = np.zeros((n, c, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            si, sj = src(i, h, h_out), src(j, w, w_out)
            for p in range(int(np.floor(si)) - 1, int(np.floor(si)) + 3):
                for q in range(int(np.floor(sj)) - 1, int(np.floor(sj)) + 3):
                    y[:, :, i, j] += (keys_cubic(si - p) * keys_cubic(sj - q)
                                      * x[:, :, min(max(p, 0), h - 1), min(max(q, 0), w - 1)])
    return y


def translate_ref(x, dy, dx, fill):
    """y[n, :, i, j] = x[n, :, i - dy[n], j - dx[n]] inside x, else fill (a loop)."""
    y = np.full_like(x, fill)
    _, _, h, w = x.shape
    for n in range(len(x)):
        for i in range(h):
            for j in range(w):
                if 0 <= i - dy[n] < h and 0 <= j - dx[n] < w:
                    y[n, :, i, j] = x[n, :, i - dy[n], j - dx[n]]
    return y
# cases whose fn closes over constants: checked by the named tests below
OWN_TESTS = {"batch_norm eval": "test_batch_norm_eval_uses_the_running_statistics_and_affine",
             "dropout": "test_dropout_zeroes_or_scales_by_one_over_keep",
             "binary_cross_entropy_with_logits": "test_losses_against_their_formulas",
             "binary_cross_entropy": "test_losses_against_their_formulas",
             "l1_loss none": "test_losses_against_their_formulas",
             "cross_entropy": "test_losses_against_their_formulas",
             "to device": "(GPU only: a copy)"}

CPU_CASES = [c for c in CASES if "cpu" in c.devices and c.name in ORACLES]


def test_every_op_case_has_a_forward_oracle():
    missing = [c.name for c in CASES if c.name not in ORACLES and c.name not in OWN_TESTS]
    assert not missing, f"op cases without a NumPy forward oracle: {missing}"
    for name in set(OWN_TESTS.values()) - {"(GPU only: a copy)"}:
        assert name in globals(), name


@pytest.mark.parametrize("case", CPU_CASES, ids=[c.name for c in CPU_CASES])
def test_forward_values_match_the_numpy_formula(case):
    xs = case.inputs("cpu")
    expected = ORACLES[case.name](*(x.numpy() for x in xs))
    y = case.fn(*xs)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.numpy(), expected, **TOL)


# --- the cases with constants of their own, and the values the issue named ------------------


def test_batch_norm_eval_uses_the_running_statistics_and_affine():
    rng = np.random.default_rng(0)
    x, rm, rv = rng.normal(size=(4, 3, 2, 2)), rng.normal(size=3), rng.uniform(0.5, 2, 3)
    w, b = rng.normal(size=3), rng.normal(size=3)
    y = F.batch_norm(mg.tensor(x), mg.tensor(rm), mg.tensor(rv), mg.tensor(w), mg.tensor(b), training=False)
    expected = (x - channel(rm, 4)) / np.sqrt(channel(rv, 4) + 1e-5) * channel(w, 4) + channel(b, 4)
    np.testing.assert_allclose(y.numpy(), expected, **TOL)


def test_dropout_zeroes_or_scales_by_one_over_keep():
    x = np.random.default_rng(1).uniform(1, 2, size=(200, 50))
    y = F.dropout(mg.tensor(x), p=0.4, training=True).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.6, **TOL)
    assert abs(kept.mean() - 0.6) < 0.02        # 10,000 draws: the standard deviation is 0.005


def test_losses_against_their_formulas():
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(3, 4)) * 3, rng.uniform(size=(3, 4))
    p = rng.uniform(0.05, 0.95, size=(3, 4))
    labels = np.array([0, 2, 1])
    close = lambda a, b: np.testing.assert_allclose(a.numpy(), b, **TOL)  # noqa: E731
    close(F.binary_cross_entropy_with_logits(mg.tensor(x), mg.tensor(t)),
          (-(t * np.log(1 / (1 + np.exp(-x))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x))))).mean())
    close(F.binary_cross_entropy(mg.tensor(p), mg.tensor(t), reduction="sum"),
          -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum())
    close(F.l1_loss(mg.tensor(x), mg.tensor(t), reduction="none"), np.abs(x - t))
    close(F.l1_loss(mg.tensor(x), mg.tensor(t)), np.abs(x - t).mean())
    close(F.mse_loss(mg.tensor(x), mg.tensor(t), reduction="sum"), ((x - t) ** 2).sum())
    close(F.cross_entropy(mg.tensor(x), labels), -(x - logsumexp(x, 1, True))[np.arange(3), labels].mean())
    close(F.kl_normal(mg.tensor(x), mg.tensor(t)), 0.5 * (x ** 2 + np.exp(t) - 1 - t).sum(axis=1).mean())


@pytest.mark.parametrize("slope", [0.2, 0.0, 1.0, 3.0, -0.5])
def test_leaky_relu_on_both_sides_and_its_slope_in_backward(slope):
    """y = x for x > 0, slope * x otherwise; dy/dx = 1 and slope. (slope > 1 and < 0 take
    the np.where path, 0 <= slope <= 1 the maximum path.)"""
    x = mg.tensor(np.array([-2.0, -0.5, 0.5, 3.0]), requires_grad=True)
    y = F.leaky_relu(x, slope)
    np.testing.assert_allclose(y.numpy(), [-2.0 * slope, -0.5 * slope, 0.5, 3.0])
    (g,) = mg.grad(y, [x], mg.tensor(np.array([1.0, 10.0, 100.0, 1000.0])))
    np.testing.assert_allclose(g.numpy(), [slope, 10.0 * slope, 100.0, 1000.0])
    assert nn.LeakyReLU(slope)(mg.tensor(np.array([-1.0, 2.0]))).numpy().tolist() == [-slope, 2.0]


def test_layer_norm_scales_by_weight_then_shifts_by_bias():
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last axes; weight and bias
    random (not the initial 1 and 0, with which a swap or a drop would not show)."""
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(4, 3, 5)) * 2 + 1, rng.normal(size=(5,)), rng.normal(size=(5,))
    y = F.layer_norm(mg.tensor(x), 5, mg.tensor(w), mg.tensor(b)).numpy()
    np.testing.assert_allclose(y, normalise(x, -1) * w + b, **TOL)
    # per row: mean of (y - b) / w is 0, its variance var / (var + eps)
    z = (y - b) / w
    np.testing.assert_allclose(z.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(z.var(axis=-1), x.var(axis=-1) / (x.var(axis=-1) + 1e-5), rtol=1e-10)


def test_instance_norm_affine_each_plane_has_mean_bias_and_variance_weight_squared():
    """y[n, c] = IN(x)[n, c] * w[c] + b[c]: each plane's mean is b[c] and its variance
    w[c]^2 var / (var + eps)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 5, 4)) * 3 + 2
    w, b = rng.normal(size=3), rng.normal(size=3)
    y = F.instance_norm(mg.tensor(x), mg.tensor(w), mg.tensor(b)).numpy()
    var = x.var(axis=(2, 3))
    np.testing.assert_allclose(y.mean(axis=(2, 3)), np.broadcast_to(b, (2, 3)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(2, 3)), w ** 2 * var / (var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(F.instance_norm(mg.tensor(x)).numpy().var(axis=(2, 3)), var / (var + 1e-5),
                               rtol=1e-10)


def test_norm_modules_apply_their_own_affine_parameters():
    """The modules with random weight and bias give the functional's values."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 4, 4))
    for layer, ref in [(nn.BatchNorm2d(3), lambda x, w, b: batch_norm_ref(x, w, b)),
                       (nn.InstanceNorm2d(3, affine=True),
                        lambda x, w, b: normalise(x, (2, 3)) * channel(w, 4) + channel(b, 4)),
                       (nn.LayerNorm((3, 4, 4)), lambda x, w, b: normalise(x, (1, 2, 3)) * w + b)]:
        w, b = rng.normal(size=layer.weight.shape), rng.normal(size=layer.bias.shape)
        layer.weight.data[...] = w
        layer.bias.data[...] = b
        y = layer(mg.tensor(x)).numpy()
        np.testing.assert_allclose(y, ref(x, w, b), rtol=1e-5, atol=1e-5)   # the modules hold float32


def test_conv_transpose2d_accepts_output_padding_below_the_dilation():
    """PyTorch's rule: output_padding < max(stride, dilation), so stride 1, dilation 2 allows 1."""
    x, w = mg.randn(1, 1, 4, 4, dtype="float64"), mg.randn(1, 2, 3, 3, dtype="float64")
    F.conv_transpose2d(x, w, stride=1, dilation=2, output_padding=1)


def test_conv_transpose2d_with_output_padding_at_least_the_stride_matches_the_scatter_definition():
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(1, 1, 9, 10)), rng.normal(size=(1, 2, 3, 2))
    y = F.conv_transpose2d(mg.tensor(x), mg.tensor(w), stride=1, padding=(1, 2), output_padding=1, dilation=2)
    expected = conv_transpose2d_ref(x, w, stride=1, padding=(1, 2), output_padding=1, dilation=2)
    assert y.shape == expected.shape == (1, 2, 12, 9)
    np.testing.assert_allclose(y.numpy(), expected, **TOL)


def test_ops_with_arguments_match_numpy():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ops.clamp(mg.tensor(a), min=0.1).numpy(), np.maximum(a, 0.1))
    np.testing.assert_allclose(ops.clamp(mg.tensor(a), max=-0.1).numpy(), np.minimum(a, -0.1))
    np.testing.assert_allclose(ops.softplus(mg.tensor(a * 300)).numpy(), np.logaddexp(0, a * 300), **TOL)
    np.testing.assert_allclose(mg.tensor(a).var(axis=1, ddof=1).numpy(), a.var(axis=1, ddof=1), **TOL)
