"""nn.functional against plain definitions: naive loops, hand-computed statistics,
PyTorch's size rules and errors. (Gradients are checked in test_op_gradients.py.)"""
import numpy as np
import pytest

import minigen as mg
import minigen.nn.functional as F
from minigen.nn.functional.conv import im2col_array, col2im_array


def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """The definition, as loops: y[n,o,p,q] = b[o] + sum_{c,i,j} w[o,c,i,j] x_pad[n, g*C/G + c, p*s + i*d, q*s + j*d]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        for p in range(ho):
            for q in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, p * sh:p * sh + dh * (kh - 1) + 1:dh,
                           q * sw:q * sw + dw * (kw - 1) + 1:dw]
                y[:, oc, p, q] = (patch * w[oc]).sum(axis=(1, 2, 3)) + (b[oc] if b is not None else 0)
    return y


CONFIGS = [  # (x shape, w shape, stride, padding, dilation, groups)
    ((2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((2, 4, 8, 6), (6, 2, 4, 3), (2, 1), (1, 0), (1, 1), 2),
    ((1, 3, 9, 8), (3, 1, 3, 3), (3, 2), (2, 2), (2, 1), 3),
    ((3, 2, 5, 5), (5, 2, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    # stride 1 with fewer output than input channels: the input gradient takes the flip path
    ((2, 5, 7, 6), (2, 5, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 9, 8), (3, 4, 3, 2), (1, 1), (2, 0), (2, 1), 1),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONFIGS)
def test_conv2d_matches_the_loop_definition(xs, ws, stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    y = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride, padding, dilation, groups)
    np.testing.assert_allclose(y.numpy(), naive_conv2d(x, w, b, stride, padding, dilation, groups), atol=1e-12)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONFIGS)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(xs, ws, stride, padding, dilation, groups):
    # <conv(x, W), g> == <x, conv_transpose(g, W)> for every x, g: the defining property.
    rng = np.random.default_rng(1)
    x, w = mg.tensor(rng.standard_normal(xs)), mg.tensor(rng.standard_normal(ws))
    y = F.conv2d(x, w, None, stride, padding, dilation, groups)
    g = mg.tensor(rng.standard_normal(y.shape))
    out_pad = tuple((xs[2 + a] + 2 * padding[a] - dilation[a] * (ws[2 + a] - 1) - 1) % stride[a] for a in (0, 1))
    xt = F.conv_transpose2d(g, w, None, stride, padding, out_pad, groups, dilation)
    assert xt.shape == x.shape
    lhs = float((y.numpy() * g.numpy()).sum())
    rhs = float((x.numpy() * xt.numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("xs, ws, padding, dilation", [((2, 5, 7, 6), (2, 5, 3, 3), (1, 1), (1, 1)),
                                                     ((1, 4, 9, 8), (3, 4, 3, 2), (2, 0), (2, 1)),
                                                     ((2, 6, 8, 8), (1, 6, 7, 7), (3, 3), (1, 1)),
                                                     ((2, 4, 6, 6), (4, 4, 3, 3), (1, 1), (1, 1))])
def test_input_gradient_by_flipped_kernel_equals_col2im(xs, ws, padding, dilation):
    from minigen.nn.functional import conv as C
    rng = np.random.default_rng(3)
    w = rng.standard_normal(ws)
    p = C._ConvParams((1, 1), padding, dilation, 1)
    gy = rng.standard_normal((xs[0], ws[0]) + tuple(
        C.conv_output_size(xs[2 + a], ws[2 + a], 1, padding[a], dilation[a]) for a in (0, 1)))
    assert C._flip_is_cheaper(p, w.shape, xs, gy.shape)
    by_flip = C._conv_input_grad_by_flip(p, gy, w)
    dcols = (w.reshape(ws[0], -1).T @ gy.transpose(1, 0, 2, 3).reshape(ws[0], -1))
    by_col2im = col2im_array(dcols.reshape(ws[1], ws[2], ws[3], *gy.shape[:1], *gy.shape[2:]), xs,
                             ws[2:], (1, 1), padding, dilation)
    np.testing.assert_allclose(by_flip, by_col2im, atol=1e-12)


def test_flip_is_not_chosen_where_its_columns_would_be_larger():
    from minigen.nn.functional import conv as C
    p = C._ConvParams((1, 1), (0, 0), (1, 1), 1)
    # a DCGAN generator's first layer seen as the adjoint of a conv: a 1x1 input padded to 7x7
    assert not C._flip_is_cheaper(p, (100, 256, 7, 7), (64, 256, 7, 7), (64, 100, 1, 1))
    # CycleGAN's last layer: 32 -> 3 channels, 7x7, on a 38x38 map
    assert C._flip_is_cheaper(p, (3, 32, 7, 7), (8, 32, 38, 38), (8, 3, 32, 32))
    # its residual blocks: 64 -> 64, 3x3 on a reflection-padded 10x10 (columns 1.56x col2im's)
    assert not C._flip_is_cheaper(p, (64, 64, 3, 3), (8, 64, 10, 10), (8, 64, 8, 8))
    # same padding: equal channels give equal columns (flip); twice the output channels, 2x
    same = C._ConvParams((1, 1), (1, 1), (1, 1), 1)
    assert C._flip_is_cheaper(same, (64, 64, 3, 3), (64, 64, 14, 14), (64, 64, 14, 14))
    assert not C._flip_is_cheaper(same, (64, 32, 3, 3), (64, 32, 14, 14), (64, 64, 14, 14))


def test_batch_slices_cover_the_batch_in_equal_pieces_under_the_byte_budget(monkeypatch):
    from minigen.nn.functional import conv as C
    monkeypatch.setattr(C, "CPU_COLUMN_BYTES", 1000)
    slices = C._batch_slices(10, 300, np)  # 3,000 bytes in all: 3 slices of at most 4 samples
    assert [(s.start, s.stop) for s in slices] == [(0, 4), (4, 8), (8, 10)]
    assert C._batch_slices(10, 50, np) == [slice(0, 10)]  # fits: one slice
    assert C._batch_slices(3, 5000, np) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # never empty


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", [
    ((5, 4, 8, 6), (6, 2, 4, 3), (2, 1), (1, 0), (1, 1), 2),
    ((5, 5, 7, 6), (2, 5, 3, 3), (1, 1), (1, 1), (1, 1), 1),   # input gradient by the flip
    ((7, 3, 6, 6), (4, 3, 3, 3), (1, 1), (1, 1), (2, 2), 1)])
def test_convolutions_in_batch_slices_equal_the_whole_batch(monkeypatch, xs, ws, stride, padding,
                                                              dilation, groups):
    """The CPU cuts large batches into slices (cache blocking); values and first and second
    derivatives must not depend on where the cuts fall."""
    from minigen.nn.functional import conv as C
    rng = np.random.default_rng(4)
    x0, w0, b0 = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])

    def run():
        x, w, b = (mg.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = F.conv2d(x, w, b, stride, padding, dilation, groups)
        xt = F.conv_transpose2d(y, w, None, stride, padding, 0, groups, dilation)
        loss = (xt * xt).sum() + (y * y).sum()
        gx, gw = mg.grad(loss, [x, w], create_graph=True)
        ggw, = mg.grad((gx * gx).sum() + (gw * gw).sum(), [w])  # second order: through all three ops
        return [a.numpy() for a in (y, xt, gx, gw, ggw)]

    whole = run()
    counts, batch_slices = [], C._batch_slices
    monkeypatch.setattr(C, "_batch_slices", lambda *a: counts.append(len(batch_slices(*a))) or batch_slices(*a))
    monkeypatch.setattr(C, "CPU_COLUMN_BYTES", 2000)  # a few samples per slice
    sliced = run()
    assert max(counts) >= 3 and min(counts) >= 2  # every op was cut
    for a, b in zip(sliced, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("setting, value", [
    ("CPU_KEPT_COLUMN_BYTES", 0),              # every weight gradient rebuilds its columns
    ("CPU_BATCH_LAST_COLUMNS", False),         # columns (C, kh, kw, N, Ho, Wo) everywhere
    ("CPU_SHARE_TRANSPOSED_COLUMNS", False)])  # conv_transpose2d's backward: im2col(gy) twice
def test_cpu_code_paths_give_the_same_values_and_derivatives(monkeypatch, setting, value):
    """Each CPU switch picks another way to the same numbers: outputs and first and second
    derivatives of conv2d and conv_transpose2d, whole batch and in slices, agree to rounding."""
    from minigen.nn.functional import conv as C
    rng = np.random.default_rng(5)
    x0, w0 = rng.standard_normal((6, 5, 7, 6)), rng.standard_normal((4, 5, 3, 3))  # K = 45 > O = 4

    def run():
        x, w = (mg.tensor(a, requires_grad=True) for a in (x0, w0))
        y = F.conv2d(x, w, None, 2, 1)
        xt = F.conv_transpose2d(y, w, None, 2, 1, 1)
        loss = (xt * xt * xt).sum() + (y * y).sum()
        gx, gw = mg.grad(loss, [x, w], create_graph=True)
        ggw, = mg.grad((gx * gx).sum() + (gw * gw).sum(), [w])
        return [a.numpy() for a in (y, xt, gx, gw, ggw)]

    passed = []
    weight_grad = C._conv_weight_grad
    monkeypatch.setattr(C, "_conv_weight_grad", lambda p, x, gy, ws, cols=None:
                        passed.append(cols is not None) or weight_grad(p, x, gy, ws, cols))
    for column_bytes in (1 << 30, 2000):  # whole batch, then a few samples per slice
        monkeypatch.setattr(C, "CPU_COLUMN_BYTES", column_bytes)
        want = run()
        reused = sum(passed)
        assert reused, "by default some weight gradients reuse columns"
        passed.clear()
        with monkeypatch.context() as m:
            m.setattr(C, setting, value)
            got = run()
        if setting == "CPU_KEPT_COLUMN_BYTES":
            assert not any(passed), "no weight gradient may get columns over the kept limit"
        if setting == "CPU_SHARE_TRANSPOSED_COLUMNS":
            assert sum(passed) < reused, "conv_transpose2d's weight gradients build their own columns"
        passed.clear()
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xs, ws, padding, dilation", [
    ((2, 16, 20, 19), (3, 16, 7, 7), 0, 1),   # CycleGAN's last layer: 16 -> 3 channels, 7x7, valid
    ((2, 8, 9, 9), (1, 8, 3, 3), 1, 1),       # same padding, one output channel
    ((2, 5, 9, 8), (1, 5, 3, 3), 0, 2)])      # dilated
def test_narrow_output_convolutions_from_the_output_side_agree(monkeypatch, xs, ws, padding, dilation):
    """Few output channels: the forward runs as the adjoint of the flipped convolution and the
    weight gradient from gy's columns (CPU_OUTPUT_SIDE); values and first and second
    derivatives equal the im2col path's, and the rule did pick the output side."""
    from minigen.nn.functional import conv as C
    rng = np.random.default_rng(8)
    x0, w0 = rng.standard_normal(xs), rng.standard_normal(ws)

    def run():
        x, w = (mg.tensor(a, requires_grad=True) for a in (x0, w0))
        y = F.conv2d(x, w, None, 1, padding, dilation)
        # squares, not cubes: values stay near 1e2-1e4, so 1e-11 is rounding, not cancellation
        gx, gw = mg.grad((y * y).sum(), [x, w], create_graph=True)
        ggx, ggw = mg.grad((gx * gx).sum() + (gw * gw).sum(), [x, w])
        return [a.numpy() for a in (y, gx, gw, ggx, ggw)]

    taken = []
    by_adjoint = C._conv_forward_by_adjoint
    monkeypatch.setattr(C, "_conv_forward_by_adjoint", lambda *a: taken.append(1) or by_adjoint(*a))
    got = run()
    assert taken, "the output side was not used"
    monkeypatch.setattr(C, "CPU_OUTPUT_SIDE", False)
    for a, b in zip(got, run()):
        # another summation order: float64 rounding of the largest terms, |b|.max() * 1e-12, is
        # the bound (elementwise 1e-11 failed on another machine's BLAS where terms cancel)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max())


