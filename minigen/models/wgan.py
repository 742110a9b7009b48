"""Wasserstein GANs: WGAN with weight clipping (Arjovsky, Chintala & Bottou 2017) and WGAN-GP
(Gulrajani et al. 2017).

The critic D is any real-valued function (no sigmoid). By the Kantorovich-Rubinstein duality

    W(p_data, p_g) = sup_{||D||_L <= 1}  E_x[D(x)] - E_z[D(G(z))]

so the critic maximises that gap over (roughly) 1-Lipschitz functions, and G then lowers it:

    critic's loss:     E_z[D(G(z))] - E_x[D(x)]      (its negative is the estimate of W)
    generator's loss: -E_z[D(G(z))]

How the critic is kept Lipschitz:
* WGAN clips every critic parameter to [-c, c] after each update, c = 0.01 (normalisation
  parameters too, as the reference code does): a crude bound on the Lipschitz constant.
  RMSprop(5e-5), n_critic = 5 critic updates per G update, and the reference code's warm
  start: 100 critic updates for each of the first 25 G updates and for every 500th.
  (With batch norm in the critic, the reference's DCGAN critic and our default, clipping
  bounds the weights but not the Lipschitz constant: batch norm divides by the batch's
  standard deviation and so undoes the clipped scale. WGAN-GP drops batch norm.)
* WGAN-GP adds lambda * E_xhat[(||grad_xhat D(xhat)||_2 - 1)^2] on random interpolates
  xhat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per sample, lambda = 10: the optimal critic
  has unit gradient norm on the lines between p_data and p_g. The penalty's gradient with
  respect to the critic's weights differentiates a gradient (double backprop:
  ``mg.grad(..., create_graph=True)``). Adam(1e-4, betas (0, 0.9)), n_critic = 5, and no
  batch norm in the critic (it couples the samples the per-sample penalty treats apart):
  ``--set critic_norm=none`` (default) or ``layer``.

Those are the papers' recipes (``--set recipe=arjovsky`` and ``recipe=gulrajani``). The default
recipe, ``minigen``, keeps each method and changes its schedule for a 10-minute CPU budget:
WGAN RMSprop(5e-4), n_critic = 2, no warm start, samples from a moving average of G's
weights (``ema=0.99``); WGAN-GP Adam(1e-3, betas (0.5, 0.9)),
n_critic = 2; and both condition on 50 k-means groups of the training images (``clusters``,
gan.py), the critic a projection critic D(x, y) (measured in benchmarks/RESULTS.md, "GAN recipe").

One ``minigen train`` step is one critic update on one batch of real images; after every
n_critic of them G is updated once. So ``--steps`` counts critic updates; ``gen_iters`` in the
log counts G's.
"""
import minigen as mg
from minigen.optim import Adam, RMSprop, clip_weights_

from .base import register_model, check_positive
from .gan import GANModel, frozen, int_setting


def wasserstein_losses(real_scores, fake_scores):
    """(critic's loss E[D(G(z))] - E[D(x)], generator's loss -E[D(G(z))]) from the scores."""
    return fake_scores.mean() - real_scores.mean(), -fake_scores.mean()


def gradient_penalty(critic, real, fake, eps):
    """lambda-free penalty and the gradient norms it is built from:

        xhat_i = eps_i x_i + (1 - eps_i) xfake_i
        n_i    = ||grad_xhat D(xhat)_i||_2   over all of C x H x W of sample i
        GP     = mean_i (n_i - 1)^2

    ``eps`` is (N, 1, 1, 1). Returns (GP, n) with GP differentiable with respect to the
    critic's parameters (the gradient is taken with create_graph=True). The 1e-12 inside the
    square root keeps its derivative finite where a gradient is exactly zero."""
    with mg.no_grad():
        x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    x_hat.requires_grad_(True)
    scores = critic(x_hat)
    (g,) = mg.grad(scores.sum(), [x_hat], create_graph=True)
    norms = mg.sqrt((g * g).sum(axis=tuple(range(1, g.ndim))) + 1e-12)
    return ((norms - 1) ** 2).mean(), norms


