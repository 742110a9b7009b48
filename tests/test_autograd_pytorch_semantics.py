"""Engine behaviours PyTorch users rely on (issue 15): zero gradients for parameters in the
graph, ``@no_grad()`` as a decorator, a gradient in its parameter's dtype."""
import numpy as np
import pytest

import minigen as mg
from minigen import nn, optim
from minigen.nn import functional as F


def penalty_graph():
    """A WGAN-GP-style penalty through conv2d -> leaky-ReLU -> linear: the gradient of the
    critic w.r.t. its input depends on the conv weight but not on the conv bias (leaky-ReLU's
    slope is piecewise constant), so the bias is in the graph with derivative zero."""
    mg.manual_seed(0)
    conv, lin = nn.Conv2d(1, 2, 3), nn.Linear(2 * 4 * 4, 1)
    x = mg.randn(2, 1, 6, 6, requires_grad=True)
    out = lin(F.leaky_relu(conv(x), 0.2).reshape(2, -1))
    (gx,) = mg.grad(out.sum(), [x], create_graph=True)
    penalty = ((gx.reshape(2, -1) ** 2).sum(dim=1) - 1) ** 2
    return conv, lin, penalty.mean()


def test_a_parameter_in_the_graph_with_zero_derivative_gets_zeros_not_none():
    conv, lin, penalty = penalty_graph()
    penalty.backward()
    assert conv.bias.grad is not None
    np.testing.assert_array_equal(conv.bias.grad.numpy(), np.zeros(2, dtype=np.float32))
    assert conv.bias.grad.dtype == conv.bias.dtype
    assert np.abs(conv.weight.grad.numpy()).sum() > 0


def test_adam_moves_a_parameter_whose_gradient_is_zero_by_its_momentum():
    """Why zeros matter: with None Adam skips the parameter; with zeros its momentum moves it."""
    conv, lin, penalty = penalty_graph()
    opt = optim.Adam(conv.parameters(), lr=0.1)
    conv.bias.grad = mg.ones(2)
    opt.step()                      # builds momentum
    before = conv.bias.numpy().copy()
    opt.zero_grad()
    penalty.backward()
    opt.step()
    assert not np.allclose(conv.bias.numpy(), before)


def test_a_parameter_frozen_during_the_forward_keeps_none():
    """requires_grad=False when the graph was recorded (``frozen``): not in the graph, even if
    it requires grad again by the time backward runs."""
    lin = nn.Linear(3, 1)
    lin.requires_grad_(False)
    x = mg.randn(4, 3, requires_grad=True)
    y = lin(x).sum()
    lin.requires_grad_(True)
    y.backward()
    assert lin.weight.grad is None and lin.bias.grad is None
    assert x.grad is not None


def test_grad_of_a_target_with_zero_derivative_is_zeros():
    x = mg.randn(3, requires_grad=True)
    w = mg.randn(3, requires_grad=True)
    (gx,) = mg.grad((F.leaky_relu(x * w, 0.2)).sum(), [x], create_graph=True)
    (gw,) = mg.grad(gx.sum(), [x])  # d/dx of leaky-ReLU's slope times w: zero
    np.testing.assert_array_equal(gw.numpy(), np.zeros(3, dtype=np.float32))


def test_no_grad_works_as_a_decorator():
    @mg.no_grad()
    def double(t):
        """docstring kept"""
        return t * 2
    x = mg.randn(3, requires_grad=True)
    assert not double(x).requires_grad
    assert double.__doc__ == "docstring kept" and double.__name__ == "double"
    assert (x * 2).requires_grad  # the mode is restored after the call


def test_no_grad_works_as_a_decorator_without_parentheses():
    @mg.no_grad
    def double(t):
        return t * 2
    assert not double(mg.randn(3, requires_grad=True)).requires_grad


def test_enable_grad_and_set_grad_enabled_work_as_decorators():
    @mg.enable_grad()
    def f(t):
        return t * 2
    x = mg.randn(3, requires_grad=True)
    with mg.no_grad():
        assert f(x).requires_grad
    assert not mg.set_grad_enabled(False)(f.__wrapped__)(x).requires_grad


@pytest.mark.parametrize("x_dtype, w_dtype", [("float64", "float32"), ("float32", "float64")])
@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_a_convolution_gradient_has_its_parameters_dtype(op, x_dtype, w_dtype):
    x = mg.randn(2, 3, 5, 5, dtype=x_dtype, requires_grad=True)
    w_shape = (4, 3, 3, 3) if op == "conv2d" else (3, 4, 3, 3)
    w = mg.randn(*w_shape, dtype=w_dtype, requires_grad=True)
    b = mg.randn(4, dtype=w_dtype, requires_grad=True)
    y = getattr(F, op)(x, w, b, stride=2)
    (y * y).sum().backward()
    assert (x.grad.dtype, w.grad.dtype, b.grad.dtype) == (x.dtype, w.dtype, b.dtype)


def test_a_linear_gradient_has_its_parameters_dtype():
    x = mg.randn(2, 3, dtype="float64", requires_grad=True)
    lin = nn.Linear(3, 2)
    lin(x).sum().backward()
    assert lin.weight.grad.dtype == np.float32 and x.grad.dtype == np.float64
