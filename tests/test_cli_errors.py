"""Issue 16: user mistakes that used to end in a traceback. Each is now one line on
stderr, ``minigen: error: ...``, naming the argument, the value and what was expected,
with exit status 2 (library functions: a ValueError saying the same)."""
import errno
import gzip
import json

import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen.cli import main
from minigen.training import TrainConfig, train

SMALL = ["--steps", "2", "--batch-size", "8", "--no-progress"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def npz(tmp_path, name, images, labels=None):
    arrays = {"x_train": images}
    if labels is not None:
        arrays["y_train"] = labels
    np.savez(tmp_path / name, **arrays)
    return tmp_path / name


rng = np.random.default_rng(0)


@pytest.fixture
def run(tmp_path):
    return train(TrainConfig(model="autoencoder", steps=2, batch_size=8, out=str(tmp_path / "run"),
                             progress=False, options={"width": 4}, checkpoint_every=2))


# --------------------------------------------------------------------- data checked before the first step

def test_a_five_channel_npz_is_refused_before_training(tmp_path, capsys):
    # before: trained, then crashed at the first sample grid with nothing saved
    data = npz(tmp_path, "five.npz", rng.integers(0, 255, (32, 5, 28, 28), dtype=np.uint8))
    code, _, err = cli(capsys, "train", "autoencoder", "--data", data, "--out", tmp_path / "r", *SMALL)
    assert_one_line(code, err, "5 channels", "expected 1 (grey) or 3 (RGB)")
    assert not (tmp_path / "r").exists()


def test_one_pixel_images_are_refused(tmp_path, capsys):
    data = npz(tmp_path, "tiny.npz", rng.integers(0, 255, (32, 1, 1, 1), dtype=np.uint8))
    code, _, err = cli(capsys, "train", "autoencoder", "--data", data, "--out", tmp_path / "r", *SMALL)
    assert_one_line(code, err, "1x1 pixels", "at least 4x4")


def test_mixed_sizes_name_the_file_and_advice_that_exists(tmp_path, capsys):
    # before: the advice named size=/channels= options the CLI does not have
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder / f"{i}.png")
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(folder / "z.png")
    code, _, err = cli(capsys, "train", "autoencoder", "--data", folder, "--out", tmp_path / "r", *SMALL)
    assert_one_line(code, err, "z.png", "load_dataset(folder, size=28, channels=1)")
    assert "; pass size=" not in err


def test_a_grey_palette_png_is_read_as_grey(tmp_path):
    # before: read as RGB, so a folder of grey PNGs with one palette PNG failed to load
    from minigen.data.folders import read_image
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).convert("P").save(tmp_path / "p.png")
    image = read_image(tmp_path / "p.png")
    assert image.shape == (1, 8, 8) and image[0, 0, 5] == 5
    Image.fromarray(np.full((8, 8, 3), [255, 0, 0], np.uint8)).convert("P").save(tmp_path / "red.png")
    assert read_image(tmp_path / "red.png").shape == (3, 8, 8)


def test_labels_outside_the_models_classes_are_refused(tmp_path, capsys):
    code, _, err = cli(capsys, "train", "cgan", "--set", "classes=3", "--out", tmp_path / "a", *SMALL)
    assert_one_line(code, err, "label", "classes=3", "expected labels 0..2")
    data = npz(tmp_path, "lab.npz", rng.integers(0, 255, (32, 1, 28, 28), dtype=np.uint8), np.full(32, 42))
    code, _, err = cli(capsys, "train", "cgan", "--data", data, "--out", tmp_path / "b", *SMALL)
    assert_one_line(code, err, "label 42", "expected labels 0..9")


# --------------------------------------------------------------------- arguments

@pytest.mark.parametrize("argv, needles", [
    (["--set", "nosuch=1"], ["--set nosuch", "expected one of:", "width"]),
    (["--set", "width=2.7"], ["--set width=2.7", "expected an integer"]),
    (["--set", "batch_size=true"], ["--batch-size=true", "expected an integer"]),
    (["--set", "lr=\"fast\""], ["--lr=\"fast\"", "expected a number"]),
    (["--seed", "-1"], ["--seed -1", "expected an integer in 0.."]),
    (["--set", "width=100000"], ["--set width=100000", "does not fit in memory"]),
])
def test_bad_settings_are_one_line(tmp_path, capsys, argv, needles):
    code, _, err = cli(capsys, "train", "autoencoder", *argv, "--out", tmp_path / "r", "--no-progress")
    assert_one_line(code, err, *needles)


def test_known_settings_keep_working(tmp_path):
    from minigen.models import MODELS
    from minigen.training.loop import known_settings
    for name, cls in MODELS.items():
        assert set(cls.defaults) <= known_settings(cls), name
    assert "binarize" in known_settings(MODELS["vae"]) and "critic_norm" in known_settings(MODELS["dcgan"])
    # only what the model's own methods read: WGAN-GP has no weight clipping, cgan no n_critic
    assert "clip" not in known_settings(MODELS["wgan-gp"]) and "n_critic" not in known_settings(MODELS["cgan"])