def test_the_forward_by_adjoint_never_takes_the_flip_back():
    """The forward from the output side is the adjoint of the flipped convolution; were the
    flip rule to hold for that one too, the two would call each other forever."""
    from minigen.nn.functional import conv as C
    rng = np.random.default_rng(9)
    used = 0
    for _ in range(500):
        n, c, o, k = 2, *(int(v) for v in rng.integers(1, 40, 2)), int(rng.integers(1, 8))
        h, pad = int(rng.integers(k, 40)), int(rng.integers(0, k))
        p = C._ConvParams((1, 1), (pad, pad), (1, 1), 1)
        x, w = (n, c, h, h), (o, c, k, k)
        y = (n, o, h + 2 * pad - k + 1, h + 2 * pad - k + 1)
        if C._output_side_is_cheaper(p, w, x, y):
            used += 1
            assert not C._flip_is_cheaper(C._flipped_params(p, (k, k)), (c, o, k, k), y, x)
    assert used > 50


def test_im2col_batch_last_is_im2col_with_the_batch_axis_last():
    from minigen.nn.functional.conv import im2col_batch_last
    x = np.random.default_rng(6).standard_normal((3, 2, 7, 6))
    for args in (((3, 2), (2, 1), (1, 2), (2, 1)), ((4, 4), (2, 2), (1, 1), (1, 1)), ((1, 1), (1, 1), (0, 0), (1, 1))):
        np.testing.assert_array_equal(im2col_batch_last(x, *args),
                                      im2col_array(x, *args).transpose(0, 1, 2, 4, 5, 3))


