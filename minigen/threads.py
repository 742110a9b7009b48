"""How many threads NumPy's BLAS may use: ``mg.set_num_threads(n)`` and ``mg.get_num_threads()``,
PyTorch's names for the same knob (``torch.set_num_threads``).

Why it matters: a GEMM split over two threads on a machine whose other core is busy waits for
the slower thread at every call; a VAE step was measured 7x slower that way (issue 21). The
environment variables (OMP_NUM_THREADS, ...) only work before NumPy loads; threadpoolctl
changes the limit of the BLAS library already loaded, at any time.
"""
from threadpoolctl import threadpool_info, threadpool_limits


def _check(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n={n!r}: expected an integer >= 1")
    return n


def set_num_threads(n):
    """Limit every BLAS library loaded in this process (NumPy's OpenBLAS or MKL) to n threads,
    until the next call. Returns None, like torch.set_num_threads."""
    import numpy  # noqa: F401  (load NumPy's BLAS first, so that there is a library to limit)
    threadpool_limits(limits=_check(n), user_api="blas")


def get_num_threads():
    """The largest thread count any loaded BLAS library will use now (1 if none is loaded)."""
    import numpy  # noqa: F401
    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts, default=1)
