"""Pix2Pix (issue 19): the paired data and the outline map, the U-Net's skips, the objective's
terms against closed forms with stub networks, the update order, the metrics on known cases,
the commands (embedded and a folder of side-by-side pairs), bad input, resume."""
import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen.cli import main
from minigen.data import to_symmetric
from minigen.data.paired import EMBEDDED_CHANNELS, embedded_pairs, load_paired, outline
from minigen.data.unpaired import dilate3x3, thick_neon
from minigen.models import get_model_class
from minigen.models.pix2pix import cgan_critic_loss, cgan_generator_loss
from minigen.models.pix2pix_metrics import neon_to_grey
from minigen.models.pix2pix_nets import UNet, unet_widths

TINY = {"ngf": 4, "ndf": 4}


def build(channels=5, **options):
    cls = get_model_class("pix2pix")
    return cls({**cls.defaults, **TINY, **options}, image_shape=(channels, 32, 32))


def softplus(v):
    return float(np.log1p(np.exp(v)))


# --- the data -------------------------------------------------------------------------------


def test_outline_is_the_ring_just_outside_the_stroke():
    x = np.zeros((1, 1, 7, 7), np.float32)
    x[0, 0, 3, 3] = 1.0       # one stroke pixel
    x[0, 0, 0, 0] = 0.4       # below the 1/2 threshold: not stroke
    o = outline(x)
    expected = np.zeros((7, 7), np.float32)
    expected[2:5, 2:5] = 1
    expected[3, 3] = 0        # the stroke itself is not on its outline
    np.testing.assert_array_equal(o[0, 0], expected)


def test_embedded_pairs_hold_the_same_digit_in_all_three_forms():
    ds = embedded_pairs("test")
    assert ds.images.shape == (500, 5, 32, 32) and ds.paired and len(ds.labels) == 500
    x01 = ds.images[:, EMBEDDED_CHANNELS["digit"]] / 255.0
    neon = np.floor(thick_neon(x01) * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(ds.images[:, EMBEDDED_CHANNELS["neon"]], neon)
    np.testing.assert_array_equal(ds.images[:, EMBEDDED_CHANNELS["outline"]] // 255, outline(x01))
    assert len(embedded_pairs("train").images) == 4500      # all of them: the pairs are the supervision


def test_a_folder_of_side_by_side_pairs_reads_as_a_then_b(tmp_path):
    for split in ("train", "val"):
        (tmp_path / split).mkdir()
        for i in range(2):
            img = np.zeros((8, 16, 3), np.uint8)
            img[:, :8] = 10 * (i + 1)       # A, left half
            img[:, 8:] = 200                # B, right half
            Image.fromarray(img).save(tmp_path / split / f"{i}.png")
    train, test = load_paired(str(tmp_path), "train"), load_paired(str(tmp_path), "test")   # test/ else val/
    assert train.images.shape == (2, 6, 8, 8) and test.images.shape == (2, 6, 8, 8)
    assert (train.images[1, :3] == 20).all() and (train.images[:, 3:] == 200).all()


# --- the networks ---------------------------------------------------------------------------


def test_unet_halves_to_one_pixel_and_each_decoder_level_reads_its_skip():
    net = UNet(1, 3, ngf=4, depth=5)
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 1, 32, 32)).astype(np.float32))
    skips = net.encode(x)
    assert [s.shape for s in skips] == [(2, w, 32 // 2 ** (i + 1), 32 // 2 ** (i + 1))
                                        for i, w in enumerate(unet_widths(4, 5))]
    assert unet_widths(4, 5) == [4, 8, 16, 32, 32]          # ngf * min(2^i, 8)
    # the innermost level has no skip; every other decoder level reads [e_i, u_{i+1}]: twice e_i's width
    ins = [[m for m in level if isinstance(m, mg.nn.ConvTranspose2d)][0].in_channels for level in net.up]
    assert ins == [32, 64, 32, 16, 8]
    assert net(x).shape == (2, 3, 32, 32)
    plain = UNet(1, 3, ngf=4, depth=5, skips=False)
    assert [[m for m in level if isinstance(m, mg.nn.ConvTranspose2d)][0].in_channels
            for level in plain.up] == [32, 32, 16, 8, 4]


def test_dropout_is_on_the_first_n_dropout_decoder_levels_only():
    net = UNet(1, 1, ngf=4, depth=5, n_dropout=3)
    has = [any(isinstance(m, mg.nn.Dropout) for m in level) for level in net.up]
    assert has == [True, True, True, False, False]


@pytest.mark.torch
def test_unet_matches_the_same_network_in_pytorch():
    import torch
    from minigen.models.pix2pix_nets import UNetLayers

    class TorchUNet(UNetLayers, torch.nn.Module):
        pass
    ours = UNet(3, 1, ngf=4, depth=5)
    theirs = TorchUNet(3, 1, ngf=4, depth=5, nn=torch.nn, cat=torch.cat)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    ours.eval(), theirs.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


# --- the objective --------------------------------------------------------------------------


def test_tasks_and_directions_pick_the_input_and_target_channels():
    images = mg.tensor(np.arange(5, dtype=np.float32).reshape(1, 5, 1, 1) * np.ones((1, 5, 32, 32), np.float32))
    for options, first_in, first_out, c_in, c_out in (
            ({}, 0, 1, 1, 3), ({"direction": "BtoA"}, 1, 0, 3, 1),
            ({"task": "outline"}, 4, 0, 1, 1), ({"task": "outline", "direction": "BtoA"}, 0, 4, 1, 1)):
        model = build(**options)
        x, y = model.split(images)
        assert (x.shape[1], y.shape[1]) == (c_in, c_out)
        assert (x.numpy()[0, 0, 0, 0], y.numpy()[0, 0, 0, 0]) == (first_in, first_out)
        assert model.D[0].in_channels == c_in + c_out       # D judges (input, output) pairs


def test_generator_loss_is_the_non_saturating_cgan_term_plus_lambda_l1():
    # G's output is y + 0.25 everywhere: L1 = 0.25; D gives every patch the logit 0.7
    model = build()
    seen = []
    model.D = lambda pair: seen.append(pair.shape) or (pair.mean(axis=(1, 2, 3), keepdims=True) * 0 + 0.7)
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(-1, 1, (3, 1, 32, 32)).astype(np.float32))
    y = mg.tensor(rng.uniform(-0.5, 0.5, (3, 3, 32, 32)).astype(np.float32))
    total, parts = model.generator_losses(x, y, y + 0.25)
    assert seen == [(3, 4, 32, 32)]                          # D saw x and G(x) side by side
    assert parts["loss_g_gan"].item() == pytest.approx(softplus(-0.7), rel=1e-5)   # -log sigmoid(0.7)
    assert parts["loss_l1"].item() == pytest.approx(0.25, rel=1e-5)
    assert total.item() == pytest.approx(softplus(-0.7) + 100 * 0.25, rel=1e-5)
    assert build(lambda_l1=0).lambda_l1 == 0.0               # the cGAN-alone ablation