def test_batch_norm_keeps_no_array_the_size_of_its_input():
    """x_hat is recomputed from x in the backward, so the graph holds x (the previous op's
    output, alive anyway) and per-channel statistics only: PyTorch's memory rule."""
    from minigen.nn.functional.norm import BatchNorm
    x = mg.randn(4, 3, 5, 5, requires_grad=True)
    fn = BatchNorm(1e-5)
    y = fn(x, mg.ones(3, requires_grad=True), mg.zeros(3, requires_grad=True))
    big = [k for k, v in vars(fn).items() if getattr(v, "size", 0) >= x.numel()]
    assert not big, f"BatchNorm keeps {big}"  # its gradients: test_op_gradients' gradchecks


def test_im2col_and_col2im_are_adjoint():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 5))
    args = ((3, 2), (2, 1), (1, 2), (2, 1))
    cols = im2col_array(x, *args)
    c = rng.standard_normal(cols.shape)
    assert (cols * c).sum() == pytest.approx((x * col2im_array(c, x.shape, *args)).sum(), rel=1e-12)
    out = np.full((4,) + x.shape[1:], np.nan)  # writing into a batch slice of a larger array
    assert col2im_array(c, x.shape, *args, out=out[1:3]) is not None
    np.testing.assert_array_equal(out[1:3], col2im_array(c, x.shape, *args))
    assert np.isnan(out[[0, 3]]).all()


