"""The MNIST subset shipped inside the package (minigen/data/embedded_mnist.npz)."""
import shutil

import numpy as np
import pytest

from minigen.data import CorruptDataError, load_dataset
from minigen.data.datasets import verify_embedded
from minigen.data.paths import EMBEDDED_NPZ, read_sha256_file, sha256_file


@pytest.fixture(scope="module")
def train():
    return load_dataset("embedded", split="train")


@pytest.fixture(scope="module")
def test():
    return load_dataset("embedded", split="test")


def test_is_the_default(train):
    assert load_dataset().name == "embedded" and len(load_dataset()) == len(train)


def test_shapes_and_dtypes(train, test):
    assert train.images.shape == (4500, 1, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (500, 1, 28, 28) and test.images.dtype == np.uint8
    assert train.labels.dtype == np.int64 and test.labels.dtype == np.int64


def test_450_train_and_50_test_per_class(train, test):
    np.testing.assert_array_equal(np.bincount(train.labels, minlength=10), [450] * 10)
    np.testing.assert_array_equal(np.bincount(test.labels, minlength=10), [50] * 10)


def test_splits_are_disjoint(train, test):
    train_rows = {image.tobytes() for image in train.images}
    assert len(train_rows) == 4500  # no duplicate inside train either
    assert not any(image.tobytes() in train_rows for image in test.images)


def test_pixels_look_like_mnist(train):
    # MNIST: black background, white strokes; about 19% of pixels are non-zero
    assert train.images.min() == 0 and train.images.max() == 255
    assert 0.1 < (train.images > 0).mean() < 0.3
    assert train.images[:, :, 0, :].max() < 50  # the top row is (almost) always empty


def test_sha256_matches_the_shipped_file():
    assert sha256_file(EMBEDDED_NPZ) == read_sha256_file(EMBEDDED_NPZ.with_suffix(".sha256"))


def test_getitem_returns_image_and_label(train):
    image, label = train[3]
    assert image.shape == (1, 28, 28) and label == train.labels[3]


def copy_embedded(tmp_path):
    npz = tmp_path / EMBEDDED_NPZ.name
    shutil.copy(EMBEDDED_NPZ, npz)
    shutil.copy(EMBEDDED_NPZ.with_suffix(".sha256"), npz.with_suffix(".sha256"))
    return npz


def test_corrupted_copy_is_a_clear_error(tmp_path):
    npz = copy_embedded(tmp_path)
    data = bytearray(npz.read_bytes())
    data[1000] ^= 0xFF                                   # flip one byte
    npz.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="embedded_mnist.npz is corrupt"):
        verify_embedded(npz)


def test_truncated_copy_is_a_clear_error(tmp_path):
    npz = copy_embedded(tmp_path)
    npz.write_bytes(npz.read_bytes()[:100_000])
    with pytest.raises(CorruptDataError, match=str(npz)):
        verify_embedded(npz)


def test_missing_checksum_file_is_a_clear_error(tmp_path):
    npz = copy_embedded(tmp_path)
    npz.with_suffix(".sha256").unlink()
    with pytest.raises(CorruptDataError, match="embedded_mnist.sha256 is missing"):
        verify_embedded(npz)
