"""The one timing rule both benchmarks use."""
import os
import statistics
import time


def set_threads(n):
    """Ask every BLAS/OpenMP library loaded after this call for ``n`` threads."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def full_float32(torch):
    """Turn off TF32 in PyTorch: on a GPU, its cuDNN convolutions multiply float32 inputs in
    TF32 (10-bit mantissa) by default, while minigen (CuPy, cuBLAS) computes in full float32.
    Off, both libraries do the same arithmetic: the twins' losses agree to float32 rounding
    and the timings compare like with like. A no-op on the CPU."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch


# Seconds to wait before each timed call when several fns alternate. A BLAS or OpenMP
# thread pool spins on its cores for a while after its last call: OpenBLAS's threads for
# over 50 ms, PyTorch's for a few. A call timed in that window shares the two cores with
# the other library's idle-spinning threads: NumPy's 1024^2 SGEMM right after a PyTorch
# matmul ran at half its speed, PyTorch's right after NumPy's at 0.4x (RESULTS.md). 0.2 s
# lets both pools fall asleep, so each call is timed as if its library ran alone.
PAUSE_S = 0.2


def median_interleaved(fns, syncs, repeat, pause=None):
    """Median seconds per call of each fn after 3 warm-up calls. The fns alternate call by
    call, so machine noise falls on all of them alike; ``syncs[k]()`` waits for fn k's device
    work (a no-op on the CPU) before each clock reading. With several fns, each timed call
    starts ``pause`` seconds (default PAUSE_S) after the previous one ended."""
    pause = PAUSE_S if pause is None else pause
    for fn, sync in zip(fns, syncs):
        for _ in range(3):
            fn()
        sync()
    samples = [[] for _ in fns]
    for _ in range(repeat):
        for k, (fn, sync) in enumerate(zip(fns, syncs)):
            sync()
            if len(fns) > 1 and pause:
                time.sleep(pause)
            t0 = time.perf_counter()
            fn()
            sync()
            samples[k].append(time.perf_counter() - t0)
    return [statistics.median(s) for s in samples]


def blas_kernels():
    """Which CPU's kernels NumPy's OpenBLAS runs, and whether OPENBLAS_CORETYPE forced them:
    on the AMD EPYC VM the environment sets OPENBLAS_CORETYPE=Haswell (AVX2 kernels), half
    the SGEMM speed of the AVX-512 kernels OpenBLAS picks by itself on that CPU."""
    try:
        from threadpoolctl import threadpool_info
        arch = next((i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"), None)
    except ImportError:
        arch = None
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return ((f", {arch} kernels" if arch else "")
            + (f", forced by OPENBLAS_CORETYPE={forced}" if forced else ""))


def machine(device):
    """One line naming what the numbers were measured on: CPU model and count, NumPy and its
    BLAS, Python, and on the GPU the device's name and CuPy's version."""
    import platform
    import numpy as np
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        blas = f"{blas['name']} {blas.get('version', '')}".strip()
    except (AttributeError, KeyError, TypeError):
        blas = "unknown BLAS"
    line = (f"{cpu} x{os.cpu_count()}, Python {platform.python_version()}, numpy {np.__version__} "
            f"({blas}{blas_kernels()})")
    if device == "cuda":
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        line += f", GPU {name.decode() if isinstance(name, bytes) else name}, cupy {cupy.__version__}"
    return line