def test_conv_transpose2d_output_size_formula():
    x = mg.randn(1, 8, 7, 7)
    w = mg.randn(8, 4, 4, 4)
    assert F.conv_transpose2d(x, w, stride=2, padding=1).shape == (1, 4, 14, 14)
    assert F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape == (1, 4, 15, 15)
    z = mg.randn(2, 100, 1, 1)
    assert F.conv_transpose2d(z, mg.randn(100, 256, 7, 7)).shape == (2, 256, 7, 7)


def test_float32_stays_float32_through_the_layers():
    x = mg.randn(2, 3, 8, 8, requires_grad=True)
    w = mg.randn(4, 3, 4, 4, requires_grad=True)
    y = F.leaky_relu(F.batch_norm(F.conv2d(x, w, stride=2, padding=1), None, None, training=True), 0.2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


@pytest.mark.parametrize("call, pattern", [
    (lambda: F.conv2d(mg.randn(1, 3, 4, 4), mg.randn(2, 3, 5, 5)), r"kernel .* larger than the padded input"),
    (lambda: F.conv2d(mg.randn(1, 3, 4, 4), mg.randn(2, 3, 3, 3), groups=2), r"groups=2 must divide .*3"),
    (lambda: F.conv2d(mg.randn(1, 4, 4, 4), mg.randn(2, 3, 3, 3)), r"weight shape \(2, 3, 3, 3\) expects"),
    (lambda: F.conv2d(mg.randn(4, 4, 4), mg.randn(2, 4, 3, 3)), r"expected input of shape \(N, C, H, W\)"),
    (lambda: F.conv2d(mg.randn(1, 3, 4, 4), mg.randn(2, 3, 3, 3), mg.randn(3)), r"bias shape \(3,\)"),
    (lambda: F.conv_transpose2d(mg.randn(1, 3, 4, 4), mg.randn(3, 2, 3, 3), stride=2, output_padding=2),
     r"output_padding=\(2, 2\) must be smaller than max\(stride, dilation\) = 2"),
    (lambda: F.conv_transpose2d(mg.randn(1, 3, 4, 4), mg.randn(2, 2, 3, 3)), r"expects \(C_in=3"),
    (lambda: F.conv2d(mg.randn(1, 3, 4, 4), mg.randn(2, 3, 3, 3), stride=(1, 2, 3)), r"stride must be"),
])
def test_impossible_configurations_name_the_argument_and_shapes(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_batch_norm_normalises_each_channel():
    x = mg.randn(16, 3, 4, 4, dtype="float64") * 5 + 2
    y = F.batch_norm(x, None, None, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)  # eps=1e-5 shrinks var slightly


def test_running_statistics_are_the_exponential_averages_with_unbiased_variance():
    rm, rv = mg.zeros(3, dtype="float64"), mg.ones(3, dtype="float64")
    expected_m, expected_v = np.zeros(3), np.ones(3)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.standard_normal((5, 3, 2, 2)) * 3 + 1
        F.batch_norm(mg.tensor(x), rm, rv, training=True, momentum=0.1)
        m = x.mean(axis=(0, 2, 3))
        v = x.var(axis=(0, 2, 3), ddof=1)
        expected_m = 0.9 * expected_m + 0.1 * m
        expected_v = 0.9 * expected_v + 0.1 * v
    np.testing.assert_allclose(rm.numpy(), expected_m, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), expected_v, rtol=1e-12)


def test_eval_mode_uses_running_statistics():
    rm, rv = mg.tensor(np.array([1.0, -2.0])), mg.tensor(np.array([4.0, 0.25]))
    w, b = mg.tensor(np.array([2.0, 1.0])), mg.tensor(np.array([0.5, 0.0]))
    x = np.random.default_rng(4).standard_normal((3, 2))
    y = F.batch_norm(mg.tensor(x), rm, rv, w, b, training=False, eps=0.0).numpy()
    np.testing.assert_allclose(y, (x - [1.0, -2.0]) / np.sqrt([4.0, 0.25]) * [2.0, 1.0] + [0.5, 0.0])


def test_batch_norm_second_derivative_sees_inv_std_depend_on_x():
    # The bug in DeZero's batch norm: backward treats 1/sqrt(var + eps) as a constant.
    x = mg.randn(4, 3, dtype="float64", requires_grad=True)
    assert mg.gradgradcheck(lambda x: F.batch_norm(x, None, None, training=True) ** 2, [x])


def test_instance_norm_normalises_each_plane():
    x = mg.randn(2, 3, 5, 5, dtype="float64") * 3 + 1
    y = F.instance_norm(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-12)


def test_bce_with_logits_is_finite_for_huge_logits():
    x = mg.tensor([-1000.0, 1000.0], requires_grad=True)
    t = mg.tensor([1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="sum")
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0])


