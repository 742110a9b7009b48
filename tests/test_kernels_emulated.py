"""The CUDA kernels and the GPU-only Python, run on the CPU (issue 16).

``minigen/kernels/emulation.py`` compiles each ``.cu`` file as plain C++ with g++ and
launches its kernels over an emulated grid, every (block, thread) one after another,
in forward, reversed and shuffled order; ``FakeCuPy`` stands in for CuPy. Here:

* every test of tests/test_kernels.py's GPU class (the same configurations: odd sizes,
  strides/padding/dilation, non-contiguous inputs, both dtypes) runs against the loop
  references and the NumPy twins, once per launch order;
* the kernels with grids larger than the work and other block sizes, directly;
* the harness itself: it must catch a racy kernel, a write out of bounds, a grid too
  small, a Python scalar where the kernel takes an int, a non-contiguous array;
* the Python that only the GPU runs (conv's CuPy branch, batch norm's and leaky ReLU's
  kernel calls, a DCGAN training run with checkpoints) with device="cuda".

Skipped, with the reason, where there is no C++ compiler.
"""
import numpy as np
import pytest

import minigen as mg
from minigen import kernels
from minigen.kernels import emulation

import test_kernels as spec

pytestmark = pytest.mark.skipif(emulation.compiler() is None,
                                reason="no C++ compiler (g++): the CUDA emulation harness needs one")

ORDERS = ["forward", "reversed", "shuffled"]


@pytest.fixture
def fake_gpu():
    with emulation.emulated_gpu() as cupy:
        yield cupy


@pytest.fixture(params=ORDERS)
def order(request, fake_gpu):
    with emulation.launch_order(request.param, seed=16):
        yield request.param


# --------------------------------------------------------------------------- the GPU suite, emulated

class TestKernelsEmulated:
    """tests/test_kernels.py's GPU tests, verbatim, on the emulated GPU in each launch order."""

    @pytest.fixture(autouse=True)
    def _emulated(self, order):
        yield

    @staticmethod
    def to_gpu(a):
        return mg.backend.cupy.asarray(a)

    @staticmethod
    def to_cpu(a):
        return mg.backend.cupy.asnumpy(a)


for _name, _test in vars(spec.TestOnGPU).items():
    if _name.startswith("test_"):
        setattr(TestKernelsEmulated, _name, _test)


def test_every_gpu_test_is_also_run_emulated():
    gpu_tests = {n for n in vars(spec.TestOnGPU) if n.startswith("test_")}
    assert gpu_tests and gpu_tests <= set(vars(TestKernelsEmulated))


# --------------------------------------------------------------------------- the kernels directly

def module(source):
    return emulation.EmulatedModule(kernels.kernel_sources()[source], name=f"{source}.cu")


@pytest.mark.parametrize("source", sorted(kernels.KERNELS))
def test_every_kernel_the_loader_names_compiles_for_emulation(source):
    found = module(source).signatures
    for name in kernels.KERNELS[source]:
        assert f"{name}_f32" in found and f"{name}_f64" in found


def _im2col_args(x, cols, config):
    N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw = config
    Ho, Wo = cols.shape[4:]
    return (x, cols, np.int64(cols.size)) + tuple(np.int32(v) for v in (N, C, H, W, Ho, Wo, kh, kw, sh, sw,
                                                                           ph, pw, dh, dw))


