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
