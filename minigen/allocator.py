"""Keep freed host memory for reuse instead of handing it back to the operating system.

A training step allocates and frees the same large arrays every step: at batch 512 a DCGAN
activation is 25-51 MB and a block of convolution columns ~8 MB per slice. glibc's malloc
serves blocks above its mmap threshold (at most 32 MB) with fresh pages from the kernel and
trims its heap whenever more than twice that lies free at the top, so the next step's arrays
fault in (and the kernel zeroes) tens of thousands of pages again. Raising both limits keeps
the freed blocks in the heap: a later array of the same size reuses warm pages. PyTorch's
Performance Tuning Guide gives the same advice for CPU training ("Switch Memory allocator":
jemalloc or TCMalloc, which reuse memory). Measured: `python benchmarks/ab.py allocator`.

The cost: the process keeps up to ``limit`` bytes (1 GiB by default) that it no longer uses
until it exits (peak memory is unchanged). The command line's training and the benchmarks call
it; a notebook may, too. Outside glibc (macOS, Windows, musl) it does nothing and returns False.
"""
import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
GLIBC_DEFAULTS = {"mmap_threshold": 32 << 20, "trim_threshold": 64 << 20, "top_pad": 128 << 10}


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None
    except OSError:
        return None


def keep_freed_memory(limit=1 << 30):
    """Serve blocks up to ``limit`` bytes from the heap and trim it only when more than
    ``limit`` bytes lie free. Returns True where it took effect (glibc), False elsewhere."""
    if not isinstance(limit, int) or not (1 << 20) <= limit < (1 << 31):
        raise ValueError(f"keep_freed_memory: limit={limit!r} must be an int number of bytes from "
                         "1 MiB to 2 GiB (glibc takes a C int)")
    return _set(mmap_threshold=limit, trim_threshold=limit, top_pad=64 << 20)


def default_policy():
    """glibc's limits at their usual steady state (mmap threshold 32 MiB, trim at 64 MiB),
    with the surplus handed back now: the "before" of ``benchmarks/ab.py allocator``."""
    done = _set(**GLIBC_DEFAULTS)
    if done:
        _libc().malloc_trim(0)
    return done


def _set(mmap_threshold, trim_threshold, top_pad):
    libc = _libc()
    if libc is None:
        return False
    return all(libc.mallopt(param, value) == 1 for param, value in
               ((M_MMAP_THRESHOLD, mmap_threshold), (M_TRIM_THRESHOLD, trim_threshold), (M_TOP_PAD, top_pad)))
