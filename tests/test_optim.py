"""Optimizers against hand-written update formulas on f(p) = sum(c * p^2), whose gradient
2 c p is known exactly, so any difference is the optimizer's."""
import numpy as np
import pytest

import minigen as mg
from minigen import nn
from minigen.optim import SGD, Adam, RMSprop, Optimizer, clip_weights_
from minigen.optim.lr_scheduler import LambdaLR

C = np.array([1.0, 2.0, 0.5])
P0 = np.array([1.0, -2.0, 3.0])


def grad(p):
    return 2 * C * p


def loss(p):
    return (mg.tensor(C, dtype=p.dtype, device=p.device) * p * p).sum()


def run(make, steps, dtype=np.float64):
    p = nn.Parameter(P0.astype(dtype))
    opt = make([p])
    for _ in range(steps):
        opt.zero_grad()
        loss(p).backward()
        opt.step()
    return p.numpy(), opt


# ----------------------------------------------------------------------------- the formulas in NumPy


def sgd_reference(steps, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
    p, buf = P0.copy(), None
    for _ in range(steps):
        g = grad(p) + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_reference(steps, lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    p, m, v = P0.copy(), 0, 0
    for t in range(1, steps + 1):
        g = grad(p) + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def rmsprop_reference(steps, lr, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
    p, v, buf = P0.copy(), 0, 0
    for _ in range(steps):
        g = grad(p) + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if momentum:
            buf = momentum * buf + g / (np.sqrt(v) + eps)
            p = p - lr * buf
        else:
            p = p - lr * g / (np.sqrt(v) + eps)
    return p


CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda n: sgd_reference(n, 0.1)),
    "sgd momentum weight_decay": (lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                                  lambda n: sgd_reference(n, 0.1, 0.9, 0.01)),
    "sgd dampening": (lambda ps: SGD(ps, lr=0.05, momentum=0.5, dampening=0.3),
                      lambda n: sgd_reference(n, 0.05, 0.5, dampening=0.3)),
    "sgd nesterov": (lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
                     lambda n: sgd_reference(n, 0.05, 0.9, nesterov=True)),
    "adam": (lambda ps: Adam(ps, lr=0.01), lambda n: adam_reference(n, 0.01)),
    "adam dcgan betas weight_decay": (lambda ps: Adam(ps, lr=2e-4, betas=(0.5, 0.999), weight_decay=0.1),
                                      lambda n: adam_reference(n, 2e-4, 0.5, 0.999, weight_decay=0.1)),
    "rmsprop": (lambda ps: RMSprop(ps, lr=0.01), lambda n: rmsprop_reference(n, 0.01)),
    "rmsprop momentum weight_decay": (lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, weight_decay=0.1),
                                      lambda n: rmsprop_reference(n, 0.01, momentum=0.5, weight_decay=0.1)),
    # With eps ~ 0, Adam and RMSprop do not see a gradient's per-coordinate scale, and on this
    # quadratic loss weight decay only rescales it (g + wd p = (2C + wd) p): a large eps makes
    # the step depend on the scale, so the decay's sign shows.
    "adam weight_decay large eps": (lambda ps: Adam(ps, lr=0.01, eps=1.0, weight_decay=0.5),
                                    lambda n: adam_reference(n, 0.01, eps=1.0, weight_decay=0.5)),
    "rmsprop weight_decay large eps": (lambda ps: RMSprop(ps, lr=0.01, eps=1.0, weight_decay=0.5),
                                       lambda n: rmsprop_reference(n, 0.01, eps=1.0, weight_decay=0.5)),
}


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("case", list(CASES))
def test_float64_steps_follow_the_formula(case, steps):
    make, reference = CASES[case]
    got, _ = run(make, steps)
    # Same operations in the same precision: only rounding order differs.
    np.testing.assert_allclose(got, reference(steps), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", list(CASES))
def test_float32_parameters_stay_float32_and_follow_the_formula(case):
    make, reference = CASES[case]
    got, opt = run(make, 3, dtype=np.float32)
    assert got.dtype == np.float32
    state = opt.state[id(opt.param_groups[0]["params"][0])]
    assert all(v.dtype == np.float32 for v in state.values() if hasattr(v, "dtype"))
    # float32 carries ~7 digits; three steps of a few roundings each stay well inside 1e-6.
    np.testing.assert_allclose(got, reference(3), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", list(CASES))
def test_a_scalar_parameter_steps_like_one_coordinate_of_a_vector(case):
    """0-d parameters (a learned temperature, a scalar gain) take the same elementwise step as
    the matching coordinate of the vector case; ufuncs on 0-d arrays return scalars, which an
    in-place ``out=`` cannot take, so this path needs its own test."""
    make, reference = CASES[case]
    k = 1
    p = nn.Parameter(np.array(P0[k]))
    assert p.shape == ()
    opt = make([p])
    for _ in range(3):
        opt.zero_grad()
        (mg.tensor(C[k]) * p * p).backward()
        opt.step()
    assert p.shape == ()
    np.testing.assert_allclose(p.numpy(), reference(3)[k], rtol=1e-12, atol=1e-15)


def test_optimizers_update_on_the_parameters_device(device):
    for make, reference in CASES.values():
        p = nn.Parameter(mg.tensor(P0, device=device))
        opt = make([p])
        for _ in range(3):
            opt.zero_grad()
            loss(p).backward()
            opt.step()
        assert p.device == device
        np.testing.assert_allclose(p.numpy(), reference(3), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- bookkeeping


def test_zero_grad_sets_gradients_to_none():
    p = nn.Parameter(P0.copy())
    opt = SGD([p], lr=0.1)
    loss(p).backward()
    opt.zero_grad()
    assert p.grad is None


def test_parameters_without_a_gradient_are_skipped():
    used, unused = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    opt = Adam([used, unused], lr=0.1)
    loss(used).backward()
    opt.step()
    assert not np.array_equal(used.numpy(), P0)
    np.testing.assert_array_equal(unused.numpy(), P0)
    assert id(unused) not in opt.state and unused._version == 0


def test_step_bumps_the_version_so_stale_graphs_are_caught():
    p = nn.Parameter(np.ones(2))
    y = (p * p).sum()
    y.backward(retain_graph=True)
    SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_step_changes_the_parameter_array_in_place():
    p = nn.Parameter(P0.copy())
    array = p.data
    opt = Adam([p])
    loss(p).backward()
    opt.step()
    assert p.data is array


def test_parameter_groups_have_their_own_hyperparameters():
    a, b = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    (loss(a) + loss(b)).backward()
    opt.step()
    np.testing.assert_allclose(a.numpy(), P0 - 0.1 * grad(P0))
    np.testing.assert_allclose(b.numpy(), P0 - 0.01 * grad(P0))


def test_step_with_a_closure_returns_its_loss():
    p = nn.Parameter(P0.copy())
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        value = loss(p)
        value.backward()
        return value
    with mg.no_grad():  # the closure still records its graph
        value = opt.step(closure)
    assert value.item() == pytest.approx((C * P0 ** 2).sum())
    np.testing.assert_allclose(p.numpy(), sgd_reference(1, 0.1))


@pytest.mark.parametrize("make, error, message", [
    (lambda p: Adam(p, lr=-1), ValueError, "lr=-1"),
    (lambda p: Adam(p, betas=(1.0, 0.9)), ValueError, "betas"),
    (lambda p: RMSprop(p, alpha=1.0), ValueError, "alpha=1.0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda p: SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda p: SGD(p[0], lr=0.1), TypeError, "got a single Tensor"),
    (lambda p: SGD(p + p, lr=0.1), ValueError, "appears twice"),
    (lambda p: SGD([p[0] * 2], lr=0.1), ValueError, "not a leaf"),
    (lambda p: SGD([np.ones(2)], lr=0.1), TypeError, "is a ndarray, not a Tensor"),
])
def test_bad_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make([nn.Parameter(np.ones(1))])


def test_repr_lists_the_hyperparameters():
    r = repr(Adam([nn.Parameter(np.ones(1))], lr=0.5))
    assert r.startswith("Adam (\nParameter Group 0\n") and "    lr: 0.5" in r


# ----------------------------------------------------------------------------- saving and resuming


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip_gives_identical_next_steps(tmp_path, case):
    make, _ = CASES[case]
    p_cont, opt = run(make, 2)
    q = nn.Parameter(p_cont.copy())
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    fresh = make([q])
    fresh.load_state_dict(mg.load(tmp_path / "opt.npz"))
    old = opt.param_groups[0]["params"][0]
    for o, param in ((opt, old), (fresh, q)):
        o.zero_grad()
        loss(param).backward()
        o.step()
    np.testing.assert_array_equal(q.numpy(), old.numpy())


def test_state_dict_refers_to_parameters_by_index_and_holds_host_copies():
    _, opt = run(lambda ps: Adam(ps, lr=0.1, betas=(0.5, 0.9)), 2)
    state = opt.state_dict()
    assert list(state["state"]) == [0] and state["state"][0]["step"] == 2
    assert isinstance(state["state"][0]["exp_avg"], np.ndarray)
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-8, "weight_decay": 0.0,
                                      "params": [0]}]
    state["state"][0]["exp_avg"][:] = 99
    assert not np.any(next(iter(opt.state.values()))["exp_avg"] == 99)


def test_loading_keeps_tuple_hyperparameters_tuples(tmp_path):
    _, opt = run(lambda ps: Adam(ps, betas=(0.5, 0.9)), 1)
    mg.save(opt.state_dict(), tmp_path / "opt.npz")  # JSON turns the tuple into a list
    fresh = Adam([nn.Parameter(P0.copy())])
    fresh.load_state_dict(mg.load(tmp_path / "opt.npz"))
    assert fresh.param_groups[0]["betas"] == (0.5, 0.9)


def test_loading_into_a_different_model_is_refused():
    _, opt = run(lambda ps: Adam(ps), 1)
    other = Adam([nn.Parameter(np.ones(4))])
    with pytest.raises(ValueError,
                       match=r"state 'exp_avg' of parameter 0 has shape \(3,\), the parameter \(4,\)"):
        other.load_state_dict(opt.state_dict())
    two = Adam([nn.Parameter(P0.copy()), nn.Parameter(P0.copy())])
    with pytest.raises(ValueError, match=r"groups of \[1\] parameters, this one \[2\]"):
        two.load_state_dict(opt.state_dict())


# ----------------------------------------------------------------------------- schedules and clipping


def test_lambda_lr_scales_the_base_lr_each_step():
    p = nn.Parameter(np.ones(1))
    opt = SGD([p], lr=1.0)
    sched = LambdaLR(opt, lambda epoch: 1.0 - epoch / 10)
    assert sched.get_last_lr() == [1.0]
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [pytest.approx(0.8)] and opt.param_groups[0]["lr"] == pytest.approx(0.8)


def test_lambda_lr_takes_one_function_per_group():
    groups = [{"params": [nn.Parameter(np.ones(1))]}, {"params": [nn.Parameter(np.ones(1))], "lr": 0.5}]
    opt = SGD(groups, lr=1.0)
    sched = LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5 ** e])
    sched.step()
    assert sched.get_last_lr() == [1.0, 0.25]
    with pytest.raises(ValueError, match="got 1 lr_lambdas for 2 parameter groups"):
        LambdaLR(opt, [lambda e: 1.0])


