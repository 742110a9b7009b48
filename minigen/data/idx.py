"""The IDX file format of MNIST and Fashion-MNIST.

An IDX file is a tiny header followed by one raw array, all big-endian:

    bytes 0-1   0x00 0x00            (magic: always zero)
    byte  2     dtype code           0x08 uint8, 0x09 int8, 0x0B int16,
                                     0x0C int32, 0x0D float32, 0x0E float64
    byte  3     ndim                 (3 for images, 1 for labels)
    then ndim   uint32 sizes         e.g. 60000, 28, 28
    then        prod(sizes) values   row-major (C order)

So ``train-images-idx3-ubyte`` starts ``00 00 08 03 | 0000EA60 0000001C 0000001C``
(60000 images of 28 x 28 uint8) and ``train-labels-idx1-ubyte`` starts
``00 00 08 01 | 0000EA60``. The files are usually distributed gzipped; we detect
gzip by its own magic bytes ``1f 8b`` rather than by the file name.
"""
import gzip
import zlib

import numpy as np

# IDX dtype codes -> NumPy dtypes; '>' because IDX stores multi-byte values big-endian.
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data, name="<bytes>"):
    """Parse the bytes of an IDX file into an array of shape ``sizes``.

    ``name`` only appears in error messages. Multi-byte dtypes come back in the
    machine's native byte order. Raises ``ValueError`` on a wrong magic number,
    an unknown dtype code, or a payload whose length does not match the header.
    """
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise ValueError(f"{name}: the gzip data is corrupt or truncated ({exc}); delete the "
                             "file and fetch it again") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an IDX file (magic number {data[:4].hex()!r}, "
                         "expected 0000 followed by a dtype code and ndim)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02x}; "
                         f"known codes are {sorted(hex(c) for c in IDX_DTYPES)}")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise ValueError(f"{name}: the file ends inside its header; it is truncated")
    shape = tuple(int(s) for s in np.frombuffer(data[4:header_end], dtype=">u4"))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = data[header_end:]
    if len(payload) != expected:
        raise ValueError(f"{name}: header says shape {shape} ({expected} bytes of "
                         f"{dtype.name}) but the file holds {len(payload)} bytes after it; "
                         "the file is truncated or corrupt")
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writeable copy


def read_idx(path):
    """Read an IDX file (gzipped or raw) from disk; see ``parse_idx``."""
    with open(path, "rb") as f:
        return parse_idx(f.read(), name=str(path))
