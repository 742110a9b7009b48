"""Each model's training step against its loss in closed form, with stub networks whose
outputs are known, and a direction check: critic-only steps on fixed batches raise the
critic's gap D(real) - D(fake) for every GAN.

Resume tests compare the code with itself, so a wrong loss passes both runs; these tests
compare it with the formula. Every setting a formula depends on (gp_lambda, beta,
lambda_cyc, pool_size, lr, n_critic, clusters) is passed explicitly, not taken from the defaults."""
import numpy as np
import pytest

import minigen as mg
from minigen import nn
from minigen.models import get_model_class
from minigen.models.cgan import one_hot
from minigen.optim import SGD

GAN_TINY = {"g_width": 8, "d_width": 8, "nz": 8, "eval_samples": 200, "warm_start": 0}


def softplus(x):
    return np.logaddexp(0.0, x)


class LinearCritic(nn.Module):
    """D(x) = <w, x> + c per image: its input gradient is w everywhere, so the gradient
    penalty is (||w|| - 1)^2 exactly."""

    def __init__(self, w, c=0.0):
        super().__init__()
        self.w = nn.Parameter(np.asarray(w, np.float32).reshape(-1, 1))
        self.c = nn.Parameter(np.array([c], np.float32))

    def forward(self, x):
        return x.reshape(x.shape[0], -1) @ self.w + self.c

    def np(self, x):
        return x.reshape(len(x), -1).astype(np.float64) @ self.w.numpy().astype(np.float64) + self.c.numpy()


class FixedOutput(nn.Module):
    """G(z) = scale * images, whatever z: the fakes are known (scale, a parameter, starts at 1)."""

    def __init__(self, images):
        super().__init__()
        self.images = mg.tensor(np.asarray(images, np.float32))
        self.scale = nn.Parameter(np.ones(1, np.float32))

    def forward(self, z):
        return self.images * self.scale


class NoStep:
    """An optimizer that changes nothing: the logged losses stay functions of fixed weights."""

    def zero_grad(self):
        pass

    def step(self):
        pass


def gan(name, **options):
    cls = get_model_class(name)
    model = cls({**cls.defaults, **GAN_TINY, **options}, image_shape=(1, 28, 28))
    model.prepare(images(64, -1, 1, seed=99))  # the k-means groups of --set clusters (else nothing)
    return model


def images(n, low, high, seed, shape=(1, 28, 28)):
    return np.random.default_rng(seed).uniform(low, high, (n,) + shape).astype(np.float32)


def stub_gan(model, seed=0):
    """D linear with random weights, G returning fixed fakes, both optimizers inert."""
    rng = np.random.default_rng(seed)
    model.D = LinearCritic(rng.normal(0, 0.05, 784), c=0.1)
    fake = images(6, -1, 1, seed + 1)
    model.G = FixedOutput(fake)
    model.optimizers = {"D": NoStep(), "G": NoStep()}
    return fake


# --- WGAN-GP --------------------------------------------------------------------------------


@pytest.mark.parametrize("gp_lambda", [10.0, 2.5])
def test_wgan_gp_critic_loss_is_fake_minus_real_plus_lambda_times_the_penalty(gp_lambda):
    """loss_d = E[D(fake)] - E[D(real)] + lambda (||w|| - 1)^2 for the linear critic
    (a sign flip of the penalty or a dropped lambda changes the value)."""
    model = gan("wgan-gp", gp_lambda=gp_lambda, n_critic=5, critic_norm="none", clusters=0)
    fake = stub_gan(model)
    real = images(6, -1, 1, 7)
    out = model.train_step(mg.tensor(real), None)
    gap = model.D.np(fake).mean() - model.D.np(real).mean()
    gp = (np.linalg.norm(model.D.w.numpy()) - 1) ** 2
    assert out["gp"].item() == pytest.approx(gp, rel=1e-4)
    assert out["loss_d"].item() == pytest.approx(gap + gp_lambda * gp, rel=1e-4, abs=1e-5)
    assert out["wasserstein"].item() == pytest.approx(-gap, rel=1e-4, abs=1e-5)


