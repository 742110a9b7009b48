"""Loading folders of image files (minigen/data/folders.py, load_dataset on a path)."""
import numpy as np
import pytest
from PIL import Image

from minigen.data import load_dataset, load_image_folder, read_image


def write_png(path, array):
    """Save an (H, W) uint8 array as grayscale or (H, W, 3) as RGB."""
    Image.fromarray(array).save(path)
    return path


def gray(h=6, w=5, value=0):
    return (np.arange(h * w, dtype=np.uint8).reshape(h, w) + value)


def rgb(h=6, w=5):
    return np.random.default_rng(0).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_grayscale_folder_loads_as_n1hw_in_sorted_order(tmp_path):
    write_png(tmp_path / "b.png", gray(value=100))
    write_png(tmp_path / "a.png", gray())
    (tmp_path / "notes.txt").write_text("not an image")
    x = load_image_folder(tmp_path)
    assert x.shape == (2, 1, 6, 5) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[0, 0], gray())          # a.png first
    np.testing.assert_array_equal(x[1, 0], gray(value=100))


def test_rgb_folder_loads_as_n3hw(tmp_path):
    write_png(tmp_path / "x.png", rgb())
    x = load_image_folder(tmp_path)
    assert x.shape == (1, 3, 6, 5)
    np.testing.assert_array_equal(x[0], rgb().transpose(2, 0, 1))


def test_wrong_size_names_the_file(tmp_path):
    write_png(tmp_path / "a.png", gray())
    write_png(tmp_path / "odd_one.png", gray(h=7))
    with pytest.raises(ValueError, match="odd_one.png") as info:
        load_image_folder(tmp_path)
    assert "size=" in str(info.value)  # and says how to fix it


def test_wrong_channel_count_names_the_file(tmp_path):
    write_png(tmp_path / "a.png", gray())
    write_png(tmp_path / "colour.png", rgb())
    with pytest.raises(ValueError, match="colour.png") as info:
        load_image_folder(tmp_path)
    assert "channels=" in str(info.value)


def test_channels_option_converts(tmp_path):
    write_png(tmp_path / "a.png", gray())
    write_png(tmp_path / "b.png", rgb())
    x = load_image_folder(tmp_path, channels=3)
    assert x.shape == (2, 3, 6, 5)
    np.testing.assert_array_equal(x[0, 0], x[0, 2])  # gray copied into R, G and B
    assert load_image_folder(tmp_path, channels=1).shape == (2, 1, 6, 5)


def test_size_option_resizes_and_centre_crops(tmp_path):
    image = np.zeros((20, 40), dtype=np.uint8)
    image[:, 10:30] = 255                                  # a white centre square
    write_png(tmp_path / "wide.png", image)
    write_png(tmp_path / "small.png", np.full((8, 8), 255, dtype=np.uint8))
    x = load_image_folder(tmp_path, size=4)
    assert x.shape == (2, 1, 4, 4)
    assert (x == 255).all()  # the wide image's black sides were cropped away


def test_read_image_jpeg_from_open_file(tmp_path):
    Image.fromarray(np.full((10, 10, 3), 200, dtype=np.uint8)).save(tmp_path / "p.jpg")
    with open(tmp_path / "p.jpg", "rb") as f:
        x = read_image(f, size=(4, 4))
    assert x.shape == (3, 4, 4) and abs(int(x.mean()) - 200) <= 2  # JPEG is lossy


def test_unreadable_file_names_the_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="broken.png"):
        load_image_folder(tmp_path)


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no images"):
        load_image_folder(tmp_path)


def test_load_dataset_on_a_flat_folder(tmp_path):
    write_png(tmp_path / "a.png", gray())
    ds = load_dataset(tmp_path)
    assert ds.images.shape == (1, 1, 6, 5) and ds.labels is None and len(ds) == 1


def test_load_dataset_on_a_cyclegan_folder_selects_the_domain(tmp_path):
    for split, n in [("trainA", 3), ("trainB", 2), ("testA", 1), ("testB", 1)]:
        (tmp_path / split).mkdir()
        for i in range(n):
            write_png(tmp_path / split / f"{i}.png", rgb(8, 8))
    write_png(tmp_path / "trainB" / "gray.png", gray(8, 8))   # CycleGAN sets have a few
    assert load_dataset(tmp_path, split="trainA").images.shape == (3, 3, 8, 8)
    assert load_dataset(tmp_path, split="trainB").images.shape == (3, 3, 8, 8)
    with pytest.raises(ValueError, match="trainA, trainB"):
        load_dataset(tmp_path)                                  # split="train": which domain?
