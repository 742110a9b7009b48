"""The VAE (issue 6): the reparameterisation, the KL, the ELBO and IWAE bounds against hand
computations, gradients, the commands, and exact resume."""
import numpy as np
import pytest
from PIL import Image

import minigen as mg
from minigen import nn
from minigen.cli import main
from minigen.models import get_model_class
from minigen.models import vae_metrics
from minigen.models.vae import negative_elbo_terms, reparameterize
from minigen.nn import functional as F
from minigen.training import TrainConfig, train


def log_sigmoid(a):
    return -np.logaddexp(0.0, -a)


# --- the pieces ---------------------------------------------------------------------------


def test_reparameterisation_samples_with_sigma_exp_half_logvar():
    # For log sigma^2 = log 4 the samples must have variance 4; with exp(logvar) as the
    # "standard deviation" they would have variance 16. With n = 200,000 samples the sample
    # variance has a relative standard error of sqrt(2 / n) = 0.3%, so 2% is 6 standard errors.
    n = 200_000
    mu = mg.tensor(np.full((n, 1), 0.5))
    logvar = mg.tensor(np.full((n, 1), np.log(4.0)))
    eps = mg.tensor(np.random.default_rng(0).standard_normal((n, 1)))
    z = reparameterize(mu, logvar, eps).numpy()
    assert z.mean() == pytest.approx(0.5, abs=0.02)
    assert z.var() == pytest.approx(4.0, rel=0.02)
    assert z.var() != pytest.approx(16.0, rel=0.5)


def test_closed_form_kl_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(1)
    mu, logvar = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    closed = F.kl_normal(mg.tensor(mu), mg.tensor(logvar), reduction="none").numpy()
    n = 200_000
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((n, 3, 4))
    log_ratio = vae_metrics.log_normal(z, mu, logvar) - vae_metrics.log_normal(z, 0.0, np.zeros_like(z))
    mc, se = log_ratio.mean(axis=0), log_ratio.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(closed - mc) < 5 * se), (closed, mc, se)


def test_static_binarisation_is_fixed_and_binary():
    x = np.random.default_rng(0).random((50, 1, 28, 28)).astype(np.float32)
    a, b = vae_metrics.static_binarize(x), vae_metrics.static_binarize(x)
    assert np.array_equal(a, b) and set(np.unique(a)) <= {0.0, 1.0}
    assert a.mean() == pytest.approx(x.mean(), abs=0.01)


# --- the bounds against quadrature on a model small enough to integrate -------------------