def test_wgan_gp_critic_update_follows_the_penalised_loss_gradient():
    """One SGD step on w: w - lr (mean(fake) - mean(real) + 2 lambda (||w|| - 1) w / ||w||)."""
    model = gan("wgan-gp", gp_lambda=3.0, n_critic=5, critic_norm="none", clusters=0)
    fake = stub_gan(model)
    real = images(6, -1, 1, 7)
    w0 = model.D.w.numpy().astype(np.float64).ravel()
    model.optimizers["D"] = SGD(model.D.parameters(), lr=0.01)
    model.train_step(mg.tensor(real), None)
    norm = np.linalg.norm(w0)
    grad = (fake.reshape(6, -1).mean(0) - real.reshape(6, -1).mean(0)) + 2 * 3.0 * (norm - 1) * w0 / norm
    np.testing.assert_allclose(model.D.w.numpy().ravel(), w0 - 0.01 * grad, rtol=1e-4, atol=1e-6)


def test_wgan_critic_loss_is_the_score_gap_and_its_weights_are_clipped():
    model = gan("wgan", clip=0.05, n_critic=5, critic_norm="batch", clusters=0)
    fake = stub_gan(model)
    real = images(6, -1, 1, 7)
    gap = model.D.np(fake).mean() - model.D.np(real).mean()      # before the step clips the weights
    out = model.train_step(mg.tensor(real), None)
    assert out["loss_d"].item() == pytest.approx(gap, rel=1e-4, abs=1e-5)
    assert max(np.abs(p.numpy()).max() for p in model.D.parameters()) <= 0.05


# --- DCGAN and the conditional GAN ------------------------------------------------------------


def test_dcgan_losses_are_the_bce_of_the_stub_critics_scores():
    """loss_d = mean softplus(-D(x)) + mean softplus(D(G(z))), loss_g = mean softplus(-D(G(z)))
    (non-saturating), or -mean softplus(D(G(z))) (saturating)."""
    for kind, expected_g in [("non-saturating", lambda f: softplus(-f).mean()),
                             ("saturating", lambda f: -softplus(f).mean())]:
        model = gan("dcgan", g_loss=kind, clusters=0)  # D(x) alone (clusters: the test below)
        fake = stub_gan(model)
        real = images(6, -1, 1, 7)
        out = model.train_step(mg.tensor(real), None)
        r, f = model.D.np(real), model.D.np(fake)
        assert out["loss_d"].item() == pytest.approx(softplus(-r).mean() + softplus(f).mean(), rel=1e-5)
        assert out["loss_g"].item() == pytest.approx(expected_g(f), rel=1e-5)
        assert out["d_real"].item() == pytest.approx((1 / (1 + np.exp(-r))).mean(), rel=1e-5)


class Recorder(nn.Module):
    """A critic that records its inputs and scores the sum of everything it sees."""

    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(np.ones(1, np.float32))
        self.seen = []

    def forward(self, x):
        self.seen.append(x.numpy().copy())
        return x.sum(axis=(1, 2, 3)) * self.p


class PairRecorder(nn.Module):
    """A projection-shaped critic D(x, y) that records what it sees and scores sum(x) + sum(y)."""

    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(np.ones(1, np.float32))
        self.seen = []

    def forward(self, x, y):
        self.seen.append((x.numpy().copy(), y.numpy().copy()))
        return (x.sum(axis=(1, 2, 3)) + y.sum(axis=1)) * self.p


