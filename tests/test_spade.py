"""SPADE (issue 19): the hinge and feature-matching losses against closed forms with stub
networks, where the map enters each generator, the update order, the segmenter metrics on
known cases, the commands and their bad inputs, resume."""
import json

import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen import nn
from minigen.cli import main
from minigen.data import to_symmetric
from minigen.data.semantic import N_LABELS, semantic_synthesis
from minigen.models import get_model_class
from minigen.models import spade_metrics
from minigen.models.spade import feature_matching_loss, hinge_d_loss, hinge_g_loss, mode_seeking_loss
from minigen.models.spade_nets import InstanceNormAffine, SPADEGenerator

TINY = {"nz": 8, "ngf": 4, "ndf": 4, "hidden": 4}


def build(**options):
    cls = get_model_class("spade")
    return cls({**cls.defaults, **TINY, **options}, image_shape=(4, 32, 32))


def batch(n=4, split="test"):
    return mg.tensor(to_symmetric(np.array(semantic_synthesis(split).images[:n])))


# --- the losses -----------------------------------------------------------------------------


def test_hinge_losses_closed_form():
    real, fake = mg.tensor(np.array([2.0, 0.5])), mg.tensor(np.array([-2.0, 0.5]))
    # real: max(0, 1 - 2) = 0, max(0, 0.5) = 0.5; fake: max(0, -1) = 0, max(0, 1.5) = 1.5
    assert hinge_d_loss(real, fake).item() == pytest.approx(0.25 + 0.75)
    assert hinge_g_loss(fake).item() == pytest.approx(0.75)     # -mean(-2, 0.5)


def test_feature_matching_closed_form_and_the_real_side_is_a_constant():
    fake = [mg.tensor(np.zeros((2, 3)), requires_grad=True), mg.tensor(np.ones(4), requires_grad=True)]
    real = [mg.tensor(np.full((2, 3), 0.5), requires_grad=True), mg.tensor(np.full(4, 3.0), requires_grad=True)]
    loss = feature_matching_loss(fake, real)
    assert loss.item() == pytest.approx(0.5 + 2.0)
    loss.backward()
    assert real[0].grad is None and fake[0].grad is not None


def test_generator_objective_with_stub_networks():
    # G draws a constant 0.25 image; D's one "feature" is the image itself and its score
    # the image's mean. So adv = -0.25 and FM = mean |0.25 - real|.
    model = build(lambda_fm=10.0)
    x = batch()
    m, real = model.split(x)
    model.G = lambda z, m: mg.tensor(np.full((len(z), 3, 32, 32), 0.25, np.float32))
    model.critic_features = lambda m, img: ([img * 1], img.mean(axis=(1, 2, 3)))
    total, fake, parts = model.generator_loss(m, real)
    fm = np.abs(0.25 - real.numpy()).mean()
    assert parts["loss_g_adv"].item() == pytest.approx(-0.25)
    assert parts["loss_fm"].item() == pytest.approx(fm, rel=1e-5)
    assert total.item() == pytest.approx(-0.25 + 10 * fm, rel=1e-5)
    assert "loss_fm" not in build(lambda_fm=0).generator_loss(m, real)[2]


def test_mode_seeking_closed_form_with_a_stub_generator():
    # G paints every pixel with 2 z_0, so |G(z) - G(z2)| averages 2 mean_i |z_i0 - z2_i0|.
    from minigen import random as mg_random
    G = lambda z, m: z[:, :1].reshape(len(z), 1, 1, 1) * mg.ones(len(z), 3, 4, 4) * 2  # noqa: E731
    mg.manual_seed(5)
    z = mg.randn(6, 8)
    state = mg_random.get_rng_state()
    loss = mode_seeking_loss(G, None, z, G(z, None), 8)
    mg_random.set_rng_state(state)
    z2 = mg.randn(6, 8).numpy()            # the second noise the loss drew
    ratio = 2 * np.abs(z.numpy()[:, 0] - z2[:, 0]).mean() / np.abs(z.numpy() - z2).mean()
    assert loss.item() == pytest.approx(1 / (ratio + 1e-5), rel=1e-5)


def test_mode_seeking_loss_gradients_match_finite_differences():
    # A linear stub G(z, m) = (z @ W) viewed as an image: the loss's gradient in W (through both
    # passes) and in the first fake, against central differences; the same z2 on every call.
    z = mg.tensor(np.random.default_rng(3).standard_normal((3, 4)))
    G = lambda zz, m, W: (zz @ W).reshape(len(zz), 1, 2, 3)  # noqa: E731

    def loss(W, fake):
        mg.manual_seed(9)
        return mode_seeking_loss(lambda zz, m: G(zz, m, W), None, z, fake, 4)
    r = np.random.default_rng(4)
    W = mg.tensor(r.standard_normal((4, 6)), requires_grad=True)
    fake = mg.tensor(r.standard_normal((3, 1, 2, 3)), requires_grad=True)
    assert mg.gradcheck(loss, [W, fake])


