"""The GAN family (issue 5): losses against closed forms, the gradient penalty against a
per-sample loop and finite differences, the WGAN schedule and clipping, conditioning, the
commands, and exact resume. Sample quality is measured by benchmarks, never asserted here."""
import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen.cli import main
from minigen.models import get_model_class
from minigen.models.cgan import one_hot
from minigen.models.dcgan import discriminator_loss, generator_loss
from minigen.models.wgan import gradient_penalty, wasserstein_losses
from minigen.nn import functional as F


TINY = {"g_width": 8, "d_width": 8, "nz": 8, "eval_samples": 200}


def log_sigmoid(a):
    return -np.logaddexp(0.0, -a)


def build(name, **options):
    cls = get_model_class(name)
    model = cls({**cls.defaults, **TINY, **options}, image_shape=(1, 28, 28))
    model.prepare(batch(64, seed=99).numpy())  # the k-means groups of --set clusters (else nothing)
    return model


def batch(n=8, seed=0):
    return mg.tensor(np.random.default_rng(seed).uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32))


# --- the GAN losses -------------------------------------------------------------------------


def test_bce_losses_are_the_minimax_value_written_with_log_sigmoid():
    rng = np.random.default_rng(0)
    lr, lf = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    expected_d = -log_sigmoid(lr).mean() - log_sigmoid(-lf).mean()   # -[log D(x) + log(1 - D(G(z)))]
    assert discriminator_loss(mg.tensor(lr), mg.tensor(lf)).item() == pytest.approx(expected_d, rel=1e-12)
    assert generator_loss(mg.tensor(lf)).item() == pytest.approx(-log_sigmoid(lf).mean(), rel=1e-12)
    assert generator_loss(mg.tensor(lf), "saturating").item() == pytest.approx(log_sigmoid(-lf).mean(), rel=1e-12)
    with pytest.raises(ValueError, match="g_loss='hinge'"):
        generator_loss(mg.tensor(lf), "hinge")


def test_the_saturating_loss_gives_almost_no_gradient_where_d_rejects_the_fakes():
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) and d/dl -log sigmoid(l) = -(1 - sigmoid(l)):
    # at l = -6 (D(G(z)) = 0.25%) the first is 400x smaller than the second.
    logit = mg.tensor(np.array([[-6.0]]), requires_grad=True)
    (g_sat,) = mg.grad(generator_loss(logit, "saturating"), [logit])
    (g_ns,) = mg.grad(generator_loss(logit), [logit])
    s = 1 / (1 + np.exp(6.0))
    assert g_sat.item() == pytest.approx(-s, rel=1e-10)
    assert g_ns.item() == pytest.approx(-(1 - s), rel=1e-10)
    assert abs(g_ns.item()) > 300 * abs(g_sat.item())


def test_wasserstein_losses_are_the_mean_score_gaps():
    real, fake = mg.tensor(np.array([1.0, 3.0])), mg.tensor(np.array([0.5, -0.5, 3.0]))
    loss_d, loss_g = wasserstein_losses(real, fake)
    assert loss_d.item() == pytest.approx(1.0 - 2.0)
    assert loss_g.item() == pytest.approx(-1.0)


# --- the gradient penalty -------------------------------------------------------------------


def small_critic(w1, b1, w2):
    """conv 3x3 s2 -> leaky-ReLU -> linear: a critic with no coupling between samples."""
    def critic(x):
        h = F.leaky_relu(F.conv2d(x, w1, b1, stride=2, padding=1), 0.2)
        return h.reshape(h.shape[0], -1) @ w2
    return critic


def critic_weights(rng, dtype=np.float64, c=2):
    return (mg.tensor(rng.normal(0, 0.5, (3, c, 3, 3)).astype(dtype), requires_grad=True),
            mg.tensor(rng.normal(0, 0.1, (3,)).astype(dtype), requires_grad=True),
            mg.tensor(rng.normal(0, 0.3, (3 * 3 * 3, 1)).astype(dtype), requires_grad=True))


