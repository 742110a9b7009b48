"""The GAN recipe's library pieces: DiffAugment, spectral norm, weight averaging (EMA)."""
import copy

import numpy as np
import pytest

import minigen as mg
import minigen.nn as nn
import minigen.nn.functional as F
from minigen.nn.functional.augment import cutout_mask
from minigen.nn.utils import remove_spectral_norm, spectral_norm
from minigen.optim.swa_utils import AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn


# ----------------------------------------------------------------------------- DiffAugment

def test_translate_moves_each_image_by_its_own_offset():
    """y[n, :, i, j] = x[n, :, i - dy[n], j - dx[n]], fill where that falls outside x: a
    loop over every pixel is the definition."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 5, 6))
    dy, dx = [2, -1, 0], [-3, 0, 5]
    y = F.translate(mg.tensor(x), dy, dx, fill=-7.0).numpy()
    for n in range(3):
        for i in range(5):
            for j in range(6):
                si, sj = i - dy[n], j - dx[n]
                want = x[n, :, si, sj] if 0 <= si < 5 and 0 <= sj < 6 else -7.0
                np.testing.assert_array_equal(y[n, :, i, j], want)


def test_translate_gradients_match_finite_differences():
    x = mg.tensor(np.random.default_rng(1).standard_normal((3, 2, 4, 5)), requires_grad=True)
    fn = lambda t: F.translate(t, [1, -2, 3], [0, 2, -1], fill=-1.0)  # noqa: E731
    assert mg.gradcheck(fn, [x]) and mg.gradgradcheck(fn, [x])


def test_cutout_mask_holes_are_squares_of_the_given_size_clipped_by_the_border():
    rng = np.random.default_rng(2)
    m = cutout_mask(200, 28, 28, 14, rng)[:, 0]
    holes = 1 - m
    for hole in holes:
        rows, cols = np.nonzero(hole.any(axis=1))[0], np.nonzero(hole.any(axis=0))[0]
        assert hole.sum() == len(rows) * len(cols)            # a rectangle ...
        assert 7 <= len(rows) <= 14 and 7 <= len(cols) <= 14  # ... of side 14, at most half clipped
    assert (holes.sum(axis=(1, 2)) == 196).mean() > 0.1       # whole squares occur


def test_diff_augment_draws_afresh_and_keeps_the_background():
    mg.manual_seed(0)
    x = mg.tensor(-np.ones((64, 1, 28, 28), dtype=np.float32))
    x.data[:, :, 10:18, 10:18] = 1.0  # a bright square in every image
    a, b = F.diff_augment(x, "translation"), F.diff_augment(x, "translation")
    assert not np.array_equal(a.numpy(), b.numpy())               # new shifts every call
    assert set(np.unique(a.numpy())) <= {-1.0, 1.0}               # pure shifts, background fill
    np.testing.assert_array_equal((a.numpy() == 1).sum(axis=(1, 2, 3)), 64)  # nothing cut off
    c = F.diff_augment(x, "cutout").numpy()
    assert ((c == 1).sum(axis=(1, 2, 3)) < 64).any() and c.min() == -1.0


def test_diff_augment_is_differentiable_and_rejects_unknown_policies():
    mg.manual_seed(0)
    x = mg.randn(4, 1, 8, 8, requires_grad=True)
    F.diff_augment(x, "translation+cutout").sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    with pytest.raises(ValueError, match="policy 'color'"):
        F.diff_augment(x, "translation+color")


# ----------------------------------------------------------------------------- spectral norm

def test_spectral_norm_divides_by_the_largest_singular_value():
    """After enough power iterations sigma(W_SN) = 1 for a conv (dim 0) and a transposed
    conv (dim 1, its output axis), measured by an SVD."""
    mg.manual_seed(0)
    for layer, dim in ((nn.Conv2d(3, 6, 3), 0), (nn.ConvTranspose2d(4, 5, 4, 2, 1), 1)):
        spectral_norm(layer)
        x = mg.randn(1, layer.in_channels, 6, 6)
        for _ in range(50):
            layer(x)
        w = layer.weight.numpy()
        mat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
        assert np.linalg.svd(mat, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)
        orig = np.moveaxis(layer.weight_orig.numpy(), dim, 0).reshape(w.shape[dim], -1)
        np.testing.assert_allclose(w, layer.weight_orig.numpy() / np.linalg.svd(orig, compute_uv=False)[0],
                                   rtol=1e-4)


def test_spectral_norm_state_dict_layout_and_eval_mode():
    mg.manual_seed(0)
    layer = spectral_norm(nn.Conv2d(2, 3, 3))
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]  # PyTorch's
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    x = mg.randn(1, 2, 5, 5)
    layer(x)
    u = layer.weight_u.numpy().copy()
    layer.eval()
    layer(x)
    np.testing.assert_array_equal(layer.weight_u.numpy(), u)  # no power iteration in eval mode
    with pytest.raises(RuntimeError, match="already"):
        spectral_norm(layer)
    y = layer(x).numpy()
    remove_spectral_norm(layer)  # the weight W / sigma becomes a plain parameter again
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]
    assert "weight_u" not in layer.state_dict()
    np.testing.assert_allclose(layer(x).numpy(), y, rtol=1e-6)


def test_spectral_norm_gradients_first_and_second_order():
    """In eval mode u, v are fixed, so the layer is a fixed function of weight_orig and the
    input: both derivatives, and the derivative of a gradient penalty through it (WGAN-GP
    with a spectrally normalised critic), match finite differences."""
    mg.manual_seed(0)
    layer = spectral_norm(nn.Conv2d(2, 3, 3, padding=1))
    for name in ("weight_orig", "bias", "weight_u", "weight_v"):
        t = getattr(layer, name)
        t.data = t.data.astype(np.float64)
    layer(mg.randn(1, 2, 4, 4, dtype=np.float64))  # one power iteration, then freeze u and v
    layer.eval()
    x = mg.randn(2, 2, 4, 4, dtype=np.float64, requires_grad=True)
    w = mg.tensor(layer.weight_orig.numpy(), requires_grad=True)

    def out(x, w):
        layer._parameters["weight_orig"] = w  # the checker's perturbed copy of the weight
        return F.leaky_relu(layer(x), 0.2)
    assert mg.gradcheck(out, [x, w]) and mg.gradgradcheck(out, [x, w])


def test_spectral_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    ours = spectral_norm(nn.Conv2d(3, 4, 3, padding=1))
    theirs = torch.nn.utils.spectral_norm(torch.nn.Conv2d(3, 4, 3, padding=1))
    state = {k: torch.tensor(v) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    for _ in range(3):  # training mode: a power iteration each call, the same in both
        y_ours, y_theirs = ours(mg.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-4, atol=1e-6)
    y_ours.sum().backward()
    y_theirs.sum().backward()
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(),
                               rtol=1e-3, atol=1e-5)


# ----------------------------------------------------------------------------- averaging

def _tiny():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_ema_follows_the_closed_form_average():
    """theta_ema after updates with theta_1, ..., theta_T (first one copied):
    theta_1 d^(T-1) + sum_{t>=2} (1 - d) d^(T-t) theta_t."""
    net = _tiny()
    ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    history = []
    for t in range(5):
        for p in net.parameters():
            p.data[...] = np.random.default_rng(t).standard_normal(p.shape)
        history.append([p.numpy().copy() for p in net.parameters()])
        ema.update_parameters(net)
    d, T = 0.9, 5
    for i, p in enumerate(ema.module.parameters()):
        want = history[0][i] * d ** (T - 1) + sum((1 - d) * d ** (T - 1 - t) * history[t][i] for t in range(1, T))
        np.testing.assert_allclose(p.numpy(), want, rtol=1e-5)
    assert int(ema.n_averaged.numpy()) == 5


def test_ema_warmup_and_buffers():
    """With warm-up the t-th update uses decay min(d, (1 + t)/(10 + t)): update 1 (t = 1)
    keeps 2/11 of the old average. Buffers (running statistics) are copied, not averaged."""
    net = _tiny()
    ema = AveragedModel(net, avg_fn=get_ema_avg_fn(0.999, warmup=True))
    ema.update_parameters(net)
    old = [p.numpy().copy() for p in ema.module.parameters()]
    for p in net.parameters():
        p.data[...] += 1.0
    net(mg.randn(8, 3))  # moves batch norm's running statistics
    ema.update_parameters(net)
    for a, o, c in zip(ema.module.parameters(), old, net.parameters()):
        np.testing.assert_allclose(a.numpy(), 2 / 11 * o + 9 / 11 * c.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(ema.module[1].running_mean.numpy(), net[1].running_mean.numpy())
    assert not any(p.requires_grad for p in ema.parameters())
    with pytest.raises(ValueError, match="decay=1"):
        get_ema_avg_fn(1)


def test_ema_state_dict_round_trip_and_mismatch():
    net = _tiny()
    ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.5))
    ema.update_parameters(net)
    other = AveragedModel(copy.deepcopy(net))
    other.load_state_dict(ema.state_dict())
    assert "n_averaged" in ema.state_dict() and "module.0.weight" in ema.state_dict()  # PyTorch's keys
    np.testing.assert_array_equal(other.module[0].weight.numpy(), ema.module[0].weight.numpy())
    with pytest.raises(ValueError, match="not the model"):
        ema.update_parameters(nn.Linear(3, 4))


# ----------------------------------------------------------------------------- in the GAN models

from minigen.models import get_model_class  # noqa: E402
from minigen.models.dcgan import hinge_losses  # noqa: E402
from minigen.models.gan import FIXED_NOISE_SEED  # noqa: E402

TINY = {"g_width": 8, "d_width": 8, "nz": 8, "eval_samples": 200}


def _gan(name="dcgan", **options):
    cls = get_model_class(name)
    mg.manual_seed(0)
    model = cls({**cls.resolve_settings(options), **TINY}, image_shape=(1, 28, 28))
    model.prepare(_batch(64, seed=99).numpy())  # the k-means groups of --set clusters (else nothing)
    return model


def _batch(n=8, seed=0):
    return mg.tensor(np.random.default_rng(seed).uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32))


def test_recipes_put_their_settings_in_place_of_the_defaults():
    cls = get_model_class("dcgan")
    radford = cls.resolve_settings({"recipe": "radford"})
    assert radford["lr"] == 2e-4 and radford["beta1"] == 0.5 and radford["loss"] == "bce"
    assert cls.resolve_settings({"recipe": "radford", "lr": 1e-3})["lr"] == 1e-3  # the user's own win
    for name, recipe in (("wgan", "arjovsky"), ("wgan-gp", "gulrajani"), ("cgan", "radford")):
        assert recipe in get_model_class(name).recipes
    # wgan's default samples from an average of G; the paper's recipe must not inherit it
    wgan = get_model_class("wgan")
    assert wgan.resolve_settings({})["ema"] == 0.99
    assert wgan.resolve_settings({"recipe": "arjovsky"})["ema"] == 0.0
    assert get_model_class("wgan-gp").resolve_settings({})["ema"] == 0.0
    with pytest.raises(ValueError, match="recipe='bogus'.*radford"):
        cls.resolve_settings({"recipe": "bogus"})


def test_hinge_losses_in_closed_form():
    r, f = np.array([2.0, 0.5, -1.0]), np.array([-3.0, 0.0, 1.5])
    want = np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean()  # (0 + .5 + 2)/3 + (0 + 1 + 2.5)/3
    assert hinge_losses(mg.tensor(r), mg.tensor(f)).item() == pytest.approx(want, rel=1e-12)
    model = _gan(loss="hinge")
    assert model.generator_loss(mg.tensor(f)).item() == pytest.approx(-f.mean())
    with pytest.raises(ValueError, match="loss='l2'"):
        _gan(loss="l2")


def test_spectral_norm_setting_normalises_every_critic_convolution():
    model = _gan(spectral_norm=True)
    convs = [m for m in model.D.modules() if type(m).__name__ == "Conv2d"]
    assert convs and all("weight_orig" in dict(m.named_parameters()) for m in convs)
    model.train_step(_batch(), None)
    state = model.state_dict()
    other = _gan(spectral_norm=True)
    other.load_state_dict(state)  # a checkpoint of such a model loads into a fresh one
    first = lambda m: next(c for c in m.D.modules() if type(c).__name__ == "Conv2d")  # noqa: E731
    np.testing.assert_array_equal(first(other).weight_u.numpy(), first(model).weight_u.numpy())
    with pytest.raises(ValueError, match="spectral_norm='yes'"):
        _gan(spectral_norm="yes")


def test_augment_setting_shows_d_augmented_images_only_while_training():
    model = _gan(augment="translation+cutout")
    x = _batch()
    y = model.batch_condition(x, None)  # the images' clusters (the default recipe's condition)
    a, b = model.critic(x, y).numpy(), model.critic(x, y).numpy()
    assert not np.allclose(a, b)  # fresh shifts and holes each call
    model.D.eval()
    np.testing.assert_array_equal(model.critic(x, y).numpy(), model.D(x, y).numpy())
    with pytest.raises(ValueError, match="policy 'zoom'"):
        _gan(augment="zoom")


def test_ema_setting_samples_from_the_moving_average_of_g():
    model = _gan(ema=0.9)
    assert model.sampler() is model.G_ema.module and "G_ema" in model.networks
    for seed in range(3):
        model.train_step(_batch(seed=seed), None)
    assert int(model.G_ema.n_averaged.numpy()) == 3
    g, g_ema = model.G.state_dict(), model.G_ema.module.state_dict()
    assert not np.allclose(g["0.weight"], g_ema["0.weight"])  # an average, not a copy
    z = model.sample_noise(4)
    y = model.sample_condition(4, FIXED_NOISE_SEED)  # the clusters the grid draws
    zy = np.concatenate([z, y.numpy()[:, :, None, None]], axis=1)
    model.G_ema.module.eval()
    with mg.no_grad():
        want = model.G_ema.module(mg.tensor(zy)).numpy()
    np.testing.assert_allclose(model.sample(4).numpy(), want, rtol=1e-6)
    plain = _gan()
    assert plain.G_ema is None and plain.sampler() is plain.G
    with pytest.raises(ValueError, match="ema=1"):
        _gan(ema=1)


def test_cgan_ema_samples_follow_the_label():
    model = _gan("cgan", ema=0.5)
    for seed in range(2):
        model.train_step(_batch(seed=seed), np.arange(8) % 10)
    a = model.sample_labels([3], 2).numpy()
    b = model.sample_labels([7], 2).numpy()
    assert not np.allclose(a, b)


def test_projection_critic_is_psi_of_phi_plus_the_label_inner_product():
    """D(x, y) = psi(phi(x)) + sum over (C, H, W) of embed(y) * phi(x), computed by hand from
    the network's own layers; and the embedding is one of D's parameters (D's optimizer moves
    it, frozen(D) freezes it)."""
    from minigen.models.cgan import one_hot
    model = _gan("cgan", critic="projection")
    model.D.eval()
    x = _batch(5)
    y = one_hot(np.array([1, 4, 4, 0, 9]), 10)
    with mg.no_grad():
        phi = model.D.net[:-1](x).numpy()
        psi = model.D.net[-1](mg.tensor(phi)).numpy().reshape(5)
        emb = model.D.embed.weight.numpy()           # (2d*7*7, classes), PyTorch's Linear layout
        inner = np.einsum("nk,kj,nj->n", y.numpy(), emb.T, phi.reshape(5, -1))
        got = model.critic(x, y).numpy().reshape(5)
    np.testing.assert_allclose(got, psi + inner, rtol=1e-5, atol=1e-6)
    d_params = {id(p) for g in model.optimizers["D"].param_groups for p in g["params"]}
    assert id(model.D.embed.weight) in d_params
    with pytest.raises(ValueError, match="critic='attention'"):
        _gan("cgan", critic="attention")
