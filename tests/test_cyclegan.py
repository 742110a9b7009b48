"""CycleGAN (issue 7): the embedded domains and T, the history pool, the objective's terms
against closed forms (the cycle compares a round trip with its own input), the update order,
the PatchGAN's receptive field, the translation metrics on known cases, the commands, resume."""
import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen.cli import main
from minigen.data import to_symmetric
from minigen.data.unpaired import BACKGROUND, STROKE, load_unpaired, thick_neon
from minigen.models import get_model_class
from minigen.models import cyclegan_metrics
from minigen.models.cyclegan import ImagePool, lsgan_loss
from minigen.models.cyclegan_nets import patchgan, patchgan_receptive_field


TINY = {"ngf": 4, "ndf": 4, "n_blocks": 1}


def build(channels=4, **options):
    cls = get_model_class("cyclegan")
    return cls({**cls.defaults, **TINY, **options}, image_shape=(channels, 32, 32))


# --- the domains ----------------------------------------------------------------------------


def test_thick_neon_dilates_by_one_pixel_and_maps_intensity_to_colour():
    x = np.zeros((1, 1, 7, 7), np.float32)
    x[0, 0, 3, 3] = 1.0
    x[0, 0, 0, 6] = 0.5
    y = thick_neon(x)
    assert y.shape == (1, 3, 7, 7)
    np.testing.assert_allclose(y[0, :, 2:5, 2:5], np.broadcast_to(np.array(STROKE)[:, None, None], (3, 3, 3)))
    np.testing.assert_allclose(y[0, :, 6, 0], BACKGROUND)                      # far from both
    np.testing.assert_allclose(y[0, :, 1, 5], 0.5 * np.add(BACKGROUND, STROKE), rtol=1e-6)  # half-bright neighbour
    assert (y[0, :, 5, 3] == np.array(BACKGROUND, np.float32)).all()            # two pixels away: untouched


def test_embedded_domains_are_disjoint_halves_for_training_and_paired_for_testing():
    train_set, test_set = load_unpaired("embedded", "train"), load_unpaired("embedded", "test")
    assert train_set.images.shape[1:] == (4, 32, 32) and train_set.channels_a == 1
    assert not train_set.paired and test_set.paired
    a, b = train_set.images[:, :1], train_set.images[:, 1:]
    t_of_a = np.floor(thick_neon(a / 255.0) * 255 + 0.5).astype(np.uint8)
    keys_b = {img.tobytes() for img in b}
    assert not any(img.tobytes() in keys_b for img in t_of_a)   # no A digit has its translation in B
    ta = np.floor(thick_neon(test_set.images[:, :1] / 255.0) * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(test_set.images[:, 1:], ta)   # test: B is the truth T(a)


# --- the pieces -----------------------------------------------------------------------------


def test_history_pool_fills_then_returns_a_stored_image_half_the_time():
    pool = ImagePool(3)
    first = mg.tensor(np.arange(3, dtype=np.float32).reshape(3, 1, 1, 1))
    np.testing.assert_array_equal(pool.query(first).numpy(), first.numpy())   # filling: the new ones
    stored = 0
    for i in range(1000):
        new = 100.0 + i
        out = pool.query(mg.tensor(np.full((1, 1, 1, 1), new, np.float32))).numpy().item()
        stored += out != new
        assert len(pool.images) == 3
        assert new in [img.item() for img in pool.images] or out == new   # swapped in when a stored one went out
    # Binomial(1000, 1/2): standard deviation 16, so +-80 is five of them
    assert abs(stored - 500) < 80
    assert ImagePool(0).query(first) is first


def test_lsgan_loss_and_receptive_fields():
    assert lsgan_loss(mg.tensor(np.array([0.0, 2.0])), 1.0).item() == pytest.approx(1.0)
    assert patchgan_receptive_field(3) == 70 and patchgan_receptive_field(2) == 34
    assert patchgan(3, 4, 2)(mg.zeros(1, 3, 32, 32)).shape == (1, 1, 6, 6)


def test_patchgan_depth_follows_the_image_size():
    cls = get_model_class("cyclegan")
    small = build()                                                    # 32 px: 2 layers, 34-px patches
    large = cls({**cls.defaults, **TINY}, image_shape=(6, 64, 64))     # 64 px, RGB | RGB: 3 layers, 70 px
    assert small.D_B(mg.zeros(1, 3, 32, 32)).shape == (1, 1, 6, 6)
    assert large.D_B(mg.zeros(1, 3, 64, 64)).shape == (1, 1, 6, 6)
    assert large.lambda_id == 5.0                                      # equal channels: identity on


def test_a_patchgan_too_deep_for_the_images_is_refused_with_the_largest_depth_that_fits():
    deepest = build(n_layers=3)                                        # 32 px: 4-px maps, 1 score a side
    assert deepest.D_B(mg.zeros(1, 3, 32, 32)).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"--set n_layers=4: .* at least 48 px .* 32x32: use n_layers <= 3"):
        build(n_layers=4)


