"""Optimizers against hand-written update formulas on f(p) = sum(c * p^2)."""
import math

import numpy as np
import pytest

import minigen as mg
from minigen.optim import SGD, Adam, RMSprop, clip_weights_
from minigen.optim.lr_scheduler import LambdaLR

C = np.array([1.0, 2.0, 0.5])
P0 = np.array([1.0, -2.0, 3.0])


def run(make, steps):
    p = mg.nn.Parameter(P0.copy())
    opt = make([p])
    for _ in range(steps):
        opt.zero_grad()
        (mg.tensor(C) * p * p).sum().backward()
        opt.step()
    return p.numpy(), opt


def grad(p):
    return 2 * C * p


@pytest.mark.parametrize("steps", [1, 3])
def test_sgd_momentum_weight_decay(steps):
    lr, mu, wd = 0.1, 0.9, 0.01
    p, buf = P0.copy(), None
    for _ in range(steps):
        g = grad(p) + wd * p
        buf = g.copy() if buf is None else mu * buf + g
        p = p - lr * buf
    got, _ = run(lambda ps: SGD(ps, lr=lr, momentum=mu, weight_decay=wd), steps)
    np.testing.assert_allclose(got, p, rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 3])
def test_adam(steps):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p, m, v = P0.copy(), 0, 0
    for t in range(1, steps + 1):
        g = grad(p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    got, _ = run(lambda ps: Adam(ps, lr=lr), steps)
    np.testing.assert_allclose(got, p, rtol=1e-10)


@pytest.mark.parametrize("steps", [1, 3])
def test_rmsprop(steps):
    lr, alpha, eps = 0.01, 0.99, 1e-8
    p, v = P0.copy(), 0
    for _ in range(steps):
        g = grad(p)
        v = alpha * v + (1 - alpha) * g * g
        p = p - lr * g / (np.sqrt(v) + eps)
    got, _ = run(lambda ps: RMSprop(ps, lr=lr), steps)
    np.testing.assert_allclose(got, p, rtol=1e-10)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.01),
                                  lambda ps: RMSprop(ps, lr=0.01, momentum=0.5)])
def test_state_dict_round_trip_gives_identical_next_steps(tmp_path, make):
    p_cont, opt = run(make, 2)
    q = mg.nn.Parameter(p_cont.copy())
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    fresh = make([q])
    fresh.load_state_dict(mg.load(tmp_path / "opt.npz"))
    for o, param in ((opt, opt.param_groups[0]["params"][0]), (fresh, q)):
        o.zero_grad()
        (mg.tensor(C) * param * param).sum().backward()
        o.step()
    np.testing.assert_array_equal(q.numpy(), opt.param_groups[0]["params"][0].numpy())


def test_float32_parameters_stay_float32():
    p = mg.nn.Parameter(np.ones(3, dtype=np.float32))
    for opt in (SGD([p], lr=0.1, momentum=0.9), Adam([p]), RMSprop([p])):
        (p * p).sum().backward()
        opt.step()
        assert p.dtype == np.float32
        p.grad = None


def test_step_bumps_the_version_so_stale_graphs_are_caught():
    p = mg.nn.Parameter(np.ones(2))
    y = (p * p).sum()
    y.backward(retain_graph=True)
    SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_lambda_lr_and_clip_weights():
    p = mg.nn.Parameter(np.array([0.5, -0.02, 0.003]))
    opt = SGD([p], lr=1.0)
    sched = LambdaLR(opt, lambda epoch: 1.0 - epoch / 10)
    assert sched.get_last_lr() == [1.0]
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [pytest.approx(0.8)]
    clip_weights_([p], 0.01)
    np.testing.assert_allclose(p.numpy(), [0.01, -0.01, 0.003])


def test_bad_hyperparameters_are_refused():
    p = [mg.nn.Parameter(np.ones(1))]
    with pytest.raises(ValueError, match="lr=-1"):
        Adam(p, lr=-1)
    with pytest.raises(ValueError, match="betas"):
        Adam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)


@pytest.mark.torch
def test_adam_and_rmsprop_trajectories_match_torch():
    import torch
    for ours, theirs in ((lambda ps: Adam(ps, lr=0.05, betas=(0.5, 0.999)), lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.5, 0.999))),
                         (lambda ps: RMSprop(ps, lr=0.01), lambda ps: torch.optim.RMSprop(ps, lr=0.01))):
        got, _ = run(ours, 5)
        tp = torch.tensor(P0.copy(), requires_grad=True)
        opt = theirs([tp])
        for _ in range(5):
            opt.zero_grad()
            (torch.tensor(C) * tp * tp).sum().backward()
            opt.step()
        np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert math.isfinite(got.sum())
