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


def median_interleaved(fns, syncs, repeat):
    """Median seconds per call of each fn after 3 warm-up calls. The fns alternate call by
    call, so machine noise falls on all of them alike; ``syncs[k]()`` waits for fn k's device
    work (a no-op on the CPU) before each clock reading."""
    for fn, sync in zip(fns, syncs):
        for _ in range(3):
            fn()
        sync()
    samples = [[] for _ in fns]
    for _ in range(repeat):
        for k, (fn, sync) in enumerate(zip(fns, syncs)):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            samples[k].append(time.perf_counter() - t0)
    return [statistics.median(s) for s in samples]


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
            f"({blas})")
    if device == "cuda":
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        line += f", GPU {name.decode() if isinstance(name, bytes) else name}, cupy {cupy.__version__}"
    return line