def test_clusters_condition_both_players_on_the_real_images_nearest_centroid():
    """--set clusters=K: y_i = onehot(argmin_k ||x_i - mu_k||^2) for each real image, computed
    here by hand from prepare()'s centroids; the fake paired with x_i gets the same y_i, and
    G's input is [z, y_i]."""
    model = gan("dcgan", clusters=5)
    train = images(40, -1, 1, 3)
    model.prepare(train)
    assert model.centroids.shape == (5, 784) and model.cluster_sizes.sum() == 40
    seen_by_g = []
    model.G = FixedOutput(images(6, -1, 1, 4))
    model.G.forward = lambda z: (seen_by_g.append(z.numpy().copy()), FixedOutput.forward(model.G, z))[1]
    model.D = PairRecorder()
    real = images(6, -1, 1, 7)
    model.train_step(mg.tensor(real), None)
    d2 = ((real.reshape(6, 1, -1).astype(np.float64) - model.centroids[None].astype(np.float64)) ** 2).sum(-1)
    want = np.eye(5, dtype=np.float32)[d2.argmin(1)]
    assert len(model.D.seen) == 3  # D's step on the real and the fake batch, then G's step
    for _, y in model.D.seen:
        np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(seen_by_g[0][:, -5:, 0, 0], want)
    assert seen_by_g[0].shape[1] == model.nz + 5


def test_cgan_critic_sees_the_label_planes_of_the_batch():
    """D's input is [x, onehot(y) broadcast over H x W], for the real and the fake half alike
    (the concatenating critic of Mirza & Osindero; the projection critic is checked in
    tests/test_gan_tools.py)."""
    model = gan("cgan", classes=10, critic="concat")
    stub_gan(model)
    model.D = Recorder()
    labels = np.array([3, 0, 9, 3, 5, 1])
    model.train_step(mg.tensor(images(6, -1, 1, 7)), labels)
    planes = np.broadcast_to(np.eye(10, dtype=np.float32)[labels][:, :, None, None], (6, 10, 28, 28))
    assert len(model.D.seen) >= 2
    for x in model.D.seen:
        assert x.shape == (6, 11, 28, 28)
        np.testing.assert_array_equal(x[:, 1:], planes)


@pytest.mark.parametrize("critic", ["concat", "projection"])
def test_cgan_critic_output_changes_with_the_label_alone(critic):
    model = gan("cgan", classes=10, critic=critic)
    x = mg.tensor(images(4, -1, 1, 3))
    a = model.critic(x, one_hot(np.array([0, 1, 2, 3]), 10)).numpy()
    b = model.critic(x, one_hot(np.array([7, 8, 9, 4]), 10)).numpy()
    assert np.abs(a - b).min() > 1e-6


def test_cgan_generator_input_is_noise_then_the_label_one_hot():
    model = gan("cgan", classes=10)
    seen = []
    model.G = lambda v: seen.append(v.numpy()) or v
    z = np.random.default_rng(0).normal(size=(3, 8, 1, 1)).astype(np.float32)
    model.generate(mg.tensor(z), one_hot(np.array([4, 0, 7]), 10))
    np.testing.assert_array_equal(seen[0][:, :8], z)
    np.testing.assert_array_equal(seen[0][:, 8:, 0, 0], np.eye(10)[[4, 0, 7]])


# --- the direction check ------------------------------------------------------------------------


@pytest.mark.parametrize("name, options", [
    ("dcgan", {"lr": 2e-3}),
    ("cgan", {"lr": 2e-3, "classes": 10}),
    ("wgan", {"lr": 1e-3, "n_critic": 1000, "clip": 0.01, "critic_norm": "batch"}),
    ("wgan-gp", {"lr": 1e-3, "n_critic": 1000, "gp_lambda": 10.0, "critic_norm": "none"}),
])
def test_critic_steps_on_fixed_batches_raise_its_score_gap(name, options):
    """With G fixed (its fakes the same every step), a few of D's own updates must make it
    score the real batch higher than the fakes: D(real) - D(fake) goes up."""
    model = gan(name, **options)
    fake = images(8, -1, -0.2, 1)                     # dark fakes, bright reals: separable
    real = mg.tensor(images(8, 0.2, 1, 2))
    model.G = FixedOutput(fake)
    model.optimizers["G"] = NoStep()
    labels = np.arange(8) % 10
    y = one_hot(labels, 10) if name == "cgan" else model.batch_condition(real, labels)  # clusters or None

    def gap():
        with mg.no_grad():
            return float((model.critic(real, y).mean() - model.critic(mg.tensor(fake), y).mean()).item())
    model.train_step(real, labels)   # WGAN's first step clips the initial weights: a jump of its own
    before = gap()
    for _ in range(5):
        model.train_step(real, labels)
    assert gap() > before + 1e-4, (before, gap())


