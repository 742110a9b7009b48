"""The IDX parser (minigen/data/idx.py) on small IDX files written here, byte by byte."""
import gzip
import struct

import numpy as np
import pytest

from minigen.data.idx import parse_idx, read_idx


def idx_bytes(array, code=0x08, dtype=">u1"):
    """The IDX encoding of ``array``: 00 00 <code> <ndim>, big-endian uint32 sizes, data."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_reads_uint8_images(tmp_path, images, compress):
    data = idx_bytes(images)
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    x = read_idx(path)
    assert x.dtype == np.uint8 and x.shape == (5, 4, 3)
    np.testing.assert_array_equal(x, images)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_reads_uint8_labels(tmp_path, compress):
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    data = idx_bytes(labels)
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(data) if compress else data)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_big_endian_int32_comes_back_native():
    values = np.array([[1, -2], [70000, 3]])
    x = parse_idx(idx_bytes(values, code=0x0C, dtype=">i4"))
    assert x.dtype == np.int32 and x.dtype.isnative
    np.testing.assert_array_equal(x, values)


def test_header_sizes_of_mnist_layout(images):
    # 00 00 08 03 then 5, 4, 3 as big-endian uint32: the layout of train-images-idx3-ubyte
    assert idx_bytes(images)[:16].hex() == "00000803" "00000005" "00000004" "00000003"


def test_wrong_magic_number_is_an_error(tmp_path, images):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x12\x34" + idx_bytes(images)[2:])
    with pytest.raises(ValueError, match="not an IDX file") as info:
        read_idx(path)
    assert "bad-idx3-ubyte" in str(info.value)


def test_unknown_dtype_code_is_an_error(images):
    with pytest.raises(ValueError, match="dtype code 0x07"):
        parse_idx(idx_bytes(images, code=0x07))


@pytest.mark.parametrize("keep", [-1, 10], ids=["in-data", "in-header"])
def test_truncated_file_is_an_error(images, keep):
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(idx_bytes(images)[:keep])