def test_critic_loss_is_half_the_bce_of_real_pairs_as_one_and_fake_pairs_as_zero():
    real, fake = mg.tensor(np.full((2, 1, 6, 6), 1.5, np.float32)), mg.tensor(np.full((2, 1, 6, 6), -0.5, np.float32))
    expected = 0.5 * (softplus(-1.5) + softplus(-0.5))       # -log sigmoid(1.5) - log(1 - sigmoid(-0.5))
    assert cgan_critic_loss(real, fake).item() == pytest.approx(expected, rel=1e-5)
    assert cgan_generator_loss(fake).item() == pytest.approx(softplus(0.5), rel=1e-5)


def test_critic_steps_first_then_the_generator_against_the_updated_critic_with_it_frozen():
    model = build()
    events = []
    for name, opt in model.optimizers.items():
        def spy(step=opt.step, name=name):
            events.append((name, [None if p.grad is None else p.grad.numpy().copy() for p in model.D.parameters()]))
            step()
        opt.step = spy
    x = mg.tensor(to_symmetric(embedded_pairs("test").images[:2]))
    before = [p.numpy().copy() for p in model.G.parameters()]
    model.train_step(x, None)
    assert [name for name, _ in events] == ["D", "G"]         # D first
    d_grads, d_grads_at_g = events[0][1], events[1][1]
    assert all(g is not None for g in d_grads)
    assert all(g is None or np.array_equal(g, h) for g, h in zip(d_grads_at_g, d_grads))   # G's backward left D's alone
    assert any(not np.array_equal(b, p.numpy()) for b, p in zip(before, model.G.parameters()))
    assert all(p.requires_grad for p in model.D.parameters())


