"""``minigen sample RUN --n N --out DIR/`` (one PNG per image) or ``--out FILE.npz``: samples
in the layouts external FID tools read."""
import numpy as np
from PIL import Image

from minigen.cli import main


def trained_run(tmp_path):
    out = tmp_path / "vae"
    assert main(["train", "vae", "--steps", "1", "--batch-size", "8", "--out", str(out),
                 "--no-progress"]) == 0
    return out


def test_sample_exports_one_png_per_image_and_an_npz(tmp_path, capsys):
    run = trained_run(tmp_path)
    assert main(["sample", str(run), "--n", "12", "--out", str(tmp_path / "pngs") + "/"]) == 0
    files = sorted((tmp_path / "pngs").glob("*.png"))
    assert [f.name for f in files[:2]] == ["000000.png", "000001.png"] and len(files) == 12
    image = Image.open(files[0])
    assert image.size == (28, 28) and image.mode == "L"
    assert main(["sample", str(run), "--n", "7", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["arr_0"].shape == (7, 28, 28, 1) and f["arr_0"].dtype == np.uint8
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "x.npz"), "--reconstruct"]) == 2
    assert "grid" in capsys.readouterr().err


def test_a_model_that_draws_no_new_samples_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "ae"
    assert main(["train", "autoencoder", "--steps", "1", "--batch-size", "8", "--out", str(out),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--n", "3", "--out", str(tmp_path / "s.npz")]) == 2
    assert "does not draw new samples" in capsys.readouterr().err
