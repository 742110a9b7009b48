"""minigen.allocator: freed large blocks stay in the heap under keep_freed_memory() and go
back to the kernel under glibc's default policy (read from glibc's own mallinfo2)."""
import ctypes

import numpy as np
import pytest

from minigen import allocator


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]


def _heap_free_bytes():
    libc = allocator._libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc >= 2.33 (mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2().fordblks


def _free_after_dropping_a_48_mib_array():
    a = np.ones(12 << 20, dtype=np.float32)  # 48 MiB: above glibc's largest default mmap threshold
    del a
    return _heap_free_bytes()


def test_keep_freed_memory_keeps_a_freed_block_in_the_heap_and_default_returns_it():
    _heap_free_bytes()  # skips where unsupported
    try:
        assert allocator.keep_freed_memory()
        assert _free_after_dropping_a_48_mib_array() >= 48 << 20
        assert allocator.default_policy()
        assert _free_after_dropping_a_48_mib_array() < 48 << 20
    finally:
        allocator.default_policy()


@pytest.mark.parametrize("limit", [0, 1.5e9, 1 << 31, "1G"])
def test_bad_limit_names_the_argument(limit):
    with pytest.raises(ValueError, match="limit="):
        allocator.keep_freed_memory(limit)