def test_losses_reductions():
    x, t = mg.tensor([1.0, 2.0, 4.0]), mg.tensor([1.0, 0.0, 2.0])
    assert F.mse_loss(x, t).item() == pytest.approx(8 / 3)
    assert F.mse_loss(x, t, reduction="sum").item() == pytest.approx(8)
    assert F.l1_loss(x, t, reduction="none").numpy().tolist() == [0.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="reduction='avg'"):
        F.mse_loss(x, t, reduction="avg")


def test_cross_entropy_matches_definition():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    y = F.cross_entropy(mg.tensor(logits), mg.tensor([0, 2]), reduction="none").numpy()
    ref = -np.log(np.exp(logits[[0, 1], [0, 2]]) / np.exp(logits).sum(1))
    np.testing.assert_allclose(y, ref, rtol=1e-6)


def test_kl_normal_closed_form_matches_monte_carlo():
    mu, logvar = np.array([[0.5, -1.0]]), np.array([[0.3, -0.7]])
    kl = F.kl_normal(mg.tensor(mu), mg.tensor(logvar), reduction="sum").item()
    rng = np.random.default_rng(5)
    sigma = np.exp(0.5 * logvar)
    z = mu + sigma * rng.standard_normal((400_000, 2))
    log_q = -0.5 * (((z - mu) / sigma) ** 2 + logvar + np.log(2 * np.pi))
    log_p = -0.5 * (z ** 2 + np.log(2 * np.pi))
    mc = (log_q - log_p).sum(axis=1).mean()
    assert kl == pytest.approx(mc, abs=0.01)  # MC standard error here is about 0.002


