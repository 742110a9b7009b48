"""minigen.allocator: large blocks come from the heap under keep_freed_memory() and from
fresh kernel pages under glibc's default policy (read from glibc's own mallinfo2)."""
import ctypes

import numpy as np
import pytest

from minigen import allocator


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]


def _mallinfo():
    libc = allocator._libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc >= 2.33 (mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2
    return libc.mallinfo2()


def _mmapped_growth_while_a_48_mib_array_lives():
    """Bytes of separately mmapped blocks (``hblkhd``) added by allocating 48 MiB: above
    glibc's largest default mmap threshold, so 48 MiB of fresh pages by default and none
    when the heap serves it."""
    before = _mallinfo().hblkhd
    a = np.ones(12 << 20, dtype=np.float32)
    grown = _mallinfo().hblkhd - before
    del a
    return grown


def test_keep_freed_memory_serves_large_blocks_from_the_heap_and_default_maps_fresh_pages():
    _mallinfo()  # skips where unsupported
    try:
        assert allocator.keep_freed_memory()
        assert _mmapped_growth_while_a_48_mib_array_lives() == 0
        assert allocator.default_policy()
        assert _mmapped_growth_while_a_48_mib_array_lives() >= 48 << 20
    finally:
        allocator.default_policy()


@pytest.mark.parametrize("limit", [0, 1.5e9, 1 << 31, "1G"])
def test_bad_limit_names_the_argument(limit):
    with pytest.raises(ValueError, match="limit="):
        allocator.keep_freed_memory(limit)