class TinyVAE:
    """Latent 1, two pixels. q(z|x) = N(0.3, e^-0.5) for every x (an encoder with zero weights),
    p(x_j|z) = Bernoulli(sigmoid(w_j z + b_j)), p(z) = N(0, 1); q is deliberately far from the
    posterior so that the bounds differ visibly."""
    device, binarize = "cpu", True
    mu, logvar, w, b = 0.3, -0.5, np.array([2.5, -1.5]), np.array([0.2, 0.5])

    def __init__(self):
        self.encoder, self.decoder = nn.Linear(2, 2), nn.Linear(1, 2)
        self.encoder.weight.data[:] = 0
        self.encoder.bias.data[:] = [self.mu, self.logvar]
        self.decoder.weight.data[:] = self.w[:, None]
        self.decoder.bias.data[:] = self.b

    def encode(self, x):
        h = self.encoder(x)
        return h[:, :1], h[:, 1:]

    def decode(self, z):
        return self.decoder(z)

    def eval(self):
        pass

    def train(self, mode=True):
        pass

    def exact(self, x):
        """ELBO and log p(x) for one image x (2,) by the trapezoid rule on a dense grid."""
        z = np.linspace(-12, 12, 200_001)
        logits = self.w[None] * z[:, None] + self.b[None]
        log_px_z = (x * log_sigmoid(logits) + (1 - x) * log_sigmoid(-logits)).sum(axis=1)
        sigma = np.exp(0.5 * self.logvar)
        q = np.exp(-0.5 * ((z - self.mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        prior = np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi)
        kl = 0.5 * (self.mu ** 2 + np.exp(self.logvar) - 1 - self.logvar)  # the textbook formula
        elbo = np.trapezoid(q * log_px_z, z) - kl
        return elbo, np.log(np.trapezoid(prior * np.exp(log_px_z), z))


X_TINY = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)


@pytest.fixture(scope="module")
def tiny_weights():
    model = TinyVAE()
    log_w, _ = vae_metrics.log_weights(model, mg.tensor(X_TINY), 100_000, np.random.default_rng(0))
    exact = np.array([model.exact(x) for x in X_TINY.astype(np.float64)])
    return log_w, exact[:, 0], exact[:, 1]


def test_the_training_loss_is_the_negative_elbo_computed_by_hand():
    # One reparameterised sample per copy of the image; the mean over 100,000 copies is the
    # Monte-Carlo negative ELBO. Tolerance: 5 standard errors of that mean.
    model, n = TinyVAE(), 100_000
    eps = mg.tensor(np.random.default_rng(3).standard_normal((n, 1)).astype(np.float32))
    for x in X_TINY:
        xs = mg.tensor(np.repeat(x[None], n, axis=0))
        mu, logvar = model.encode(xs)
        recon, kl = negative_elbo_terms(model.decode(reparameterize(mu, logvar, eps)), xs, mu, logvar)
        loss = (recon + kl).numpy().astype(np.float64)
        elbo, _ = model.exact(x.astype(np.float64))
        assert abs(loss.mean() + elbo) < 5 * loss.std() / np.sqrt(n), (loss.mean(), -elbo)


def test_iwae_with_k_1_averages_to_the_elbo(tiny_weights):
    log_w, elbo, _ = tiny_weights
    k1 = vae_metrics.iwae_bound(log_w.reshape(-1, 1)).reshape(log_w.shape)  # each column one L_1
    se = k1.std(axis=1) / np.sqrt(k1.shape[1])
    assert np.all(np.abs(k1.mean(axis=1) - elbo) < 5 * se), (k1.mean(axis=1), elbo, se)


def test_iwae_bounds_increase_with_k_towards_log_px(tiny_weights):
    # L_k is estimated by averaging the 100,000 / k independent estimates per image. Each
    # L_10k estimate is paired with the mean of the ten L_k estimates on the same samples, so
    # the difference L_10k - L_k is measured with the standard error of the paired differences;
    # each step up in k must gain more than 3 of those. L_1000 must lie within 4 standard
    # errors of the exact log p(x) (its bias, about var(w / mean w) / (2k), is smaller here).
    log_w, elbo, log_px = tiny_weights
    n = len(log_w)

    def estimates(k):
        return vae_metrics.iwae_bound(log_w.reshape(-1, k)).reshape(n, -1)

    assert np.all(elbo < log_px)
    for k in (1, 10, 100):
        gain = estimates(10 * k) - estimates(k).reshape(n, -1, 10).mean(axis=2)
        se = gain.std(axis=1) / np.sqrt(gain.shape[1])
        assert np.all(gain.mean(axis=1) > 3 * se), (k, gain.mean(axis=1), se)
    top = estimates(1000)
    se = top.std(axis=1) / np.sqrt(top.shape[1])
    assert np.all(np.abs(top.mean(axis=1) - log_px) < 4 * se), (top.mean(axis=1), log_px, se)


def test_log_mean_exp_is_stable_where_exp_underflows():
    a = np.array([[-1000.0, -1000.0 + np.log(3.0)]])
    assert vae_metrics.log_mean_exp(a, axis=1)[0] == pytest.approx(-1000.0 + np.log(2.0))


# --- the convolutional model --------------------------------------------------------------


def small_vae(**options):
    cls = get_model_class("vae")
    return cls(dict(cls.defaults, **options))


def test_evaluate_reports_an_iwae_bound_tighter_than_the_elbo():
    model = small_vae(latent=4)
    images = np.random.default_rng(0).random((8, 1, 28, 28)).astype(np.float32)
    m = model.evaluate(mg.tensor(images), k=20)
    assert m["test_nelbo"] == pytest.approx(m["test_recon"] + m["test_kl"])
    assert m["test_nll_iwae"] <= m["test_nelbo"]
    assert model.evaluate(mg.tensor(images), k=20) == m   # fixed binarisation and noise


def test_gradcheck_of_the_vae_loss_with_respect_to_its_parameters():
    model = small_vae(latent=2, beta=2.0)
    for net in model.networks.values():
        for t in list(net.parameters()) + list(net.buffers()):
            t.data = t.data.astype(np.float64)
    rng = np.random.default_rng(0)
    x = mg.tensor((rng.random((2, 1, 28, 28)) < 0.3).astype(np.float64))
    eps = mg.tensor(rng.standard_normal((2, 2)))   # fixed noise: the loss is a function

    def loss(*params):
        recon, kl = model.loss_terms(x, eps)
        return (recon + model.beta * kl).mean()

    params = [model.encoder[0].weight, model.encoder[3].weight, model.encoder[6].weight,
              model.encoder[6].bias, model.decoder[0].weight, model.decoder[3].weight,
              model.decoder[4].bias, model.decoder[6].bias]
    assert mg.gradcheck(loss, params, max_elements=3)


def test_training_binarises_each_batch_afresh(monkeypatch):
    model = small_vae(latent=2)
    seen = []
    original = model.loss_terms
    monkeypatch.setattr(model, "loss_terms", lambda x, eps: seen.append(x.numpy()) or original(x, eps))
    images = mg.tensor(np.full((4, 1, 28, 28), 0.5, dtype=np.float32))
    model.train_step(images, None)
    model.train_step(images, None)
    assert set(np.unique(seen[0])) == {0.0, 1.0} and not np.array_equal(seen[0], seen[1])
    plain = small_vae(latent=2, binarize=False)
    monkeypatch.setattr(plain, "loss_terms", lambda x, eps: seen.append(x.numpy()) or original(x, eps))
    plain.train_step(images, None)
    assert np.all(seen[-1] == 0.5)


def test_prior_samples_and_views_are_images_in_the_unit_range():
    model = small_vae(latent=2)
    samples = model.sample(8)
    assert samples.shape == (8, 1, 28, 28)
    np.testing.assert_allclose(samples.numpy(), model.sample(16).numpy()[:8], rtol=1e-5, atol=1e-6)  # fixed noise
    assert np.array_equal(samples.numpy(), model.sample(8).numpy())
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    assert model.reconstruct(x).shape == (3, 1, 28, 28)
    assert model.interpolate(x[0], x[1], 5).shape == (5, 1, 28, 28)
    assert model.manifold(4).shape == (16, 1, 28, 28)
    with pytest.raises(ValueError, match="latent=2"):
        small_vae(latent=3).manifold(4)


# --- the commands and the loop ------------------------------------------------------------


def grid_rows(path, size=28, padding=2):
    return (Image.open(path).size[1] - padding) // (size + padding)


def test_train_eval_and_sample_views_from_the_command_line(tmp_path, capsys):
    run = str(tmp_path / "vae")
    assert main(["train", "vae", "--steps", "3", "--batch-size", "8", "--out", run, "--no-progress",
                 "--set", "latent=2", "--sample-every", "3"]) == 0
    assert main(["eval", run, "--iwae-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "test_nelbo:" in out and "test_nll_iwae:" in out and (tmp_path / "vae" / "eval.json").exists()
    for view, rows in (("--reconstruct", 4), ("--interpolate", 2), ("--manifold", 8)):
        target = str(tmp_path / f"{view[2:]}.png")
        assert main(["sample", run, view, "--n", "16", "--out", target]) == 0, view
        assert grid_rows(target) == rows, view


def test_views_a_model_does_not_support_are_one_line_errors(tmp_path, capsys):
    ae = str(tmp_path / "ae")
    train(TrainConfig(model="autoencoder", steps=1, batch_size=8, out=ae, progress=False,
                      options={"width": 4}))
    capsys.readouterr()
    assert main(["sample", ae, "--reconstruct"]) == 2
    err = capsys.readouterr().err
    assert "does not support" in err and len(err.strip().splitlines()) == 1
    vae = str(tmp_path / "vae")
    train(TrainConfig(model="vae", steps=1, batch_size=8, out=vae, progress=False))
    assert main(["sample", vae, "--manifold"]) == 2
    assert "latent=2" in capsys.readouterr().err


def test_interrupted_and_resumed_vae_run_reproduces_the_uninterrupted_losses(check_exact_resume):
    check_exact_resume("vae", ("loss", "recon", "kl"), {"latent": 4})