@pytest.mark.parametrize("out, needle", [("", "--out ''"), ("a" * 300, "at most 255 bytes")])
def test_empty_or_overlong_out_is_one_line(tmp_path, capsys, out, needle, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "train", "autoencoder", "--out", out, *SMALL)
    assert_one_line(code, err, needle)


@pytest.mark.parametrize("content", ["{}", "[1, 2, 3]"])
def test_a_config_json_that_is_not_a_run_config(tmp_path, capsys, content):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "config.json").write_text(content)
    for argv in (["sample", tmp_path / "c"], ["eval", tmp_path / "c"], ["train", "--resume", tmp_path / "c"]):
        code, _, err = cli(capsys, *argv)
        assert_one_line(code, err, "not a minigen run config")


def test_sample_nrow_zero(run, capsys):
    code, _, err = cli(capsys, "sample", run.path, "--nrow", "0")
    assert_one_line(code, err, "--nrow 0", "expected a positive number")


def test_sample_on_a_read_only_file_system(run, capsys):
    code, _, err = cli(capsys, "sample", run.path, "--n", "4", "--out", "/proc/minigen-grid.png")
    assert_one_line(code, err, "--out /proc/minigen-grid.png", "cannot write")


def test_eval_that_cannot_write_eval_json_still_prints_its_metrics(run, capsys, monkeypatch):
    import pathlib
    real = pathlib.Path.write_text

    def read_only(self, *a, **k):
        if self.name == "eval.json":
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real(self, *a, **k)
    monkeypatch.setattr(pathlib.Path, "write_text", read_only)
    code, out, err = cli(capsys, "eval", run.path)
    assert code == 0 and "test_mse" in out and "Read-only file system" in err and "Traceback" not in err


def test_a_full_disk_at_checkpoint_time_keeps_the_old_checkpoints(tmp_path, capsys, monkeypatch):
    from minigen.training import checkpoint
    real, calls = checkpoint.minigen.save, []

    def full(obj, path):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(obj, path)
    monkeypatch.setattr(checkpoint.minigen, "save", full)
    code, _, err = cli(capsys, "train", "autoencoder", "--set", "width=4", "--steps", "4", "--batch-size", "8",
                       "--checkpoint-every", "2", "--out", tmp_path / "r", "--no-progress")
    assert_one_line(code, err, "step 4", "No space left on device", "ckpt_000002.npz is kept")
    assert [p.name for p in (tmp_path / "r" / "checkpoints").glob("*.npz")] == ["ckpt_000002.npz"]


# --------------------------------------------------------------------- data scripts

def test_get_mnist_with_a_corrupt_gz_is_one_line(tmp_path, capsys):
    import importlib
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "data_scripts"))
    get_mnist = importlib.import_module("get_mnist")
    raw = tmp_path / "raw" / "mnist"
    raw.mkdir(parents=True)
    good = gzip.compress(b"\0\0\x08\x03" + bytes(rng.integers(0, 255, 4000, dtype=np.uint8)))
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (raw / stem).write_bytes(good[:1000])  # a cut-off gzip stream, found before any download
    code = get_mnist.main(["--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "gzip data is corrupt" in err and "Traceback" not in err


def test_idx_labels_outside_0_to_9_are_named(tmp_path, capsys):
    import importlib
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "data_scripts"))
    get_mnist = importlib.import_module("get_mnist")

    def idx(array, code):
        header = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
        return header + array.tobytes()
    raw = tmp_path / "raw" / "mnist"
    raw.mkdir(parents=True)
    for split, n in (("train", 60000), ("t10k", 10000)):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(idx(np.zeros((n, 28, 28), np.uint8), 0x08))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(idx(np.full(n, 200, np.uint8), 0x08))
    code = get_mnist.main(["--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "label 200" in err and "expected the classes 0..9" in err


# --------------------------------------------------------------------- library functions

@pytest.mark.parametrize("labels, bad", [([-1, 0, 1], "-1"), ([0, 1, 10], "10")])
def test_cross_entropy_refuses_labels_outside_the_classes(labels, bad):
    # before: -1 silently picked class 9; 10 was a raw IndexError
    x = mg.tensor(rng.standard_normal((3, 10)).astype(np.float32))
    with pytest.raises(ValueError, match=f"target {bad} is not a class index; expected 0..9"):
        mg.nn.functional.cross_entropy(x, mg.tensor(np.array(labels)))


def test_conv_with_an_empty_batch_and_fractional_padding():
    with pytest.raises(ValueError, match=r"batch is empty \(N = 0\)"):
        mg.nn.Conv2d(1, 2, 3)(mg.zeros(0, 1, 5, 5))
    with pytest.raises(ValueError, match="padding=1.5: expected an int or a pair of ints"):
        mg.nn.Conv2d(1, 2, 3, padding=1.5)
