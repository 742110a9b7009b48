"""save_image_grid / make_grid (minigen/data/grid.py), read back with Pillow."""
import numpy as np
import pytest
from PIL import Image

from minigen.data import make_grid, save_image_grid


def test_grid_size_follows_torchvision_layout():
    grid = make_grid(np.zeros((10, 1, 28, 28)), nrow=4, padding=2)
    # 3 rows of 4: height 3 * (28 + 2) + 2, width 4 * (28 + 2) + 2
    assert grid.shape == (92, 122, 1) and grid.dtype == np.uint8


@pytest.mark.parametrize("channels", [1, 3])
def test_symmetric_range_maps_minus1_0_1_to_0_128_255(tmp_path, channels):
    images = np.zeros((3, channels, 2, 2), dtype=np.float32)
    images[0], images[1], images[2] = -1.0, 0.0, 1.0
    path = save_image_grid(images, tmp_path / "grid.png", nrow=3, padding=1)
    with Image.open(path) as image:
        assert image.mode == ("L" if channels == 1 else "RGB")
        assert image.size == (3 * 3 + 1, 2 + 2)                # (width, height)
        pixels = np.asarray(image).reshape(4, 10, -1)
    assert (pixels[1, [1, 4, 7]] == [[0], [128], [255]]).all()  # round(127.5) = 128
    assert (pixels[0] == 0).all()                               # black padding


@pytest.mark.parametrize("channels", [1, 3])
def test_unit_range_maps_0_half_1_to_0_128_255(tmp_path, channels):
    images = np.stack([np.full((channels, 2, 2), v, dtype=np.float32) for v in (0.0, 0.5, 1.0)])
    path = save_image_grid(images, tmp_path / "grid.png", nrow=3, padding=0)
    with Image.open(path) as image:
        pixels = np.asarray(image).reshape(2, 6, -1)
    assert (pixels[0, [0, 2, 4]] == [[0], [128], [255]]).all()


def test_explicit_value_range_overrides_auto_detection():
    grid = make_grid(np.full((1, 1, 1, 1), 0.5), value_range=(-1, 1), padding=0)
    assert grid[0, 0, 0] == 191  # (0.5 + 1) / 2 * 255 = 191.25


def test_accepts_anything_with_a_numpy_method(tmp_path):
    class FakeTensor:
        def numpy(self):
            return np.ones((2, 3, 4, 4), dtype=np.float32)
    path = save_image_grid(FakeTensor(), tmp_path / "t.png", nrow=2, padding=0)
    with Image.open(path) as image:
        assert image.size == (8, 4) and np.asarray(image).min() == 255


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    save_image_grid(np.zeros((1, 1, 2, 2)), tmp_path / "a.png")
    save_image_grid(np.ones((1, 1, 2, 2)), tmp_path / "a.png")   # replaces it
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        make_grid(np.zeros((2, 4, 5, 5)))