def test_dropout_keeps_the_expectation_and_is_identity_in_eval():
    x = mg.ones(200_000)
    y = F.dropout(x, p=0.3).numpy()
    assert abs((y == 0).mean() - 0.3) < 0.01 and y.mean() == pytest.approx(1.0, abs=0.01)
    assert F.dropout(x, p=0.3, training=False) is x


def test_reflect_pad_matches_numpy():
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    y = F.pad(mg.tensor(x), (2, 1, 3, 0), mode="reflect").numpy()
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (0, 0), (3, 0), (2, 1)), mode="reflect"))


@pytest.mark.parametrize("shape, pad", [((2, 3, 4, 4), (1, 1, 1, 1)), ((1, 2, 5, 6), (3, 0, 0, 4)),
                                        ((1, 1, 3, 3), (2, 2, 2, 2)), ((2, 7), (0, 6)), ((3, 4), (3, 0))])
def test_reflect_pad_by_slices_matches_numpy_at_every_width(shape, pad):
    """minigen pads by slice copies, not np.pad: the widest legal widths (n - 1), one side
    only, and corners where two mirrored borders meet all give np.pad's values."""
    x = np.random.default_rng(0).standard_normal(shape)
    widths = [(0, 0)] * (len(shape) - len(pad) // 2) + [(pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)][::-1]
    np.testing.assert_array_equal(F.pad(mg.tensor(x), pad, mode="reflect").numpy(), np.pad(x, widths, mode="reflect"))


def test_nearest_upsampling_by_blocks_gathers_what_the_index_would():
    """Integer factors go through a broadcast (gradient: block sums); it must pick the same
    pixels as the index formula floor(i * H / H_out) that other sizes gather with."""
    from minigen.nn.functional import upsample as U
    x = np.random.default_rng(10).standard_normal((2, 3, 5, 7))
    for size in ((10, 14), (15, 7), (5, 21), (20, 28)):
        rows, cols = U._nearest_index(5, size[0], np), U._nearest_index(7, size[1], np)
        assert U._repeats(rows, size[0] // 5) and U._repeats(cols, size[1] // 7)
        np.testing.assert_array_equal(F.interpolate(mg.tensor(x), size=size).numpy(), x[:, :, rows][:, :, :, cols])
    assert not U._repeats(U._nearest_index(5, 8, np), 1)  # 8 / 5: not whole blocks, gathered
