"""Pixel scaling and padding (minigen/data/transforms.py)."""
import numpy as np
import pytest

from minigen.data.transforms import (binarize, compose, from_symmetric, pad_to, to_symmetric,
                                     to_uint8, to_unit)

PIXELS = np.array([0, 51, 255], dtype=np.uint8)


def test_to_unit_maps_0_255_to_0_1():
    y = to_unit(PIXELS)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 0.2, 1.0], rtol=1e-6)


def test_to_symmetric_maps_0_255_to_minus1_1():
    y = to_symmetric(PIXELS)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [-1.0, 51 / 127.5 - 1, 1.0], rtol=1e-6)


def test_from_symmetric_inverts_to_symmetric_and_clips():
    np.testing.assert_allclose(from_symmetric(to_symmetric(PIXELS)), to_unit(PIXELS), atol=1e-6)
    np.testing.assert_array_equal(from_symmetric(np.array([-1.5, 1.5])), [0.0, 1.0])


def test_to_uint8_round_trips_every_level():
    levels = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8(to_unit(levels)), levels)


def test_pad_to_centres_28_in_32():
    x = np.ones((2, 1, 28, 28), dtype=np.uint8)
    y = pad_to(x, 32)
    assert y.shape == (2, 1, 32, 32) and y.dtype == np.uint8
    assert y[:, :, 2:30, 2:30].all() and y.sum() == x.sum()


def test_pad_to_larger_input_is_an_error():
    with pytest.raises(ValueError, match="size=16"):
        pad_to(np.zeros((1, 28, 28)), 16)


def test_binarize_is_bernoulli_with_mean_x():
    rng = np.random.default_rng(0)
    x = np.full((100_000,), 0.3, dtype=np.float32)
    b = binarize(x, rng)
    assert set(np.unique(b)) == {0.0, 1.0} and b.dtype == np.float32
    # the mean of 1e5 Bernoulli(0.3) draws has std 0.0014, so 0.01 is a 7-sigma bound
    assert abs(b.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(binarize(np.array([0.0, 1.0]), rng), [0.0, 1.0])


def test_compose_applies_left_to_right():
    transform = compose(lambda x: pad_to(x, 4), to_symmetric)
    y = transform(np.full((1, 2, 2), 255, dtype=np.uint8))
    assert y.shape == (1, 4, 4) and y[0, 0, 0] == -1.0 and y[0, 1, 1] == 1.0
