"""Optional: values and gradients against PyTorch's CPU build (skipped without torch)."""
import numpy as np
import pytest

import minigen as mg
import minigen.nn.functional as F

pytestmark = pytest.mark.torch


def _both(*arrays):
    import torch
    return ([mg.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _compare(ours, theirs, mg_inputs, torch_inputs, tol=1e-10):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(0).standard_normal(ours.shape)
    import torch
    ours.backward(mg.tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b in zip(mg_inputs, torch_inputs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, 1, 1, 2), (3, 2, 2, 1), ((2, 1), (0, 2), (1, 2), 4)])
def test_conv2d(stride, padding, dilation, groups):
    import torch
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((8, 4 // groups, 3, 2)), rng.standard_normal(8)
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    _compare(F.conv2d(mx, mw, mb, stride, padding, dilation, groups),
             torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups), [mx, mw, mb], [tx, tw, tb])


@pytest.mark.parametrize("stride, padding, output_padding, groups, dilation", [(2, 1, 0, 1, 1), (2, 1, 1, 2, 1), (3, 0, 2, 1, 1), (1, 1, 0, 2, 2)])
def test_conv_transpose2d(stride, padding, output_padding, groups, dilation):
    import torch
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 6 // groups, 4, 3)), rng.standard_normal(6)
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    _compare(F.conv_transpose2d(mx, mw, mb, stride, padding, output_padding, groups, dilation),
             torch.nn.functional.conv_transpose2d(tx, tw, tb, stride, padding, output_padding, groups, dilation),
             [mx, mw, mb], [tx, tw, tb])


def test_batch_norm_training_and_running_stats():
    import torch
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((6, 3, 4, 4)) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    mrm, mrv = mg.zeros(3, dtype="float64"), mg.ones(3, dtype="float64")
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    _compare(F.batch_norm(mx, mrm, mrv, mw, mb, training=True),
             torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True), [mx, mw, mb], [tx, tw, tb])
    np.testing.assert_allclose(mrm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mrv.numpy(), trv.numpy(), rtol=1e-12)


def test_gradient_penalty_through_batch_norm_matches_torch():
    # d/dW of ||d critic / dx||^2, where the critic contains conv + batch norm (training).
    import torch
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    (mx, mw), (tx, tw) = _both(x, w)

    def ours(x, w):
        h = F.leaky_relu(F.batch_norm(F.conv2d(x, w, padding=1), None, None, training=True), 0.2)
        (gx,) = mg.grad((h * h).sum(), [x], create_graph=True)
        return (gx * gx).sum()

    def theirs(x, w):
        h = torch.nn.functional.leaky_relu(torch.nn.functional.batch_norm(
            torch.nn.functional.conv2d(x, w, padding=1), None, None, training=True), 0.2)
        (gx,) = torch.autograd.grad((h * h).sum(), [x], create_graph=True)
        return (gx * gx).sum()

    po, pt = ours(mx, mw), theirs(tx, tw)
    assert po.item() == pytest.approx(pt.item(), rel=1e-10)
    po.backward()
    pt.backward()
    np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_instance_norm_and_losses():
    import torch
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 5))
    (mx,), (tx,) = _both(x)
    _compare(F.instance_norm(mx), torch.nn.functional.instance_norm(tx), [mx], [tx])
    logits, target = rng.standard_normal((5, 4)) * 10, rng.uniform(size=(5, 4))
    (ml,), (tl,) = _both(logits)
    _compare(F.binary_cross_entropy_with_logits(ml, mg.tensor(target)),
             torch.nn.functional.binary_cross_entropy_with_logits(tl, torch.tensor(target)), [ml], [tl])


def test_dcgan_and_vae_training_steps_follow_pytorch_step_for_step():
    # The benchmark's networks (the GAN and VAE issues'), same initial weights in both
    # frameworks: three full optimisation steps must give the same losses.
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import run as bench
    ours = bench.MinigenSteps("cpu")
    theirs = bench.TorchSteps("cpu", ours)
    for name in ("dcgan", "vae"):
        step_ours, step_theirs = bench.workload_fns(name, 8, ours, theirs)
        for _ in range(3):
            assert float(step_ours().item()) == pytest.approx(float(step_theirs().item()), rel=1e-4)


def test_norms_with_random_affine_parameters():
    # weight and bias drawn at random, not the initial 1 and 0 (with which a swap or a drop
    # of either cannot show)
    import torch
    tf = torch.nn.functional
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((3, 4, 5, 6)) * 2 + 1, rng.standard_normal(4), rng.standard_normal(4)
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    _compare(F.instance_norm(mx, mw, mb), tf.instance_norm(tx, weight=tw, bias=tb), [mx, mw, mb], [tx, tw, tb])
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    _compare(F.batch_norm(mx, None, None, mw, mb, training=True),
             tf.batch_norm(tx, None, None, tw, tb, training=True), [mx, mw, mb], [tx, tw, tb])
    lw, lb = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    (mx, mw, mb), (tx, tw, tb) = _both(x, lw, lb)
    _compare(F.layer_norm(mx, (5, 6), mw, mb), tf.layer_norm(tx, (5, 6), tw, tb), [mx, mw, mb], [tx, tw, tb])
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2.0, 4)
    (mx, mw, mb), (tx, tw, tb) = _both(x, w, b)
    _compare(F.batch_norm(mx, mg.tensor(rm), mg.tensor(rv), mw, mb, training=False),
             tf.batch_norm(tx, torch.tensor(rm), torch.tensor(rv), tw, tb, training=False), [mx, mw, mb], [tx, tw, tb])


@pytest.mark.parametrize("slope", [0.2, 0.01, 1.5, -0.3])
def test_leaky_relu_on_both_sides(slope):
    import torch
    x = np.random.default_rng(6).standard_normal((4, 5)) * 2
    (mx,), (tx,) = _both(x)
    _compare(F.leaky_relu(mx, slope), torch.nn.functional.leaky_relu(tx, slope), [mx], [tx])


def test_elementwise_ops_and_losses():
    import torch
    tf = torch.nn.functional
    rng = np.random.default_rng(7)
    x, t = rng.standard_normal((4, 5)) * 3, rng.uniform(size=(4, 5))
    for ours, theirs in [(F.softplus, tf.softplus), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
                         (lambda a: mg.ops.log_softmax(a, axis=1), lambda a: tf.log_softmax(a, dim=1)),
                         (lambda a: F.mse_loss(a, mg.tensor(t)), lambda a: tf.mse_loss(a, torch.tensor(t))),
                         (lambda a: F.l1_loss(a, mg.tensor(t)), lambda a: tf.l1_loss(a, torch.tensor(t))),
                         (lambda a: F.cross_entropy(a, np.array([0, 4, 2, 1])),
                          lambda a: tf.cross_entropy(a, torch.tensor([0, 4, 2, 1])))]:
        (mx,), (tx,) = _both(x)
        _compare(ours(mx), theirs(tx), [mx], [tx])