def test_mode_seeking_term_enters_the_generator_objective_and_trains():
    model = build(lambda_ms=2.0, lambda_fm=0)
    m, real = model.split(batch())
    total, _, parts = model.generator_loss(m, real)
    assert total.item() == pytest.approx(parts["loss_g_adv"].item() + 2.0 * parts["loss_ms"].item(), rel=1e-5)
    assert "loss_ms" not in build().generator_loss(m, real)[2]   # off by default
    losses = model.train_step(batch(), None)
    assert np.isfinite(float(losses["loss_ms"])) and float(losses["loss_ms"]) > 0


def test_style_encoder_samples_z_from_q_and_adds_its_kl():
    # G is a stub that records its z; the hinge and FM see a constant image.
    from minigen import random as mg_random
    model = build(encoder=True, lambda_fm=0, lambda_kld=0.5)
    m, real = model.split(batch())
    seen = {}

    def G(z, m):
        seen["z"] = z
        return z.reshape(len(z), -1)[:, :1].reshape(len(z), 1, 1, 1) * mg.ones(len(z), 3, 32, 32)
    model.G = G
    model.critic_features = lambda m, img: ([img * 1], img.mean(axis=(1, 2, 3)))
    state = mg_random.get_rng_state()
    total, _, parts = model.generator_loss(m, real)
    mg_random.set_rng_state(state)
    eps = mg.randn(len(real), model.nz).numpy()           # the noise the reparameterisation drew
    mu, logvar = (t.numpy().astype(np.float64) for t in model.E(real))
    np.testing.assert_allclose(seen["z"].numpy(), mu + np.exp(0.5 * logvar) * eps, rtol=1e-5, atol=1e-6)
    kl = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(axis=1).mean()
    assert parts["loss_kl"].item() == pytest.approx(kl, rel=1e-4)
    assert total.item() == pytest.approx(parts["loss_g_adv"].item() + 0.5 * kl, rel=1e-4)
    total.backward()
    assert all(p.grad is not None for p in model.E.parameters())   # the encoder learns through G's loss
    assert "E" not in build().networks and "loss_kl" not in build().generator_loss(m, real)[2]


def test_interrupted_and_resumed_spade_with_its_encoder_reproduces_the_losses(check_exact_resume):
    check_exact_resume("spade", ("loss_g", "loss_kl", "loss_d"), {**TINY, "encoder": True}, steps=4, batch_size=2)


def test_critic_loss_with_a_stub_critic():
    model = build()
    m, real = model.split(batch())
    model.critic_features = lambda m, img: ([], img.mean(axis=(1, 2, 3)) * 0 + (2.0 if img is real else 0.5))
    assert model.critic_loss(m, real, real * 0).item() == pytest.approx(0 + 1.5)


# --- the networks ---------------------------------------------------------------------------


def test_the_label_channel_comes_back_from_the_loader_scaling():
    model = build()
    ds = semantic_synthesis("test")
    maps, rgb = model.split_array(to_symmetric(np.array(ds.images[:3])))
    np.testing.assert_array_equal(maps, ds.images[:3, 0])
    m, _ = model.split(batch(3))
    assert m.shape == (3, N_LABELS, 32, 32)
    np.testing.assert_array_equal(m.numpy().argmax(axis=1), ds.images[:3, 0])


def test_spade_reads_the_map_in_every_norm_and_concat_only_at_the_input():
    spade, concat = SPADEGenerator(8, N_LABELS, 32, 4, 4, "spade"), SPADEGenerator(8, N_LABELS, 32, 4, 4, "concat")
    norms = lambda g, kind: [m for m in g.modules() if isinstance(m, kind)]  # noqa: E731
    assert len(norms(spade, nn.SPADE)) == 10 and not norms(spade, InstanceNormAffine)  # 4 blocks of 2, +1 where the width changes (2)
    assert not norms(concat, nn.SPADE) and len(norms(concat, InstanceNormAffine)) == 10
    z = mg.randn(2, 8)
    maps = build().split(batch(4))[0]
    m1, m2 = maps[:2], maps[2:]
    for g in (spade, concat):   # both follow the map
        assert g(z, m1).shape == (2, 3, 32, 32)
        assert np.abs(g(z, m1).numpy() - g(z, m2).numpy()).max() > 1e-4


def test_generator_steps_first_with_the_critic_frozen():
    model = build()
    seen = {}
    step = model.optimizers["G"].step

    def spy():
        seen["critic_grads"] = [p.grad for p in model.D.parameters()]
        step()
    model.optimizers["G"].step = spy
    before = [p.numpy().copy() for p in model.G.parameters()]
    losses = model.train_step(batch(2, "train"), None)
    assert all(g is None for g in seen["critic_grads"])
    assert any(not np.array_equal(b, p.numpy()) for b, p in zip(before, model.G.parameters()))
    assert all(p.requires_grad for p in model.D.parameters())
    assert set(losses) == {"loss_g", "loss_g_adv", "loss_fm", "loss_d"}
    assert model.optimizers["D"].param_groups[0]["lr"] == pytest.approx(4 * model.optimizers["G"].param_groups[0]["lr"])