def test_translation_is_deterministic_unless_dropout_noise_is_asked_for():
    model = build()
    x = mg.tensor(to_symmetric(embedded_pairs("test").images[:4]))[:, :1]
    a, b = model.translate(x).numpy(), model.translate(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(model.translate(x, noise=True).numpy(), model.translate(x, noise=True).numpy())


# --- the metrics ----------------------------------------------------------------------------


def test_neon_to_grey_inverts_the_colour_map_then_erodes_the_dilation():
    x = (np.random.default_rng(0).random((2, 1, 12, 12)) > 0.7).astype(np.float32)
    closing = -dilate3x3(-dilate3x3(x))
    np.testing.assert_allclose(neon_to_grey(thick_neon(x)), closing, atol=1e-6)


def test_a_generator_equal_to_the_truth_scores_the_truths_own_metrics():
    model = build()
    test = embedded_pairs("test")
    model.G = lambda x: mg.tensor(2 * thick_neon((x.numpy() + 1) / 2) - 1)   # G = T exactly
    m = model.evaluate(mg.tensor(to_symmetric(test.images[:100])), labels=test.labels[:100])
    assert m["psnr"] > 45 and m["l1"] < 0.003                # only the uint8 rounding of y differs
    assert m["digit_accuracy"] == pytest.approx(m["digit_accuracy_truth"], abs=0.011) and m["digit_accuracy"] > 0.9
    assert m["fld"] < 1.0 and m["dropout_spread"] == 0.0
    model.G = lambda x: mg.tensor(np.repeat(x.numpy(), 3, axis=1))         # the digit, uncoloured
    assert model.evaluate(mg.tensor(to_symmetric(test.images[:100])), labels=test.labels[:100])["psnr"] < 15


# --- the commands ---------------------------------------------------------------------------


def cli_args(out, *extra):
    args = ["train", "pix2pix", "--steps", "2", "--batch-size", "2", "--out", str(out), "--no-progress"]
    for k, v in TINY.items():
        args += ["--set", f"{k}={v}"]
    return args + list(extra)


def test_train_sample_and_eval_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(cli_args(out, "--set", "task=outline")) == 0
    assert main(["sample", str(out)]) == 0
    grid = Image.open(out / "sample.png")                     # grey task: rows input, output, truth
    assert grid.mode == "L" and grid.size[1] > 2 * grid.size[0] * 3 // 8 // 2
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(k in printed for k in ("psnr", "l1", "digit_accuracy", "fld", "dropout_spread"))


def test_train_and_eval_on_a_folder_of_pairs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        (tmp_path / "pairs" / split).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (16, 32, 3), dtype=np.uint8)).save(tmp_path / "pairs" / split / f"{i}.png")
    out = tmp_path / "f"
    assert main(cli_args(out, "--data", str(tmp_path / "pairs"))) == 0
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "psnr" in printed and "digit_accuracy" not in printed


@pytest.mark.parametrize("extra, needles", [
    (["--set", "direction=sideways"], ["--set direction='sideways'", "AtoB or BtoA"]),
    (["--set", "task=colour"], ["--set task='colour'", "neon, outline"]),
    (["--set", "lambda_l1=-1"], ["--set lambda_l1=-1", ">= 0"]),
    (["--set", "depth=6"], ["--set depth=6", "divisible by 2^6", "32x32"]),
    (["--set", "n_layers=4"], ["--set n_layers=4", "at least 48 px"]),
    (["--data", "/nonexistent/pairs"], ["--data /nonexistent/pairs", "folder of side-by-side"]),
])
def test_bad_settings_and_data_are_one_line_errors(tmp_path, capsys, extra, needles):
    code = main(cli_args(tmp_path / "bad", *extra))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_folder_errors_name_the_folder(tmp_path, capsys):
    (tmp_path / "odd" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 15), np.uint8)).save(tmp_path / "odd" / "train" / "0.png")
    (tmp_path / "none").mkdir()
    for folder, needle in (("odd", "expected an even width"), ("none", "no train/ subfolder")):
        assert main(cli_args(tmp_path / "o", "--data", str(tmp_path / folder))) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1, err
    assert main(cli_args(tmp_path / "t", "--data", str(tmp_path / "odd"), "--set", "task=outline")) == 2


def test_interrupted_and_resumed_pix2pix_reproduces_the_uninterrupted_losses(check_exact_resume):
    check_exact_resume("pix2pix", ("loss_g", "loss_d", "loss_l1"), TINY, steps=6, batch_size=2)


def test_get_pix2pix_converts_an_archive_into_a_folder_that_trains(tmp_path, monkeypatch):
    import io
    import sys
    import tarfile
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data_scripts"))
    import get_pix2pix
    with tarfile.open(tmp_path / "facades.tar.gz", "w:gz") as archive:
        for split, n in (("train", 3), ("val", 2)):
            for i in range(n):
                img = np.zeros((40, 80, 3), np.uint8)
                img[:, 40:] = 255                                  # B, the right half, white
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="JPEG")
                info = tarfile.TarInfo(f"facades/{split}/{i}.jpg")
                info.size = len(buf.getvalue())
                archive.addfile(info, io.BytesIO(buf.getvalue()))
    assert get_pix2pix.main(["facades", "--tar", str(tmp_path / "facades.tar.gz"), "--size", "32",
                             "--root", str(tmp_path)]) == 0
    train, test = (load_paired(str(tmp_path / "pix2pix" / "facades-32"), s) for s in ("train", "test"))
    assert train.images.shape == (3, 6, 32, 32) and test.images.shape == (2, 6, 32, 32)   # val/ as test
    assert train.images[:, :3].max() < 10 and train.images[:, 3:].min() > 245


@pytest.mark.torch
def test_step_benchmark_checks_both_frameworks_compute_the_same_step():
    import sys
    from pathlib import Path
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import pix2pix_step
    ours, theirs = pix2pix_step.check_same_step({"task": "outline", **TINY}, torch, 2)
    assert ours["loss_g"] == pytest.approx(theirs["loss_g"], rel=1e-4)
    assert ours["loss_d"] == pytest.approx(theirs["loss_d"], rel=1e-4)