@pytest.mark.parametrize("block, extra_blocks", [(1, 0), (7, 3), (32, 1), (256, 5), (1024, 2)])
@pytest.mark.parametrize("order_kind", ORDERS)
def test_grids_larger_than_the_work_and_other_block_sizes(block, extra_blocks, order_kind):
    config = spec.CONV_CONFIGS[3]
    x = np.random.default_rng(1).standard_normal(config[:4]).astype(np.float32)
    want = spec.reference_im2col(x, *config[4:])
    cols = np.full(want.shape, np.nan, dtype=np.float32)
    grid = -(-cols.size // block) + extra_blocks
    module("conv").get_function("im2col_f32").launch((grid,), (block,), _im2col_args(x, cols, config),
                                                     order=order_kind, seed=block)
    np.testing.assert_array_equal(cols, want)
    dx = np.full(x.shape, np.nan, dtype=np.float32)
    col2im = module("conv").get_function("col2im_f32")
    args = (want, dx, np.int64(dx.size)) + _im2col_args(x, want, config)[3:]
    col2im.launch((-(-dx.size // block) + extra_blocks,), (block,), args, order=order_kind, seed=block)
    np.testing.assert_allclose(dx, spec.reference_col2im(want, x.shape, *config[4:]), **spec.TOLERANCE[np.float32])


def test_a_grid_smaller_than_the_work_leaves_elements_unwritten():
    # One thread per element: a launch that is too small must show, and does (NaN stays).
    x = np.ones(1000, dtype=np.float64)
    out = np.full(1000, np.nan)
    module("leaky_relu").get_function("leaky_relu_f64").launch((3,), (256,), (x, x, np.float64(0.1), out,
                                                                              np.int64(1000)))
    assert np.isnan(out[768:]).all() and not np.isnan(out[:768]).any()


def test_the_wrappers_launch_enough_threads_and_none_for_empty_arrays(fake_gpu):
    for size in (1, 255, 256, 257, 1000):
        x = fake_gpu.asarray(np.ones(size))
        kernels.leaky_relu_forward(x, 0.1)
    launches = kernels._kernel("leaky_relu", "leaky_relu", "float64").launches
    for (grid, block), size in zip(launches, (1, 255, 256, 257, 1000)):
        assert block == (256, 1, 1) and grid[0] * 256 >= size > (grid[0] - 1) * 256
    before = len(launches)
    assert kernels.leaky_relu_forward(fake_gpu.asarray(np.ones(0)), 0.1).size == 0
    assert len(launches) == before  # a grid of zero blocks would be a launch error


# --------------------------------------------------------------------------- the harness catches bugs

RACY = r'''
extern "C" __global__ void last_writer_wins(const double* x, double* out, long long size) {
    const long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= size) return;
    out[0] = x[index];          // every thread writes out[0]: the result depends on the order
}
extern "C" __global__ void no_bounds_check(double* out, long long size) {
    const long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    out[index] = 1.0;           // the missing `if (index >= size) return;`
}
extern "C" __global__ void sums_with_atomics(const float* x, float* total, int size) {
    const int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index < size) atomicAdd(total, x[index]);
}
'''


def test_the_harness_exposes_an_order_dependent_kernel():
    racy = emulation.EmulatedModule(RACY, name="racy.cu").get_function("last_writer_wins")
    x = np.arange(300, dtype=np.float64)
    results = set()
    for kind in ORDERS:
        out = np.zeros(1)
        racy.launch((2,), (256,), (x, out, np.int64(300)), order=kind, seed=3)
        results.add(float(out[0]))
    assert len(results) == 3


def test_the_harness_catches_a_write_out_of_bounds():
    kernel = emulation.EmulatedModule(RACY, name="racy.cu").get_function("no_bounds_check")
    with pytest.raises(emulation.EmulationError, match="wrote outside array argument"):
        kernel.launch((2,), (256,), (np.zeros(300), np.int64(300)))


def test_atomic_add_is_emulated():
    kernel = emulation.EmulatedModule(RACY, name="racy.cu").get_function("sums_with_atomics")
    total = np.zeros(1, dtype=np.float32)
    kernel.launch((4,), (32,), (np.ones(100, dtype=np.float32), total, np.int32(100)), order="shuffled")
    assert total[0] == 100


def test_the_harness_refuses_what_a_real_launch_would_get_wrong():
    kernel = module("leaky_relu").get_function("leaky_relu_f32")
    x, out = np.ones(8, dtype=np.float32), np.zeros(8, dtype=np.float32)
    with pytest.raises(emulation.EmulationError, match="pass int64"):
        kernel.launch((1,), (8,), (x, x, np.float32(0.1), out, 8))  # a Python int for long long
    with pytest.raises(emulation.EmulationError, match="takes float"):
        kernel.launch((1,), (8,), (x, x, 0.1, out, np.int64(8)))  # a Python float for float
    with pytest.raises(emulation.EmulationError, match="dtype float64"):
        kernel.launch((1,), (8,), (x.astype(np.float64), x, np.float32(0.1), out, np.int64(8)))
    with pytest.raises(emulation.EmulationError, match="not C-contiguous"):
        kernel.launch((1,), (8,), (np.ones((4, 4), np.float32)[:, ::2], x, np.float32(0.1), out, np.int64(8)))
    with pytest.raises(emulation.EmulationError, match="more than 1024 threads"):
        kernel.launch((1,), (2048,), (x, x, np.float32(0.1), out, np.int64(8)))


def test_a_kernel_that_needs_threads_together_is_refused_not_passed():
    code = 'extern "C" __global__ void k(float* a) { __syncthreads(); a[threadIdx.x] = 0; }'
    with pytest.raises(emulation.EmulationError, match="cannot emulate __syncthreads"):
        emulation.EmulatedModule(code, name="sync.cu")


# --------------------------------------------------------------------------- GPU-only Python, executed

def _forward_backward(device, x, seed=0):
    mg.manual_seed(seed)
    net = mg.nn.Sequential(mg.nn.Conv2d(3, 4, 3, stride=2, padding=1), mg.nn.BatchNorm2d(4),
                           mg.nn.LeakyReLU(0.2), mg.nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1))
    net.to(device)
    xt = mg.tensor(x, device=device, requires_grad=True)
    y = net(xt)
    (y * y).sum().backward()
    grads = [mg.backend.as_numpy(p.grad.data if hasattr(p.grad, "data") else p.grad) for p in net.parameters()]
    return mg.backend.as_numpy(y.data), mg.backend.as_numpy(xt.grad.data if hasattr(xt.grad, "data") else xt.grad), grads


def test_conv_batchnorm_leaky_relu_on_the_emulated_gpu_match_the_cpu(fake_gpu):
    x = np.random.default_rng(2).standard_normal((3, 3, 9, 7))
    on_cpu = _forward_backward("cpu", x)
    on_gpu = _forward_backward("cuda", x)
    compiled = {name for m in fake_gpu.modules for name in m.signatures}
    assert {"im2col_f64", "col2im_f64", "batch_norm_forward_f64", "batch_norm_backward_f64",
            "leaky_relu_f64"} <= compiled  # the GPU branches really took the kernels
    np.testing.assert_allclose(on_gpu[0], on_cpu[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(on_gpu[1], on_cpu[1], rtol=1e-10, atol=1e-12)
    for g, c in zip(on_gpu[2], on_cpu[2]):
        np.testing.assert_allclose(g, c, rtol=1e-9, atol=1e-10)


def test_a_dcgan_run_trains_checkpoints_and_resumes_on_the_emulated_gpu(fake_gpu, tmp_path):
    from minigen.training import TrainConfig, train
    options = {"g_width": 8, "d_width": 8, "nz": 8}
    cfg = dict(model="dcgan", device="cuda", batch_size=8, out=str(tmp_path / "gan"), progress=False,
               options=options, checkpoint_every=2, sample_every=2, log_every=1)
    run = train(TrainConfig(steps=2, **cfg))
    assert (run.checkpoints_dir / "ckpt_000002.npz").exists() and (run.samples_dir / "step_000002.png").exists()
    resumed = train(TrainConfig(resume=str(run.path), steps=3, device="cuda", progress=False))
    assert [r["step"] for r in resumed.read_metrics()] == [1, 2, 3]
    assert all(np.isfinite(v) for r in resumed.read_metrics() for k, v in r.items() if k.startswith("loss"))


def test_the_gpu_draws_the_cpu_numbers_and_one_state_replays_them(fake_gpu):
    """One generator for both devices: a seed gives the same noise on either, and the state
    that checkpoints save (get_rng_state) replays the GPU's draws too. With a CuPy generator of
    its own the GPU's draws escaped that state, and the benchmark's replayed noise (and a
    resumed GPU run) diverged."""
    from minigen import random as mg_random
    mg.manual_seed(3)
    on_cpu = [mg.randn(4, 5).numpy(), mg.rand(6).numpy(), mg.randint(0, 9, (7,)).numpy()]
    mg.manual_seed(3)
    on_gpu = [mg.randn(4, 5, device="cuda"), mg.rand(6, device="cuda"), mg.randint(0, 9, (7,), device="cuda")]
    assert all(t.device == "cuda" for t in on_gpu)
    for g, c in zip(on_gpu, on_cpu):
        np.testing.assert_array_equal(g.numpy(), c)
    state = mg_random.get_rng_state()
    first = mg.randn(3, device="cuda").numpy()
    mg_random.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(3, device="cuda").numpy(), first)


def test_a_resumed_gpu_run_repeats_the_uninterrupted_one(fake_gpu, tmp_path):
    from minigen.training import TrainConfig, train
    options = {"g_width": 8, "d_width": 8, "nz": 8}
    cfg = dict(model="dcgan", device="cuda", batch_size=8, progress=False, options=options,
               checkpoint_every=2, sample_every=100, log_every=1, seed=5)
    whole = train(TrainConfig(steps=3, out=str(tmp_path / "whole"), **cfg)).read_metrics()
    train(TrainConfig(steps=2, out=str(tmp_path / "split"), **cfg))
    resumed = train(TrainConfig(resume=str(tmp_path / "split"), steps=3, device="cuda", progress=False))
    losses = lambda rows: [(r["step"], r["loss_d"], r["loss_g"]) for r in rows]  # noqa: E731
    assert losses(resumed.read_metrics()) == losses(whole)


# --------------------------------------------------------------------------- emulation vs the device

@pytest.mark.gpu
@pytest.mark.skipif(not mg.backend.cuda_is_available(), reason=spec.CUDA_MISSING)
@pytest.mark.parametrize("dtype", spec.DTYPES)
def test_emulated_kernels_agree_with_the_real_gpu(dtype):
    """On a GPU machine (benchmarks/gpu_session.sh): what the emulator says is what the device does."""
    cupy = mg.backend.cupy
    rng = np.random.default_rng(17)
    config = spec.CONV_CONFIGS[7]
    x = rng.standard_normal(config[:4]).astype(dtype)
    mean, inv_std, m = spec.batch_statistics(x)
    w, b = rng.standard_normal(config[1]), rng.standard_normal(config[1])

    def run_all(xp):
        d = xp.asarray(x)
        cols = kernels.im2col(d, *config[4:])
        y, x_hat = kernels.batch_norm_forward(d, mean, inv_std, w, b)
        return [xp.asnumpy(a) for a in (cols, kernels.col2im(cols, x.shape, *config[4:]),
                                        kernels.leaky_relu_forward(d, 0.2),
                                        kernels.leaky_relu_backward(d, y, 0.2), y, x_hat)]
    real = run_all(cupy)
    with emulation.emulated_gpu() as fake:
        emulated = run_all(fake)
    for r, e in zip(real, emulated):
        np.testing.assert_allclose(e, r, **spec.TOLERANCE[dtype])


def test_every_op_case_runs_on_the_emulated_gpu(fake_gpu):
    """tests/test_op_gradients.py's first-order cases with device="cuda", emulated: a case
    whose constants stay on the host (a target, running statistics) fails here, on the CPU,
    rather than on a GPU machine."""
    from minigen.opcases import cases_for
    from minigen.selfcheck import run_case
    failed = [f"{case.name}: {result.message}" for case in cases_for("cuda")
              for result in [run_case(case, "cuda", order=1)] if not result.passed]
    assert not failed, "\n".join(failed)
