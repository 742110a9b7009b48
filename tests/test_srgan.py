"""The srgan model (issue 18): the degradation and the baselines, each loss against its
closed form with stub networks, the phase switch, the metrics on known cases, the commands,
bad settings, and an exact resume across the phase switch."""
import numpy as np
import pytest
from PIL import Image

import minigen as mg
import minigen.nn.functional as F
from minigen.cli import main
from minigen.data import load_dataset, to_symmetric
from minigen.models import get_model_class, srgan_metrics
from minigen.models.srgan import adversarial_loss, content_loss, critic_loss, pixel_loss
from minigen.models.srgan_nets import UPSAMPLES, patch_critic, patch_receptive_field, unet_generator

TINY = {"width": 4, "n_blocks": 1, "d_width": 4}


def build(**options):
    cls = get_model_class("srgan")
    mg.manual_seed(0)
    return cls({**cls.defaults, **TINY, **options}, image_shape=(1, 28, 28))


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


# --- the task ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [4, 2])
def test_the_low_resolution_image_is_the_block_mean_and_the_input_its_bicubic_enlargement(scale):
    model, y = build(scale=scale), rand(3, 1, 28, 28)
    x_lr = model.degrade(mg.tensor(y)).numpy()
    n = 28 // scale
    np.testing.assert_allclose(x_lr, y.reshape(3, 1, n, scale, n, scale).mean(axis=(3, 5)), atol=1e-6)
    big = model.enlarge(mg.tensor(x_lr)).numpy()
    np.testing.assert_allclose(big, F.interpolate(mg.tensor(x_lr), size=(28, 28), mode="bicubic",
                                                  align_corners=False).numpy())


def test_the_generator_keeps_the_shape_in_every_upsampling_mode_and_adds_to_its_input():
    x = mg.tensor(rand(2, 1, 28, 28))
    for mode in UPSAMPLES:
        g = unet_generator(1, 4, 1, mode)
        assert g(x).shape == (2, 1, 28, 28), mode
    g = unet_generator(1, 4, 1)
    g.tail.weight.data[...] = 0
    g.tail.bias.data[...] = 0
    np.testing.assert_array_equal(g(x).numpy(), x.numpy())   # a zero correction returns the input


def test_the_patch_critic_scores_a_quarter_size_map_of_20_pixel_patches():
    assert patch_critic(1, 4)(mg.tensor(rand(2, 1, 28, 28))).shape == (2, 1, 7, 7)
    assert patch_receptive_field() == 20


# --- the losses against closed forms ----------------------------------------------------------


def test_pixel_losses():
    a, b = mg.tensor(np.zeros((1, 1, 2, 2))), mg.tensor(np.array([[[[1.0, -1.0], [0.5, 0.0]]]]))
    assert float(pixel_loss(a, b, "l1").item()) == pytest.approx(2.5 / 4)
    assert float(pixel_loss(a, b, "mse").item()) == pytest.approx(2.25 / 4)
    with pytest.raises(ValueError, match="pixel_loss='l2'"):
        pixel_loss(a, b, "l2")


def test_adversarial_losses_of_known_logits():
    """BCE on logits l: -log sigmoid(l) for target 1, -log(1 - sigmoid(l)) for 0."""
    real, fake = mg.tensor(np.array([2.0, 0.0])), mg.tensor(np.array([-1.0, 0.0]))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    expected_d = -np.mean(np.log(sig(np.array([2.0, 0.0])))) - np.mean(np.log(1 - sig(np.array([-1.0, 0.0]))))
    assert float(critic_loss(real, fake).item()) == pytest.approx(expected_d)
    assert float(adversarial_loss(fake).item()) == pytest.approx(-np.mean(np.log(sig(np.array([-1.0, 0.0])))))


def test_content_loss_is_the_feature_mse_and_its_target_takes_no_gradient():
    y_hat, y = mg.tensor(rand(2, 3), requires_grad=True), mg.tensor(rand(2, 3, seed=1), requires_grad=True)
    loss = content_loss(lambda v: 2 * v, y_hat, y)
    assert float(loss.item()) == pytest.approx(np.mean((2 * y_hat.numpy() - 2 * y.numpy()) ** 2), rel=1e-6)
    loss.backward()
    assert y.grad is None and y_hat.grad is not None