@register_model
class WGAN(GANModel):
    name = "wgan"
    # The reference code's settings; ``recipe=minigen`` (default): what drew digits within
    # 10 CPU minutes (benchmarks/RESULTS.md, "GAN recipe").
    recipes = {"arjovsky": {"lr": 5e-5, "n_critic": 5, "clip": 0.01, "warm_start": 25,
                            "critic_norm": "batch", "steps": 5000, "clusters": 0, "ema": 0.0}}
    # The reference's rate and 5:1 schedule spend 10 CPU minutes on ~700 G updates, most of them
    # against a critic still learning (the warm start alone is 2,500 critic updates). Ten times
    # the rate and 2:1 reach digits in the budget; clipping, RMSprop and the BN critic stay.
    # 50 k-means groups as the condition (gan.py, ``clusters``), as for DCGAN. The clipped
    # critic's G oscillates around IS 8.1 from step 700 on; sampling from an average of G's
    # weights (decay 0.99) steadies it at ~8.3 on both seeds (RESULTS.md, "Follow-up").
    recipes["minigen"] = {**recipes["arjovsky"], "lr": 5e-4, "n_critic": 2, "warm_start": 0, "steps": 1700,
                          "clusters": 50, "ema": 0.99}
    defaults = {**GANModel.common_defaults, "recipe": "minigen", **recipes["minigen"]}

    def build(self):
        self.n_critic = int_setting(self.config, "n_critic")
        self.warm_start = self.config.get("warm_start", 0)
        if isinstance(self.warm_start, bool) or not isinstance(self.warm_start, int) or self.warm_start < 0:
            raise ValueError(f"--set warm_start={self.warm_start!r}: expected an integer >= 0")
        self.build_networks()
        self.make_optimizers()
        self.gen_iters, self.critic_iters = 0, 0

    def make_optimizers(self):
        self.clip = check_positive(self.config, "clip")
        self.optimizers = {"G": RMSprop(self.G.parameters(), lr=self.lr()),
                           "D": RMSprop(self.D.parameters(), lr=self.lr())}

    def critic_updates_now(self):
        """n_critic, or 100 during the warm start: the reference code's schedule."""
        if self.warm_start and (self.gen_iters < self.warm_start or self.gen_iters % 500 == 0):
            return 100
        return self.n_critic

    def critic_penalty(self, real, fake, y=None):
        """Extra critic loss terms and logged values: none for WGAN (it clips instead)."""
        return 0.0, {}

    def after_critic_step(self):
        clip_weights_(self.D.parameters(), self.clip)

    def train_step(self, images, labels):
        y = self.batch_condition(images, labels)  # None unless ``clusters`` is set
        fake = self.generate(self.noise(images.shape[0]), y).detach()
        real_scores, fake_scores = self.critic(images, y), self.critic(fake, y)
        loss_d, loss_g = wasserstein_losses(real_scores, fake_scores)
        penalty, logged = self.critic_penalty(images, fake, y)
        opt = self.optimizers["D"]
        opt.zero_grad()
        (loss_d + penalty).backward()
        opt.step()
        self.after_critic_step()
        self.critic_iters += 1

        if self.critic_iters >= self.critic_updates_now():
            with frozen(self.D):
                _, loss_g = wasserstein_losses(real_scores.detach(),
                                               self.critic(self.generate(self.noise(images.shape[0]), y), y))
                self.optimizers["G"].zero_grad()
                loss_g.backward()
            self.optimizers["G"].step()
            self.after_generator_step()
            self.gen_iters, self.critic_iters = self.gen_iters + 1, 0
        # loss_g: the generator's loss of its latest update, or on this batch's fakes between updates
        return {"loss_d": loss_d + penalty, "wasserstein": -loss_d.detach(), "loss_g": loss_g.detach(),
                **logged, "gen_iters": self.gen_iters}

    def extra_state(self):
        return {**super().extra_state(), "gen_iters": self.gen_iters, "critic_iters": self.critic_iters}

    def load_extra_state(self, state):
        super().load_extra_state(state)
        self.gen_iters = int(state.get("gen_iters", 0))
        self.critic_iters = int(state.get("critic_iters", 0))


@register_model
class WGANGP(WGAN):
    name = "wgan-gp"
    # Gulrajani et al.'s settings (their Algorithm 1); ``recipe=minigen`` (default): what drew
    # digits within 10 CPU minutes (benchmarks/RESULTS.md, "GAN recipe").
    recipes = {"gulrajani": {"lr": 1e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5, "gp_lambda": 10.0,
                             "critic_norm": "none", "steps": 5000, "clusters": 0}}
    # Adam 1e-3 with beta1 0.5 (DCGAN's momentum) and 2 critic updates per G update: the
    # paper's 1e-4 and 5:1 are built for 200,000 updates, not 1,300 (RESULTS.md, "GAN recipe").
    recipes["minigen"] = {**recipes["gulrajani"], "lr": 1e-3, "beta1": 0.5, "n_critic": 2, "steps": 1300,
                          "clusters": 50}
    defaults = {**GANModel.common_defaults, "recipe": "minigen", "warm_start": 0, **recipes["minigen"]}

    def make_optimizers(self):
        self.gp_lambda = check_positive(self.config, "gp_lambda")
        if self.config.get("critic_norm", "none") == "batch":
            raise ValueError("--set critic_norm=batch: WGAN-GP's penalty is per sample and batch norm "
                             "mixes the samples of a batch; use none or layer (Gulrajani et al., sec. 4)")
        betas = tuple(self.config.get(k, d) for k, d in (("beta1", 0.0), ("beta2", 0.9)))
        for key, b in zip(("beta1", "beta2"), betas):
            if isinstance(b, bool) or not isinstance(b, (int, float)) or not 0 <= b < 1:
                raise ValueError(f"--set {key}={b!r}: expected a number in [0, 1)")
        self.optimizers = {"G": Adam(self.G.parameters(), lr=self.lr(), betas=betas),
                           "D": Adam(self.D.parameters(), lr=self.lr(), betas=betas)}

    def critic_penalty(self, real, fake, y=None):
        eps = mg.rand(real.shape[0], 1, 1, 1, device=self.device)
        gp, norms = gradient_penalty(lambda x: self.critic(x, y), real, fake, eps)
        return self.gp_lambda * gp, {"gp": gp.detach(), "grad_norm": norms.detach().mean()}

    def after_critic_step(self):
        pass
