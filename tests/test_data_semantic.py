"""The semantic-synthesis data set (issue 19): label maps in closed form, renderings whose
colour family follows the label while the particular colour varies, determinism."""
import colorsys

import numpy as np
import pytest

from minigen.data import to_symmetric
from minigen.data.semantic import (N_LABELS, colourise, hsv_to_rgb, label_channel, label_maps, one_hot,
                                   render, semantic_synthesis)


def test_label_map_marks_background_border_and_the_class_on_the_strokes():
    digit = np.zeros((1, 1, 6, 6), np.uint8)
    digit[0, 0, 2, 2:4] = 200          # two stroke pixels
    digit[0, 0, 4, 4] = 127            # below the threshold: not a stroke
    lab = label_maps(digit, [7])[0]
    assert (lab[2, 2:4] == 9).all()                            # 2 + class 7
    ring = np.zeros((6, 6), bool)
    ring[1:4, 1:5] = True
    ring[2, 2:4] = False
    assert (lab[ring] == 1).all() and ring.sum() == 10         # the 3x3 dilation minus the stroke
    assert (lab[~ring & (lab != 9)] == 0).all()


def test_hsv_to_rgb_matches_colorsys():
    rng = np.random.default_rng(0)
    h, s, v = rng.uniform(size=(3, 50))
    want = np.array([colorsys.hsv_to_rgb(*hsv) for hsv in zip(h, s, v)]).T
    np.testing.assert_allclose(hsv_to_rgb(h, s, v), want, atol=1e-12)


def test_the_label_fixes_the_colour_family_and_the_seed_the_particular_colour():
    lab = label_maps(np.full((2, 1, 8, 8), 255, np.uint8) * (np.arange(8) >= 4), [3, 3])
    a, b = render(lab, np.random.default_rng(0)), render(lab, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)                                   # deterministic
    assert np.abs(a[0] - a[1]).max() > 0.05                               # two draws differ
    for img, m in zip(a, lab):
        hues = [colorsys.rgb_to_hsv(*img[:, i, j])[0] for i, j in zip(*np.nonzero(m == 5))]
        assert np.all(np.abs(np.array(hues) - 0.3) <= 0.025 + 1e-9)       # a 3's sector: hue 3/10
        assert img[:, m == 0].max(axis=0).max() <= 0.35 * 1.3 + 1e-9     # dark background
        assert img[:, m == 1].max(axis=0).min() >= 0.8 - 1e-9             # light border


def test_data_set_is_label_then_rgb_and_deterministic_given_the_seed():
    ds = semantic_synthesis("test")
    assert ds.images.shape == (500, 4, 32, 32) and ds.images.dtype == np.uint8
    assert ds.images[:, 0].max() == N_LABELS - 1 and set(np.unique(ds.images[:, 0])) == set(range(N_LABELS))
    strokes = ds.images[:, 0] >= 2
    np.testing.assert_array_equal((ds.images[:, 0] - 2)[strokes],
                                  np.broadcast_to(ds.labels[:, None, None], strokes.shape)[strokes])
    np.testing.assert_array_equal(semantic_synthesis("test").images, ds.images)
    other = semantic_synthesis("test", seed=1).images
    np.testing.assert_array_equal(other[:, 0], ds.images[:, 0])          # the same maps
    assert np.abs(other[:, 1:].astype(int) - ds.images[:, 1:]).mean() > 10  # other colours
    with pytest.raises(ValueError, match="split='val'"):
        semantic_synthesis("val")


def test_label_channel_undoes_the_symmetric_transform_and_one_hot_encodes():
    lab = np.arange(N_LABELS, dtype=np.uint8).reshape(1, 1, 3, 4)
    back = label_channel(to_symmetric(lab)[:, 0])
    np.testing.assert_array_equal(back, lab[:, 0])
    oh = one_hot(back)
    assert oh.shape == (1, N_LABELS, 3, 4) and (oh.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(oh.argmax(axis=1), back)
    pictures = colourise(back)
    assert pictures.shape == (1, 3, 3, 4) and (pictures[0, :, 0, 0] == 0).all()
