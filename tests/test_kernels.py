"""Specification of minigen's CUDA kernels (minigen/kernels).

Two layers:

* CPU (always): each ``.cu`` file compiles with ``nvcc --ptx`` (skipped without nvcc)
  and defines the entry points the loader asks for; the loop-based NumPy references
  below pin down the im2col layout (a hand-worked example, and col2im as its adjoint).
* GPU (marked ``gpu``; skipped without CuPy and a CUDA device; run with
  ``pytest --device cuda``): each kernel against those loop references and, when
  importable, against its NumPy twin in the library, in float32 and float64.

The references are loops on purpose: slow, but each line is the formula itself, so
they do not share a bug with the kernels or with the vectorised NumPy twins.
"""
import itertools
import re
import shutil
import subprocess

import numpy as np
import pytest

from minigen import backend, kernels

# --------------------------------------------------------------------------- references


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def reference_im2col(x, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[c, i, j, n, oh, ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], 0 outside."""
    N, C, H, W = x.shape
    Ho, Wo = out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw)
    cols = np.zeros((C, kh, kw, N, Ho, Wo), dtype=x.dtype)
    for c, i, j, n, oh, ow in itertools.product(range(C), range(kh), range(kw),
                                                range(N), range(Ho), range(Wo)):
        h, w = oh * sh - ph + i * dh, ow * sw - pw + j * dw
        if 0 <= h < H and 0 <= w < W:
            cols[c, i, j, n, oh, ow] = x[n, c, h, w]
    return cols


def reference_col2im(cols, x_shape, kh, kw, sh, sw, ph, pw, dh, dw):
    """Scatter-add each column element back to the pixel it was copied from."""
    N, C, H, W = x_shape
    Ho, Wo = cols.shape[4:]
    dx = np.zeros(x_shape, dtype=cols.dtype)
    for c, i, j, n, oh, ow in itertools.product(range(C), range(kh), range(kw),
                                                range(N), range(Ho), range(Wo)):
        h, w = oh * sh - ph + i * dh, ow * sw - pw + j * dw
        if 0 <= h < H and 0 <= w < W:
            dx[n, c, h, w] += cols[c, i, j, n, oh, ow]
    return dx


def reference_leaky_relu(x, slope):
    return np.where(x > 0, x, slope * x).astype(x.dtype)


def reference_leaky_relu_grad(x, gy, slope):
    return np.where(x > 0, gy, slope * gy).astype(gy.dtype)


def reference_batch_norm_forward(x, mean, inv_std, weight, bias):
    """x_hat = (x - mean[c]) * inv_std[c], y = x_hat * weight[c] + bias[c], channel by channel."""
    x_hat, y = np.empty_like(x), np.empty_like(x)
    for c in range(x.shape[1]):
        w = 1 if weight is None else weight[c]
        b = 0 if bias is None else bias[c]
        x_hat[:, c] = (x[:, c] - mean[c]) * inv_std[c]
        y[:, c] = x_hat[:, c] * w + b
    return y, x_hat


def reference_batch_norm_backward(gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, m):
    """gx = weight[c] * inv_std[c] / m * (m gy - sum_gy[c] - x_hat sum_gy_xhat[c])."""
    gx = np.empty_like(gy)
    for c in range(gy.shape[1]):
        w = 1 if weight is None else weight[c]
        gx[:, c] = w * inv_std[c] / m * (m * gy[:, c] - sum_gy[c] - x_hat[:, c] * sum_gy_xhat[c])
    return gx


def batch_statistics(x, eps=1e-5):
    """Per-channel mean, 1/sqrt(biased var + eps) and m, as the caller of the kernels computes them."""
    axes = (0,) + tuple(range(2, x.ndim))
    m = x.size // x.shape[1]
    return x.mean(axis=axes), 1 / np.sqrt(x.var(axis=axes) + eps), m


def channel_sums(gy, x_hat):
    axes = (0,) + tuple(range(2, gy.ndim))
    return gy.sum(axis=axes), (gy * x_hat).sum(axis=axes)


# (N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw): strides 1/2/3, padding 0/1/2, dilation
# 1/2, non-square kernels and inputs, a stride wider than the kernel (pixels never read).
CONV_CONFIGS = [
    (2, 3, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1),
    (2, 3, 7, 6, 3, 2, 2, 1, 1, 0, 1, 1),
    (2, 3, 8, 9, 2, 3, 3, 2, 2, 1, 1, 2),
    (2, 3, 9, 7, 3, 3, 2, 3, 1, 2, 2, 1),
    (2, 3, 6, 6, 4, 4, 2, 2, 1, 1, 1, 1),
    (2, 3, 5, 4, 1, 1, 1, 1, 0, 0, 1, 1),
    (2, 3, 4, 4, 3, 3, 1, 1, 2, 2, 2, 2),
    (2, 3, 10, 11, 3, 2, 3, 3, 2, 2, 2, 2),
    (2, 3, 7, 7, 2, 2, 3, 3, 0, 0, 1, 1),
]
CONV_IDS = ["N{}C{}_{}x{}_k{}x{}_s{}x{}_p{}x{}_d{}x{}".format(*cfg) for cfg in CONV_CONFIGS]
DTYPES = [np.float32, np.float64]
# float32: a few ulps of rounding from summing up to kh*kw terms in another order;
# float64: same, far below anything a real bug would produce.
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

# --------------------------------------------------------------------------- CPU


@pytest.mark.parametrize("source_name", sorted(kernels.KERNELS))
def test_kernel_source_defines_every_entry_point_the_loader_names(source_name):
    source = kernels.kernel_sources()[source_name]
    for kernel, suffix in itertools.product(kernels.KERNELS[source_name], ("_f32", "_f64")):
        assert re.search(rf'extern "C" __global__ void {kernel}{suffix}\(', source), kernel + suffix


@pytest.mark.parametrize("source_name", sorted(kernels.KERNELS))
def test_kernel_source_needs_no_headers(source_name):
    # NVRTC (what cupy.RawModule compiles with) has no C++ standard library headers.
    assert "#include" not in kernels.kernel_sources()[source_name]


@pytest.mark.parametrize("source_name", sorted(kernels.KERNELS))
def test_kernel_source_compiles_with_nvcc(source_name, tmp_path):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc not on PATH: CUDA kernel sources not compiled")
    source_file, ptx_file = tmp_path / f"{source_name}.cu", tmp_path / f"{source_name}.ptx"
    source_file.write_text(kernels.kernel_sources()[source_name])
    # No -arch: each CUDA release supports a different oldest GPU (CUDA 13 dropped
    # sm_70), so let this nvcc target its own default.
    result = subprocess.run(
        [nvcc, "--ptx", "-std=c++17", "-Wno-deprecated-gpu-targets",
         "-o", str(ptx_file), str(source_file)],
        capture_output=True, text=True)
    assert result.returncode == 0, f"nvcc failed on {source_name}.cu:\n{result.stderr}"
    ptx = ptx_file.read_text()
    for kernel, suffix in itertools.product(kernels.KERNELS[source_name], ("_f32", "_f64")):
        assert f".entry {kernel}{suffix}(" in ptx, f"{kernel}{suffix} missing from the PTX"


def test_kernel_sources_reads_every_cu_file():
    assert set(kernels.kernel_sources()) == {"conv", "leaky_relu", "batch_norm"}


def test_reference_im2col_layout_on_a_hand_worked_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    cols = reference_im2col(x, 2, 2, 2, 2, 0, 0, 1, 1)  # 2x2 patches, stride 2
    assert cols.shape == (1, 2, 2, 1, 2, 2)             # (C, kh, kw, N, Ho, Wo)
    # offset (i, j) = (0, 0) takes the top-left pixel of each patch,
    np.testing.assert_array_equal(cols[0, 0, 0, 0], [[0, 2], [8, 10]])
    # offset (1, 1) the bottom-right one.
    np.testing.assert_array_equal(cols[0, 1, 1, 0], [[5, 7], [13, 15]])
    padded = reference_im2col(x, 3, 3, 1, 1, 1, 1, 1, 1)
    assert padded[0, 0, 0, 0, 0, 0] == 0       # reads x[-1, -1]: padding
    assert padded[0, 1, 1, 0, 0, 0] == x[0, 0, 0, 0]
    assert padded[0, 2, 0, 0, 1, 1] == x[0, 0, 2, 0]  # h = 1 - 1 + 2, w = 1 - 1 + 0
    assert padded[0, 2, 0, 0, 3, 1] == 0              # h = 3 - 1 + 2 = 4: padding


@pytest.mark.parametrize("config", CONV_CONFIGS, ids=CONV_IDS)
def test_reference_col2im_is_the_adjoint_of_reference_im2col(config):
    # <im2col(x), c> == <x, col2im(c)> for all x, c: col2im is im2col's transpose.
    N, C, H, W, *geometry = config
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W))
    c = rng.standard_normal(reference_im2col(x, *geometry).shape)
    lhs = np.vdot(reference_im2col(x, *geometry), c)
    rhs = np.vdot(x, reference_col2im(c, x.shape, *geometry))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_reference_batch_norm_backward_is_the_gradient_of_the_forward():
    # d/dx of L = sum(gy * y) with mean and inv_std recomputed from x, by centred
    # differences: confirms the closed form the fused kernel implements.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 2, 2))
    weight, bias, gy = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(x.shape)

    def loss(x):
        mean, inv_std, _ = batch_statistics(x)
        return np.sum(gy * reference_batch_norm_forward(x, mean, inv_std, weight, bias)[0])

    mean, inv_std, m = batch_statistics(x)
    _, x_hat = reference_batch_norm_forward(x, mean, inv_std, weight, bias)
    gx = reference_batch_norm_backward(gy, x_hat, weight, inv_std, *channel_sums(gy, x_hat), m)
    numeric = np.zeros_like(x)
    h = 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        numeric[index] = (loss(x + step) - loss(x - step)) / (2 * h)
    np.testing.assert_allclose(gx, numeric, rtol=1e-6, atol=1e-8)


# The library's NumPy twins, on the CPU, must agree with the loop references: this
# pins the shared layout even where no GPU ever runs.

@pytest.mark.parametrize("config", CONV_CONFIGS, ids=CONV_IDS)
def test_numpy_twins_of_im2col_and_col2im_match_the_references(config):
    conv = pytest.importorskip("minigen.nn.functional.conv")
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = config
    geometry = ((kh, kw), (sh, sw), (ph, pw), (dh, dw))
    x = np.random.default_rng(2).standard_normal((N, C, H, W))
    cols = reference_im2col(x, kh, kw, sh, sw, ph, pw, dh, dw)
    np.testing.assert_array_equal(conv.im2col_array(x, *geometry), cols)
    np.testing.assert_allclose(conv.col2im_array(cols, x.shape, *geometry),
                               reference_col2im(cols, x.shape, kh, kw, sh, sw, ph, pw, dh, dw),
                               rtol=1e-12, atol=1e-12)


def test_numpy_twins_of_batch_norm_match_the_references():
    norm = pytest.importorskip("minigen.nn.functional.norm")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 2, 5))
    weight, bias, gy = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(x.shape)
    mean, inv_std, m = batch_statistics(x)
    y, x_hat = reference_batch_norm_forward(x, mean, inv_std, weight, bias)
    for got, want in zip(norm.batch_norm_forward_array(x, mean, inv_std, weight, bias), (y, x_hat)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    sums = channel_sums(gy, x_hat)
    np.testing.assert_allclose(
        norm.batch_norm_backward_array(gy, x_hat, weight, inv_std, *sums, m),
        reference_batch_norm_backward(gy, x_hat, weight, inv_std, *sums, m), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- GPU

CUDA_MISSING = "needs CuPy and a CUDA GPU (run with --device cuda on a GPU machine)"


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cuda_is_available(), reason=CUDA_MISSING)
class TestOnGPU:
    """Each kernel against the loop references (and the NumPy twins when importable)."""

    @staticmethod
    def to_gpu(a):
        return backend.cupy.asarray(a)

    @staticmethod
    def to_cpu(a):
        return backend.cupy.asnumpy(a)

    # ---- im2col / col2im

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("config", CONV_CONFIGS, ids=CONV_IDS)
    def test_im2col_copies_exactly_what_the_reference_copies(self, config, dtype):
        N, C, H, W, *geometry = config
        x = np.random.default_rng(4).standard_normal((N, C, H, W)).astype(dtype)
        cols = kernels.im2col(self.to_gpu(x), *geometry)
        assert cols.dtype == dtype and cols.flags.c_contiguous
        np.testing.assert_array_equal(self.to_cpu(cols), reference_im2col(x, *geometry))

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("config", CONV_CONFIGS, ids=CONV_IDS)
    def test_col2im_matches_the_scatter_add_reference(self, config, dtype):
        N, C, H, W, *geometry = config
        x_shape = (N, C, H, W)
        cols_shape = reference_im2col(np.zeros(x_shape), *geometry).shape
        cols = np.random.default_rng(5).standard_normal(cols_shape).astype(dtype)
        dx = kernels.col2im(self.to_gpu(cols), x_shape, *geometry)
        assert dx.shape == x_shape and dx.dtype == dtype and dx.flags.c_contiguous
        np.testing.assert_allclose(self.to_cpu(dx), reference_col2im(cols, x_shape, *geometry),
                                   **TOLERANCE[dtype])

    @pytest.mark.parametrize("config", CONV_CONFIGS, ids=CONV_IDS)
    def test_col2im_kernel_is_the_adjoint_of_im2col_kernel(self, config):
        N, C, H, W, *geometry = config
        rng = np.random.default_rng(6)
        x = self.to_gpu(rng.standard_normal((N, C, H, W)))
        cols = kernels.im2col(x, *geometry)
        c = self.to_gpu(rng.standard_normal(cols.shape))
        lhs = float(backend.cupy.vdot(cols, c))
        rhs = float(backend.cupy.vdot(x, kernels.col2im(c, x.shape, *geometry)))
        np.testing.assert_allclose(lhs, rhs, rtol=1e-12)

    def test_col2im_is_deterministic(self):
        # Heavily overlapping patches: every pixel sums up to 16 terms. Without atomics
        # the order of that sum is fixed, so two runs agree to the last bit.
        geometry = (4, 4, 1, 1, 1, 1, 1, 1)
        x_shape = (4, 8, 32, 32)
        cols_shape = (8, 4, 4, 4, 31, 31)
        cols = self.to_gpu(np.random.default_rng(7).standard_normal(cols_shape).astype(np.float32))
        first = self.to_cpu(kernels.col2im(cols, x_shape, *geometry))
        second = self.to_cpu(kernels.col2im(cols, x_shape, *geometry))
        assert np.array_equal(first, second)

    def test_im2col_accepts_a_non_contiguous_input(self):
        x = np.random.default_rng(8).standard_normal((3, 2, 6, 5))
        x_t = self.to_gpu(x).transpose(1, 0, 2, 3)  # (2, 3, 6, 5), not C-contiguous
        geometry = (3, 2, 1, 2, 1, 0, 1, 1)
        np.testing.assert_array_equal(self.to_cpu(kernels.im2col(x_t, *geometry)),
                                      reference_im2col(x.transpose(1, 0, 2, 3), *geometry))

    @pytest.mark.parametrize("config", CONV_CONFIGS[:4], ids=CONV_IDS[:4])
    def test_im2col_and_col2im_match_their_numpy_twins(self, config):
        conv = pytest.importorskip("minigen.nn.functional.conv")
        N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = config
        geometry = ((kh, kw), (sh, sw), (ph, pw), (dh, dw))
        x = np.random.default_rng(9).standard_normal((N, C, H, W))
        cols = kernels.im2col(self.to_gpu(x), kh, kw, sh, sw, ph, pw, dh, dw)
        np.testing.assert_array_equal(self.to_cpu(cols), conv.im2col_array(x, *geometry))
        dx = kernels.col2im(cols, x.shape, kh, kw, sh, sw, ph, pw, dh, dw)
        np.testing.assert_allclose(self.to_cpu(dx),
                                   conv.col2im_array(self.to_cpu(cols), x.shape, *geometry),
                                   **TOLERANCE[np.float64])

    def test_col2im_rejects_cols_of_the_wrong_shape(self):
        cols = self.to_gpu(np.zeros((3, 3, 3, 2, 4, 4)))
        with pytest.raises(ValueError, match="C, kh, kw, N, Ho, Wo"):
            kernels.col2im(cols, (2, 3, 5, 5), 3, 3, 1, 1, 0, 0, 1, 1)

    # ---- leaky ReLU

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("slope", [0.0, 0.01, 0.2])
    def test_leaky_relu_forward_and_backward_match_the_reference(self, dtype, slope):
        rng = np.random.default_rng(10)
        x = rng.standard_normal((2, 3, 7, 5)).astype(dtype)
        x[0, 0, 0, :3] = 0  # the kink: x = 0 takes the slope branch (output 0 either way)
        gy = rng.standard_normal(x.shape).astype(dtype)
        y = kernels.leaky_relu_forward(self.to_gpu(x), slope)
        gx = kernels.leaky_relu_backward(self.to_gpu(x), self.to_gpu(gy), slope)
        assert y.dtype == dtype and gx.dtype == dtype
        np.testing.assert_allclose(self.to_cpu(y), reference_leaky_relu(x, slope), **TOLERANCE[dtype])
        np.testing.assert_allclose(self.to_cpu(gx), reference_leaky_relu_grad(x, gy, slope),
                                   **TOLERANCE[dtype])

    def test_leaky_relu_matches_its_numpy_twins(self):
        elementwise = pytest.importorskip("minigen.ops.elementwise")
        rng = np.random.default_rng(11)
        x, gy = rng.standard_normal((4, 9)), rng.standard_normal((4, 9))
        np.testing.assert_array_equal(self.to_cpu(kernels.leaky_relu_forward(self.to_gpu(x), 0.2)),
                                      elementwise.leaky_relu_array(x, 0.2))
        np.testing.assert_array_equal(
            self.to_cpu(kernels.leaky_relu_backward(self.to_gpu(x), self.to_gpu(gy), 0.2)),
            elementwise.leaky_relu_grad_array(x, gy, 0.2))

    def test_leaky_relu_accepts_a_non_contiguous_input(self):
        x = np.random.default_rng(12).standard_normal((5, 6))
        y = kernels.leaky_relu_forward(self.to_gpu(x).T, 0.1)
        assert y.flags.c_contiguous
        np.testing.assert_array_equal(self.to_cpu(y), reference_leaky_relu(x.T, 0.1))

    def test_kernels_reject_other_dtypes(self):
        with pytest.raises(TypeError, match="float32 or float64"):
            kernels.leaky_relu_forward(self.to_gpu(np.zeros(4, dtype=np.float16)), 0.2)
        with pytest.raises(TypeError, match="float32 or float64"):
            kernels.im2col(self.to_gpu(np.zeros((1, 1, 3, 3), dtype=np.int64)), 2, 2, 1, 1, 0, 0, 1, 1)

    # ---- batch norm

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("shape", [(6, 3), (2, 3, 5, 4)], ids=["N_C", "N_C_H_W"])
    @pytest.mark.parametrize("affine", [True, False], ids=["affine", "no_affine"])
    def test_batch_norm_forward_matches_the_reference(self, dtype, shape, affine):
        rng = np.random.default_rng(13)
        x = 3 * rng.standard_normal(shape) + 1
        mean, inv_std, _ = batch_statistics(x)
        weight, bias = (rng.standard_normal(3), rng.standard_normal(3)) if affine else (None, None)
        # The reference works in float64 on the very values the kernel sees.
        x, mean, inv_std, weight, bias = [None if a is None else a.astype(dtype).astype(np.float64)
                                          for a in (x, mean, inv_std, weight, bias)]
        on_gpu = [None if a is None else self.to_gpu(a.astype(dtype))
                  for a in (x, mean, inv_std, weight, bias)]
        y, x_hat = kernels.batch_norm_forward(*on_gpu)
        want_y, want_x_hat = reference_batch_norm_forward(x, mean, inv_std, weight, bias)
        assert y.dtype == dtype and x_hat.dtype == dtype
        np.testing.assert_allclose(self.to_cpu(x_hat), want_x_hat, **TOLERANCE[dtype])
        np.testing.assert_allclose(self.to_cpu(y), want_y, **TOLERANCE[dtype])

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("shape", [(6, 3), (2, 3, 5, 4)], ids=["N_C", "N_C_H_W"])
    @pytest.mark.parametrize("affine", [True, False], ids=["affine", "no_affine"])
    def test_batch_norm_backward_matches_the_reference(self, dtype, shape, affine):
        rng = np.random.default_rng(14)
        x = rng.standard_normal(shape)
        gy = rng.standard_normal(shape).astype(dtype).astype(np.float64)
        mean, inv_std, m = batch_statistics(x)
        weight = rng.standard_normal(3) if affine else None
        _, x_hat = reference_batch_norm_forward(x, mean, inv_std, None, None)
        # The reference works in float64 on the very values the kernel sees.
        x_hat, inv_std, weight = [None if a is None else a.astype(dtype).astype(np.float64)
                                  for a in (x_hat, inv_std, weight)]
        sum_gy, sum_gy_xhat = [a.astype(dtype).astype(np.float64) for a in channel_sums(gy, x_hat)]
        want = reference_batch_norm_backward(gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat, m)
        gpu = [None if a is None else self.to_gpu(a.astype(dtype))
               for a in (gy, x_hat, weight, inv_std, sum_gy, sum_gy_xhat)]
        gx = kernels.batch_norm_backward(*gpu, m)
        assert gx.dtype == dtype and gx.flags.c_contiguous
        np.testing.assert_allclose(self.to_cpu(gx), want, **TOLERANCE[dtype])

    def test_batch_norm_kernels_match_their_numpy_twins(self):
        norm = pytest.importorskip("minigen.nn.functional.norm")
        rng = np.random.default_rng(15)
        x = rng.standard_normal((4, 3, 2, 5))
        weight, bias, gy = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(x.shape)
        mean, inv_std, m = batch_statistics(x)
        g = self.to_gpu
        y, x_hat = kernels.batch_norm_forward(g(x), g(mean), g(inv_std), g(weight), g(bias))
        want_y, want_x_hat = norm.batch_norm_forward_array(x, mean, inv_std, weight, bias)
        np.testing.assert_allclose(self.to_cpu(y), want_y, **TOLERANCE[np.float64])
        np.testing.assert_allclose(self.to_cpu(x_hat), want_x_hat, **TOLERANCE[np.float64])
        sums = channel_sums(gy, want_x_hat)
        gx = kernels.batch_norm_backward(g(gy), x_hat, g(weight), g(inv_std),
                                         g(sums[0]), g(sums[1]), m)
        np.testing.assert_allclose(
            self.to_cpu(gx),
            norm.batch_norm_backward_array(gy, want_x_hat, weight, inv_std, *sums, m),
            **TOLERANCE[np.float64])