def test_penalty_norms_are_per_sample_over_all_of_c_h_w():
    rng = np.random.default_rng(1)
    critic = small_critic(*critic_weights(rng))
    real, fake = (mg.tensor(rng.normal(size=(4, 2, 5, 5))) for _ in range(2))
    eps = mg.tensor(rng.uniform(size=(4, 1, 1, 1)))
    gp, norms = gradient_penalty(critic, real, fake, eps)
    loop = []
    for i in range(4):  # one sample at a time: no other sample can leak into its norm
        x = mg.tensor(eps.data[i] * real.data[i:i + 1] + (1 - eps.data[i]) * fake.data[i:i + 1], requires_grad=True)
        (g,) = mg.grad(critic(x).sum(), [x])
        loop.append(np.sqrt((g.numpy() ** 2).sum()))
    np.testing.assert_allclose(norms.numpy(), loop, rtol=1e-10)
    assert gp.item() == pytest.approx(np.mean((np.array(loop) - 1) ** 2), rel=1e-10)


def test_penalty_of_a_linear_critic_is_the_closed_form():
    # D(x) = <w, x>: the gradient is w at every point, so GP = (||w|| - 1)^2 exactly.
    rng = np.random.default_rng(2)
    w = rng.normal(size=(2 * 4 * 4, 1))
    critic = lambda x: x.reshape(x.shape[0], -1) @ mg.tensor(w)  # noqa: E731
    real, fake = (mg.tensor(rng.normal(size=(6, 2, 4, 4))) for _ in range(2))
    gp, norms = gradient_penalty(critic, real, fake, mg.tensor(rng.uniform(size=(6, 1, 1, 1))))
    np.testing.assert_allclose(norms.numpy(), np.linalg.norm(w), rtol=1e-10)
    assert gp.item() == pytest.approx((np.linalg.norm(w) - 1) ** 2, rel=1e-9)


def test_penalty_gradients_with_respect_to_the_critic_pass_gradcheck_in_float64():
    rng = np.random.default_rng(3)
    weights = critic_weights(rng)
    real, fake = (mg.tensor(rng.normal(size=(3, 2, 5, 5))) for _ in range(2))
    eps = mg.tensor(rng.uniform(size=(3, 1, 1, 1)))
    # b1 only moves the leaky-ReLU's piecewise-constant slope: dGP/db1 = 0 is the truth
    assert mg.gradcheck(lambda w1, b1, w2: gradient_penalty(small_critic(w1, b1, w2), real, fake, eps)[0],
                        list(weights), allow_zero_jacobian=True)


# --- the models -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dcgan", "cgan", "wgan", "wgan-gp"])
def test_a_step_logs_finite_losses_and_samples_are_images_in_range(name):
    model = build(name)
    losses = model.train_step(batch(), np.arange(8) % 10)
    assert all(np.isfinite(float(getattr(v, "item", lambda: v)())) for v in losses.values())
    x = model.sample(12).numpy()
    assert x.shape == (12, 1, 28, 28)
    # drawn from the fixed noise: the same images every call, the first of a larger grid,
    # and a different image for each z
    np.testing.assert_array_equal(x, model.sample(12).numpy())
    np.testing.assert_allclose(x[:5], model.sample(20).numpy()[:5], rtol=1e-5, atol=1e-6)
    assert min(np.abs(x[i] - x[i + 1]).max() for i in range(11)) > 1e-4


def test_dcgan_step_updates_both_players_and_d_sees_detached_fakes():
    model = build("dcgan")
    before = {k: [p.numpy().copy() for p in net.parameters()] for k, net in model.networks.items()}
    model.train_step(batch(), None)
    for k, net in model.networks.items():
        assert any(not np.array_equal(a, p.numpy()) for a, p in zip(before[k], net.parameters())), k