def test_lambda_lr_state_dict_resumes_the_schedule(tmp_path):
    decay = lambda epoch: 0.9 ** epoch  # noqa: E731
    opt = SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = LambdaLR(opt, decay)
    for _ in range(5):
        sched.step()
    mg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.npz")
    saved = mg.load(tmp_path / "s.npz")
    opt2 = SGD([nn.Parameter(np.ones(1))], lr=1.0)
    opt2.load_state_dict(saved["opt"])
    sched2 = LambdaLR(opt2, decay)
    sched2.load_state_dict(saved["sched"])
    sched.step()
    sched2.step()
    assert sched2.last_epoch == 6 and sched2.get_last_lr() == sched.get_last_lr()


def test_clip_weights_clamps_in_place():
    p = nn.Parameter(np.array([0.5, -0.02, 0.003]))
    array, version = p.data, p._version
    clip_weights_([p], 0.01)
    np.testing.assert_allclose(p.numpy(), [0.01, -0.01, 0.003])
    assert p.data is array and p._version == version + 1
    with pytest.raises(ValueError, match="c=0 must be positive"):
        clip_weights_([p], 0)


def test_optimizer_base_needs_an_update():
    opt = Optimizer([nn.Parameter(np.ones(1))], {"lr": 1.0})
    opt.param_groups[0]["params"][0].grad = mg.ones(1, dtype="float64")
    with pytest.raises(NotImplementedError):
        opt.step()


# ----------------------------------------------------------------------------- PyTorch parity


@pytest.mark.torch
@pytest.mark.parametrize("ours, theirs", [
    (lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
     lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01)),
    (lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
     lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
    (lambda ps: Adam(ps, lr=0.05, betas=(0.5, 0.999), weight_decay=0.01),
     lambda torch, ps: torch.optim.Adam(ps, lr=0.05, betas=(0.5, 0.999), weight_decay=0.01)),
    (lambda ps: RMSprop(ps, lr=0.01),
     lambda torch, ps: torch.optim.RMSprop(ps, lr=0.01)),
    (lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, weight_decay=0.1),
     lambda torch, ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, weight_decay=0.1)),
])
def test_trajectories_match_torch(ours, theirs):
    import torch
    got, _ = run(ours, 5)
    tp = torch.tensor(P0.copy(), requires_grad=True)
    opt = theirs(torch, [tp])
    for _ in range(5):
        opt.zero_grad()
        (torch.tensor(C) * tp * tp).sum().backward()
        opt.step()
    # PyTorch updates Adam's m with lerp, m + (1 - b1)(g - m): the same value, other roundings.
    np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-12, atol=1e-14)