def test_cycle_and_identity_terms_compare_each_image_with_its_own_round_trip():
    # G(x) = x + 0.1, F(x) = x - 0.1: a round trip returns every image exactly (cycle = 0),
    # and each generator moves its own domain's images by 0.1 (identity = 0.1 + 0.1).
    model = build(channels=2)          # A and B one channel each, so the identity term is on
    assert model.lambda_id == 5.0
    model.G, model.F = (lambda x: x + 0.1), (lambda x: x - 0.1)
    model.D_A = model.D_B = lambda x: x.mean(axis=(1, 2, 3)) * 0 + 0.25
    rng = np.random.default_rng(0)
    a, b = (mg.tensor(rng.uniform(-0.5, 0.5, (4, 1, 32, 32)).astype(np.float32)) for _ in range(2))
    total, _, _, parts = model.generator_losses(a, b)
    assert parts["loss_cycle"].item() == pytest.approx(0.0, abs=1e-6)
    assert parts["loss_identity"].item() == pytest.approx(0.2, rel=1e-5)
    assert parts["loss_g_adv"].item() == pytest.approx(2 * 0.75 ** 2)
    assert total.item() == pytest.approx(2 * 0.75 ** 2 + 5.0 * 0.2, rel=1e-5)


def test_identity_loss_with_different_channel_counts_is_refused():
    assert build(channels=4).lambda_id == 0.0                     # auto: off for grey -> colour
    assert build(lambda_cyc=0).lambda_cyc == 0.0                  # the ablation without a cycle
    with pytest.raises(ValueError, match="--set lambda_cyc=-1"):
        build(lambda_cyc=-1)
    with pytest.raises(ValueError, match="equal channel counts"):
        build(channels=4, lambda_id=5)


def test_generators_step_first_with_the_critics_frozen():
    model = build()
    seen = {}
    step = model.optimizers["generators"].step

    def spy():
        seen["critic_grads"] = [p.grad for net in (model.D_A, model.D_B) for p in net.parameters()]
        step()
    model.optimizers["generators"].step = spy
    before = [p.numpy().copy() for p in model.D_B.parameters()]
    x = mg.tensor(to_symmetric(load_unpaired("embedded", "train").images[:2]))
    model.train_step(x, None)
    assert all(g is None for g in seen["critic_grads"])           # frozen during G's step
    assert any(not np.array_equal(b, p.numpy()) for b, p in zip(before, model.D_B.parameters()))
    assert all(p.requires_grad for p in model.D_A.parameters())   # and thawed after


def test_learning_rate_is_constant_then_decays_linearly_to_zero():
    model = build(steps=10)
    x = mg.tensor(to_symmetric(load_unpaired("embedded", "train").images[:1]))
    lrs = []
    for _ in range(10):
        lrs.append(model.optimizers["generators"].param_groups[0]["lr"])
        model.train_step(x, None)
    assert lrs[:5] == [2e-4] * 5
    np.testing.assert_allclose(lrs[5:], [2e-4 * (10 - s) / 5 for s in range(5, 10)])
    assert model.optimizers["critics"].param_groups[0]["lr"] == pytest.approx(0.0)


# --- the metrics ----------------------------------------------------------------------------


def test_psnr_closed_forms():
    x = np.zeros((2, 1, 4, 4))
    assert cyclegan_metrics.psnr(x, x + 0.5) == pytest.approx(10 * np.log10(4))   # mse 1/4
    assert cyclegan_metrics.psnr(x, x) == pytest.approx(100.0)                     # the mse floor
    assert cyclegan_metrics.l1(x, x + 0.25) == pytest.approx(0.25)


def test_a_generator_equal_to_t_scores_a_very_high_translation_psnr():
    model = build()
    test = load_unpaired("embedded", "test")
    model.G = lambda x: mg.tensor(2 * thick_neon((x.numpy() + 1) / 2) - 1)   # G = T exactly
    model.F = lambda x: x[:, :1]                                              # a poor F
    m = model.evaluate(mg.tensor(to_symmetric(test.images[:50])), labels=test.labels[:50])
    assert m["psnr_ab"] > 45 and m["l1_ab"] < 0.003   # only the uint8 rounding of B differs
    assert m["psnr_ba"] < 20


# --- the commands ---------------------------------------------------------------------------


def test_train_sample_and_eval_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "cg"
    args = ["train", "cyclegan", "--steps", "2", "--batch-size", "2", "--out", str(out), "--no-progress"]
    for k, v in TINY.items():
        args += ["--set", f"{k}={v}"]
    assert main(args) == 0
    assert main(["sample", str(out)]) == 0
    assert Image.open(out / "sample.png").mode == "RGB"
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "psnr_ab" in printed and "cycle_psnr_a" in printed
    assert main(["train", "cyclegan", "--steps", "1", "--out", str(tmp_path / "x"), "--set", "lambda_id=5"]) == 2
    assert "equal channel counts" in capsys.readouterr().err


def test_interrupted_and_resumed_cyclegan_reproduces_the_uninterrupted_losses(check_exact_resume):
    check_exact_resume("cyclegan", ("loss_g", "loss_d_a", "loss_d_b"), {**TINY, "pool_size": 3},
                       steps=6, batch_size=2)