# --- CycleGAN ----------------------------------------------------------------------------------


class Shift(nn.Module):
    """A stub generator x -> x + shift (a parameter)."""

    def __init__(self, shift):
        super().__init__()
        self.shift = nn.Parameter(np.array([shift], np.float32))

    def forward(self, x):
        return x + self.shift


class MeanScore(nn.Module):
    """A stub critic: one score per image, w * mean(x) + c."""

    def __init__(self, w, c):
        super().__init__()
        self.w = nn.Parameter(np.array([w], np.float32))
        self.c = nn.Parameter(np.array([c], np.float32))

    def forward(self, x):
        return x.mean(axis=(1, 2, 3), keepdims=True) * self.w + self.c

    def np(self, x):
        return x.mean(axis=(1, 2, 3)) * self.w.numpy()[0] + self.c.numpy()[0]


CYCLE = (1, 16, 16)   # each domain's images: A and B one channel each


def cyclegan(**options):
    cls = get_model_class("cyclegan")
    config = {**cls.defaults, "ngf": 4, "ndf": 4, "n_blocks": 1, "steps": 100, "pool_size": 0,
              "lambda_cyc": 10.0, "lambda_id": 0.0, **options}
    return cls(config, image_shape=(2, 16, 16))


def test_cyclegan_critic_loss_is_half_the_least_squares_with_real_one_and_fake_zero():
    """0.5 (mean (D(real) - 1)^2 + mean D(fake)^2), not the targets swapped."""
    model = cyclegan()
    critic = MeanScore(1.5, 0.2)
    real, fake = images(4, -1, 1, 0, CYCLE), images(4, -1, 1, 1, CYCLE)
    r, f = critic.np(real), critic.np(fake)
    loss = model.critic_loss(critic, mg.tensor(real), mg.tensor(fake)).item()
    assert loss == pytest.approx(0.5 * (((r - 1) ** 2).mean() + (f ** 2).mean()), rel=1e-5)


@pytest.mark.parametrize("lambda_id", [0.0, 2.0])
def test_cyclegan_step_logs_the_closed_form_losses_of_stub_networks(lambda_id):
    """G(a) = a + 0.3, F(b) = b - 0.1, critics w mean(x) + c, no history pool:
    loss_d_a = 0.5 (mean (D_A(a) - 1)^2 + mean D_A(F(b))^2), likewise for B;
    loss_g = mean (D_B(G(a)) - 1)^2 + mean (D_A(F(b)) - 1)^2 + lambda_cyc |0.2| * 2 + lambda_id (0.3 + 0.1)."""
    model = cyclegan(lambda_cyc=3.0, lambda_id=lambda_id)
    model.G, model.F = Shift(0.3), Shift(-0.1)
    model.D_A, model.D_B = MeanScore(1.5, 0.2), MeanScore(-0.7, 0.4)
    model.optimizers = {"generators": NoStep(), "critics": NoStep()}
    a, b = images(4, -0.5, 0.5, 0, CYCLE), images(4, -0.5, 0.5, 1, CYCLE)
    out = model.train_step(mg.tensor(np.concatenate([a, b], axis=1)), None)
    fa, fb = b - 0.1, a + 0.3
    da_r, da_f, db_r, db_f = model.D_A.np(a), model.D_A.np(fa), model.D_B.np(b), model.D_B.np(fb)
    assert out["loss_d_a"].item() == pytest.approx(0.5 * (((da_r - 1) ** 2).mean() + (da_f ** 2).mean()), rel=1e-5)
    assert out["loss_d_b"].item() == pytest.approx(0.5 * (((db_r - 1) ** 2).mean() + (db_f ** 2).mean()), rel=1e-5)
    adv = ((db_f - 1) ** 2).mean() + ((da_f - 1) ** 2).mean()
    cyc = 0.2 + 0.2                                   # F(G(a)) = a + 0.2, G(F(b)) = b + 0.2
    assert out["loss_g_adv"].item() == pytest.approx(adv, rel=1e-5)
    assert out["loss_cycle"].item() == pytest.approx(cyc, rel=1e-5)
    assert out["loss_g"].item() == pytest.approx(adv + 3.0 * cyc + lambda_id * (0.3 + 0.1), rel=1e-5)