def test_wgan_clips_every_critic_parameter_including_normalisation():
    model = build("wgan", clip=0.01)
    model.train_step(batch(), None)
    params = list(model.D.named_parameters())
    assert any("weight" in n and p.ndim == 1 for n, p in params)  # the batch-norm scale is there
    assert all(np.abs(p.numpy()).max() <= 0.01 for _, p in params)


def test_wgan_schedule_warm_start_then_n_critic():
    # warm start: 100 critic updates per G update while gen_iters < warm_start or % 500 == 0
    model = build("wgan", warm_start=1, n_critic=5)
    x = batch(4)
    seen = []
    for step in range(1, 111):
        seen.append(model.train_step(x, None)["gen_iters"])
    assert seen[98] == 0 and seen[99] == 1      # step 100: the first G update
    assert seen[103] == 1 and seen[104] == 2    # then one every 5 critic updates
    assert seen[109] == 3


def test_wgan_gp_refuses_batch_norm_and_logs_penalty_and_norms():
    with pytest.raises(ValueError, match="critic_norm=batch"):
        build("wgan-gp", critic_norm="batch")
    out = build("wgan-gp", critic_norm="layer", gp_lambda=10.0).train_step(batch(), None)
    # loss_d = E[D(fake)] - E[D(real)] + lambda GP, and the estimate of W is the gap's negative
    assert out["loss_d"].item() == pytest.approx(-out["wasserstein"].item() + 10.0 * out["gp"].item(), rel=1e-5)
    assert out["gp"].item() > 1e-3 and out["grad_norm"].item() > 1e-3


def test_cgan_generator_follows_the_requested_label():
    assert one_hot(np.array([2, 0]), 3).numpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="0..2"):
        one_hot(np.array([3]), 3)
    model = build("cgan")
    z = np.repeat(model.sample_noise(1), 2, axis=0)   # the same z, two labels
    x = model._eval_generate(z, np.array([3, 7])).numpy()
    assert not np.allclose(x[0], x[1])
    assert model.sample_labels([1, 2], 4).shape == (8, 1, 28, 28)


@pytest.mark.parametrize("option, message", [("g_loss=hinge", "g_loss='hinge'"), ("nz=0", "nz=0"),
                                             ("critic_norm=group", "critic_norm='group'")])
def test_bad_settings_are_one_line_errors(tmp_path, capsys, option, message):
    assert main(["train", "dcgan", "--steps", "1", "--out", str(tmp_path / "r"), "--set", option,
                 "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_train_and_sample_each_gan_from_the_command_line(tmp_path, capsys):
    for name in ("dcgan", "cgan", "wgan", "wgan-gp"):
        out = tmp_path / name
        args = ["train", name, "--steps", "2", "--batch-size", "8", "--out", str(out), "--no-progress"]
        for k, v in TINY.items():
            args += ["--set", f"{k}={v}"]
        assert main(args) == 0
        assert main(["sample", str(out), "--n", "16", "--out", str(out / "s.png")]) == 0
        assert Image.open(out / "s.png").size[0] > 28
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "cgan")]) == 0
    printed = capsys.readouterr().out
    for text in ("FLD", "real-vs-real floor", "Inception score", "classes covered", "requested label"):
        assert text in printed
    assert (tmp_path / "cgan" / "eval.json").exists()
    assert main(["sample", str(tmp_path / "cgan"), "--labels", "0..9", "--nrow", "5"]) == 0
    w, h = Image.open(tmp_path / "cgan" / "labels.png").size
    assert h > w  # ten rows of five
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "cgan"), "--labels", "3..12"]) == 2
    assert "--labels 3..12" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "dcgan"), "--labels", "0..9"]) == 2
    assert "not class-conditional" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["wgan", "cgan"])
def test_interrupted_and_resumed_gan_run_reproduces_the_uninterrupted_losses(check_exact_resume, name):
    wgan_only = {"warm_start": 0, "n_critic": 2} if name == "wgan" else {}  # cgan refuses unknown settings
    check_exact_resume(name, ("loss_d", "loss_g"), {**TINY, **wgan_only})