def test_bad_settings_are_refused_naming_them():
    for options, needle in (({"generator": "unet"}, "--set generator='unet'"), ({"lambda_fm": -1}, "lambda_fm=-1"), ({"lambda_ms": -1}, "lambda_ms=-1"), ({"encoder": "yes"}, "encoder='yes'"), ({"lambda_kld": -1}, "lambda_kld=-1"),
                            ({"spectral_norm": "yes"}, "spectral_norm='yes'"), ({"ngf": 0}, "ngf=0")):
        with pytest.raises(ValueError, match=needle):
            build(**options)
    with pytest.raises(ValueError, match="4 channels"):
        get_model_class("spade")({**get_model_class("spade").defaults, **TINY}, image_shape=(3, 32, 32))


# --- the metrics ----------------------------------------------------------------------------


def test_mean_iou_closed_form():
    truth = np.array([[0, 0, 1, 1]])
    assert spade_metrics.mean_iou(truth, truth) == 1.0
    # label 0: 1 of 2 pixels shared, union 2 -> 1/2; label 1: shared 2, union 3 -> 2/3
    assert spade_metrics.mean_iou(np.array([[0, 1, 1, 1]]), truth) == pytest.approx((1 / 2 + 2 / 3) / 2)
    # a label only predicted counts with IoU 0
    assert spade_metrics.mean_iou(np.array([[0, 0, 1, 5]]), truth) == pytest.approx((1 + 1 / 2 + 0) / 3)


def test_mean_pairwise_l1_closed_form():
    groups = np.zeros((1, 3, 1, 1, 2))
    groups[0, 1] = 1.0      # pairs (0,1): 1, (0,2): 0, (1,2): 1
    assert spade_metrics.mean_pairwise_l1(groups) == pytest.approx(2 / 3)


def test_shipped_segmenter_reads_the_real_test_renderings():
    test = semantic_synthesis("test").images
    pred, features = spade_metrics.segment(spade_metrics.load_segmenter(), to_symmetric(np.array(test[:, 1:])))
    assert spade_metrics.mean_iou(pred, test[:, 0]) > 0.95
    assert features.shape == (500, 32)


def test_a_generator_that_copies_the_real_rendering_scores_the_real_iou():
    model = build()
    test = to_symmetric(np.array(semantic_synthesis("test").images))
    maps, real = model.split_array(test)
    lookup = {m.tobytes(): r for m, r in zip(maps, real)}
    model.generate = lambda some, seed: np.stack([lookup[m.tobytes()] for m in some])
    metrics = model.evaluate(mg.tensor(test))
    assert metrics["miou"] == pytest.approx(metrics["miou_real"]) and metrics["miou_ratio"] == pytest.approx(1.0)
    assert metrics["diversity"] == 0.0 and metrics["diversity_real"] > 0.05   # one image per map: no diversity
    # the same features on both sides: zero up to sqrtm's float64 round-off, which scales with
    # the covariance (relative 1e-6 of its trace)
    _, features = spade_metrics.segment(spade_metrics.load_segmenter(), real)
    assert abs(metrics["frechet_distance"]) <= 1e-6 * np.trace(np.cov(features.T))


# --- the commands ---------------------------------------------------------------------------


def tiny_args():
    return [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]


def test_train_sample_and_eval_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "sp"
    assert main(["train", "spade", "--steps", "2", "--batch-size", "2", "--out", str(out), "--no-progress",
                 "--set", "generator=concat"] + tiny_args()) == 0
    assert main(["sample", str(out)]) == 0
    grid = Image.open(out / "sample.png")
    assert grid.mode == "RGB" and grid.size == (8 * 34 + 2, 8 * 34 + 2)   # rows of 8 images of 32 px
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "miou:" in printed and "diversity_real:" in printed
    saved = json.loads((out / "eval.json").read_text())
    assert 0.95 < saved["miou_real"] <= 1 and 0 <= saved["miou"] <= 1


@pytest.mark.parametrize("argv, needles", [
    (["--set", "generator=unet"], ["--set generator='unet'", "'spade'", "'concat'"]),
    (["--data", "mnist"], ["--data mnist", "expected --data embedded"]),
    (["--set", "hidden=0"], ["--set hidden=0", "positive integer"]),
])
def test_bad_input_is_one_line(tmp_path, capsys, argv, needles):
    code = main(["train", "spade", "--steps", "1", "--out", str(tmp_path / "x"), "--no-progress"] + argv)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_interrupted_and_resumed_spade_reproduces_the_uninterrupted_losses(check_exact_resume):
    check_exact_resume("spade", ("loss_g", "loss_d"), TINY, steps=5, batch_size=2)