def test_cyclegan_critic_steps_raise_both_critics_gaps():
    """Generators fixed (inert optimizer), A images dark and B bright: after a few steps each
    critic scores its real domain above the other's translations."""
    model = cyclegan(lr=2e-3)
    model.optimizers["generators"] = NoStep()
    model.G, model.F = Shift(0.0), Shift(0.0)        # G(a) = a: dark "B" images; F(b) = b
    a, b = mg.tensor(images(4, -1, -0.2, 0, CYCLE)), mg.tensor(images(4, 0.2, 1, 1, CYCLE))
    x = mg.cat([a, b], axis=1)

    def gaps():
        with mg.no_grad():
            return (float((model.D_A(a).mean() - model.D_A(b).mean()).item()),
                    float((model.D_B(b).mean() - model.D_B(a).mean()).item()))
    before = gaps()
    for _ in range(5):
        model.train_step(x, None)
    after = gaps()
    assert after[0] > before[0] + 1e-4 and after[1] > before[1] + 1e-4, (before, after)


# --- the VAE -----------------------------------------------------------------------------------


def vae(**options):
    cls = get_model_class("vae")
    return cls({**cls.defaults, "latent": 3, "binarize": False, **options}, image_shape=(1, 28, 28))


@pytest.mark.parametrize("beta", [0.0, 4.0])
def test_vae_step_loss_is_recon_plus_beta_times_kl_in_closed_form(beta):
    """Linear encoder and decoder with known weights, eps the seeded draw:
    loss = mean_n [ sum_pixels softplus(l) - x l + beta 1/2 sum_j (mu^2 + e^lv - 1 - lv) ],
    l = decoder(mu + exp(lv / 2) eps)."""
    model = vae(beta=beta)
    rng = np.random.default_rng(0)
    model.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 6))
    model.decoder = nn.Sequential(nn.Linear(3, 784), nn.Unflatten(1, (1, 28, 28)))
    for p in list(model.encoder.parameters()) + list(model.decoder.parameters()):
        p.data[...] = rng.normal(0, 0.05, p.shape)
    model.optimizers = {"adam": NoStep()}
    x = rng.uniform(0, 1, (5, 1, 28, 28)).astype(np.float32)
    mg.manual_seed(123)
    eps = mg.randn(5, 3).numpy().astype(np.float64)
    mg.manual_seed(123)
    out = model.train_step(mg.tensor(x), None)

    (we, be), (wd, bd) = ([p.numpy().astype(np.float64) for p in net.parameters()]
                          for net in (model.encoder, model.decoder))
    h = x.reshape(5, -1) @ we.T + be
    mu, lv = h[:, :3], h[:, 3:]
    logits = (mu + np.exp(lv / 2) * eps) @ wd.T + bd
    recon = (softplus(logits) - x.reshape(5, -1) * logits).sum(axis=1)
    kl = 0.5 * (mu ** 2 + np.exp(lv) - 1 - lv).sum(axis=1)
    assert out["recon"].item() == pytest.approx(recon.mean(), rel=1e-4)
    assert out["kl"].item() == pytest.approx(kl.mean(), rel=1e-4)
    assert out["loss"].item() == pytest.approx((recon + beta * kl).mean(), rel=1e-4)