def test_the_phase2_generator_objective_adds_the_weighted_terms():
    """Stub critic: logits 0 everywhere (BCE = log 2); stub features: the identity."""
    model = build(lambda_pixel=2.0, lambda_content=3.0, lambda_adv=0.5)
    model.D = lambda v: mg.zeros(v.shape[0], 1, 7, 7)
    model.features = lambda v: v
    y_hat, y = mg.tensor(rand(2, 1, 28, 28)), mg.tensor(rand(2, 1, 28, 28, seed=1))
    total, parts = model.generator_objective(y_hat, y)
    l1 = np.abs(y_hat.numpy() - y.numpy()).mean()
    mse = ((y_hat.numpy() - y.numpy()) ** 2).mean()
    assert float(parts["loss_g_adv"].item()) == pytest.approx(np.log(2))
    assert float(total.item()) == pytest.approx(2 * l1 + 3 * mse + 0.5 * np.log(2), rel=1e-5)


# --- the phases -------------------------------------------------------------------------------


def test_phase1_trains_g_alone_then_keeps_a_copy_and_phase2_trains_both():
    model = build(steps=4, pixel_fraction=0.5)
    y = mg.tensor(rand(4, 1, 28, 28))
    d0 = {k: v.copy() for k, v in model.D.state_dict().items()}
    for _ in range(2):
        losses = model.train_step(y, None)
    assert losses["loss_d"] == 0.0 and model.switched and set(model.generators()) == {"phase1"}
    for k, v in model.D.state_dict().items():
        np.testing.assert_array_equal(v, d0[k])                    # D untouched in phase 1
    g1 = {k: v.copy() for k, v in model.G.state_dict().items()}
    for k, v in model.G_phase1.state_dict().items():
        np.testing.assert_array_equal(v, g1[k])                    # the snapshot is phase 1's G
    losses = model.train_step(y, None)
    assert float(losses["loss_d"].item()) > 0 and set(model.generators()) == {"phase1", "phase2"}
    assert any((model.G.state_dict()[k] != g1[k]).any() for k in g1)       # G moved on ...
    for k, v in model.G_phase1.state_dict().items():
        np.testing.assert_array_equal(v, g1[k])                    # ... its phase-1 copy did not


# --- the metrics ------------------------------------------------------------------------------


def test_a_generator_that_returns_its_input_scores_exactly_the_bicubic_baseline():
    test = load_dataset("embedded", "test")
    model = build()
    model.step = 1
    model.G = lambda x: x
    m = model.evaluate(mg.tensor(to_symmetric(test.images[:60])), labels=test.labels[:60])
    for metric in ("psnr", "ssim", "accuracy", "fld"):
        assert m[f"phase1_{metric}"] == pytest.approx(m[f"bicubic_{metric}"], abs=1e-9), metric
    assert m["bicubic_psnr"] > m["nearest_psnr"]            # on digits, bicubic beats pixel blocks
    assert m["truth_accuracy"] > 0.9 and m["bicubic_fld"] > 0
    assert "phase1" in srgan_metrics.table(m) and "truth" in srgan_metrics.table(m)


# --- the commands and bad input ---------------------------------------------------------------


def _tiny_args():
    args = []
    for k, v in TINY.items():
        args += ["--set", f"{k}={v}"]
    return args


def test_train_sample_and_eval_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "sr"
    assert main(["train", "srgan", "--steps", "3", "--batch-size", "4", "--out", str(out), "--no-progress",
                 "--set", "pixel_fraction=0.5", "--set", "scale=2", *_tiny_args()]) == 0
    assert main(["sample", str(out)]) == 0
    assert Image.open(out / "sample.png").size[1] > 4 * 28     # five rows of 28 px
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    for key in ("bicubic_psnr", "phase1_ssim", "phase2_fld", "phase2_accuracy", "truth_accuracy"):
        assert key in printed, key


@pytest.mark.parametrize("setting, needle", [
    ("scale=3", "divisible"), ("upsample=deconv", "upsample='deconv'"), ("pixel_loss=l2", "pixel_loss='l2'"),
    ("pixel_fraction=1.5", "pixel_fraction=1.5"), ("content_layer=conv9", "content_layer='conv9'"),
    ("lambda_adv=-1", "lambda_adv=-1"), ("classifier=cifar", "classifier='cifar'")])
def test_bad_settings_are_one_line_naming_the_setting(tmp_path, capsys, setting, needle):
    code = main(["train", "srgan", "--steps", "1", "--out", str(tmp_path / "x"), "--no-progress",
                 "--set", setting])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_interrupted_and_resumed_srgan_reproduces_the_uninterrupted_losses(check_exact_resume):
    check_exact_resume("srgan", ("loss_pixel", "loss_content", "loss_g_adv", "loss_d"),
                       {**TINY, "pixel_fraction": 0.5}, steps=6, batch_size=4, stop_after=2)
