"""Graph mechanics: accumulation, no_grad, detach, retain_graph, deep graphs, mg.grad."""
import numpy as np
import pytest

import minigen as mg


def f64(*shape, requires_grad=True):
    return mg.randn(*shape, dtype="float64", requires_grad=requires_grad)


def test_tensor_used_twice_accumulates_both_paths():
    x = mg.tensor(3.0, requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_leaf_grad_accumulates_across_backward_calls():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_broadcast_gradient_is_summed_back_to_input_shape():
    a = mg.ones(3, 1, requires_grad=True)
    b = mg.ones(1, 4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((1, 4), 3.0))


def test_no_grad_records_nothing():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None


def test_detach_cuts_the_graph():
    x = mg.tensor(2.0, requires_grad=True)
    y = x * x.detach()  # d/dx treats the detached factor as a constant: dy/dx = 2
    y.backward()
    assert x.grad.item() == pytest.approx(2.0)


def test_second_backward_without_retain_graph_raises():
    x = mg.tensor(2.0, requires_grad=True)
    y = (x * x).exp()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = mg.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(8.0)


def test_chain_of_100000_ops_does_not_recurse():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_grad_without_create_graph_matches_backward():
    a, b = f64(3, 4), f64(4, 2)
    loss = ((a @ b).tanh() ** 2).sum()
    ga, gb = mg.grad(loss, [a, b], retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(ga.numpy(), a.grad.numpy())
    np.testing.assert_allclose(gb.numpy(), b.grad.numpy())
    assert ga.grad_fn is None  # a plain value, not part of a graph


def test_grad_does_not_touch_dot_grad():
    x = f64(3)
    (gx,) = mg.grad((x * x).sum(), [x])
    assert x.grad is None
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy())


def test_create_graph_gives_the_closed_form_second_derivative():
    # f(x) = x^3 + sin-free polynomial: f'(x) = 3x^2, f''(x) = 6x
    x = mg.tensor([0.5, -1.5, 2.0], dtype="float64", requires_grad=True)
    (g,) = mg.grad((x ** 3).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (h,) = mg.grad(g.sum(), [x])
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy())


def test_backward_with_create_graph_then_backward_again():
    x = mg.tensor(1.5, dtype="float64", requires_grad=True)
    y = x.tanh()
    y.backward(create_graph=True)
    g = x.grad  # 1 - tanh^2, itself a graph node
    x.grad = None
    g.backward()
    t = np.tanh(1.5)
    assert x.grad.item() == pytest.approx(-2 * t * (1 - t * t))


def test_gradient_penalty_pattern_matches_finite_differences():
    # ||d/dx (w . tanh(x))||^2 differentiated w.r.t. w: the WGAN-GP pattern.
    w = f64(5)
    x = f64(5)

    def penalty(w, x):
        (gx,) = mg.grad((w * x.tanh()).sum(), [x], create_graph=True)
        return (gx * gx).sum()
    assert mg.gradcheck(penalty, [w, x])


def test_grad_of_non_leaf_input():
    x = f64(3)
    h = x * 2
    y = (h * h).sum()
    (gh,) = mg.grad(y, [h])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_grad_unused_input_raises_unless_allowed():
    x, z = f64(2), f64(2)
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad((x * 2).sum(), [x, z], retain_graph=True)
    gx, gz = mg.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None


def test_retain_grad_keeps_non_leaf_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())


def test_backward_of_non_scalar_needs_grad():
    x = mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(mg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2, 3], requires_grad=True)


def test_in_place_change_of_a_saved_tensor_is_detected():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()  # Mul saves h
    with mg.no_grad():
        h.mul_(10)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1)
    with mg.no_grad():
        w.add_(1)
    assert w._version == 1


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\)"):
        mg.ones(3) + mg.ones(4)
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\)"):
        mg.ones(2, 3) @ mg.ones(2, 3)


def test_gradcheck_reports_a_wrong_backward():
    class WrongSquare(mg.Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * self.inputs[0] * 3  # should be 2

    x = f64(2, 3)
    try:
        with pytest.raises(mg.GradcheckError) as info:
            mg.gradcheck(lambda x: WrongSquare()(x), [x])
        message = str(info.value)
        assert "input 0" in message and "index" in message and "analytical" in message
        assert mg.gradcheck(lambda x: WrongSquare()(x), [x], raise_exception=False) is False
    finally:
        del mg.Function.registry["WrongSquare"]


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    class ConstantBackwardTanh(mg.Function):  # first derivative right, second wrong
        def forward(self, x):
            return np.tanh(x)

        def backward(self, gy):
            y = self.output.data
            return gy * mg.Tensor(1 - y * y)  # treats 1 - y^2 as a constant

    x = f64(4)
    try:
        assert mg.gradcheck(lambda x: ConstantBackwardTanh()(x), [x])
        assert not mg.gradgradcheck(lambda x: ConstantBackwardTanh()(x), [x], raise_exception=False)
    finally:
        del mg.Function.registry["ConstantBackwardTanh"]


def test_gradcheck_needs_float64():
    with pytest.raises(ValueError, match="float64"):
        mg.gradcheck(lambda x: x * 2, [mg.randn(3, requires_grad=True)])


def test_gradcheck_random_subset_for_big_inputs():
    """max_elements=20 of 2,500: one call for the analytical gradient, 2 per checked element."""
    x, calls = f64(50, 50), []

    def f(x):
        calls.append(1)
        return (x * x).sum()
    assert mg.gradcheck(f, [x], max_elements=20)
    assert len(calls) == 1 + 2 * 20


def test_penalty_from_grad_of_some_inputs_then_backward_to_all():
    # WGAN-GP: g = grad(D(x), x, create_graph=True) for the input only, then
    # penalty(g).backward() must reach the weights through the same forward graph.
    rng = np.random.default_rng(3)
    xa, wa = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))

    def penalty(w_value, x, track_w):
        w = mg.tensor(w_value, requires_grad=track_w)
        h = (x @ w).tanh()
        (gx,) = mg.grad((h * h).sum(), [x], create_graph=True)
        return (gx * gx).sum(), w

    x = mg.tensor(xa, requires_grad=True)
    p, w = penalty(wa, x, True)
    p.backward()
    eps = 1e-6
    for idx in [(0, 0), (2, 1)]:
        plus, minus = wa.copy(), wa.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numerical = (penalty(plus, mg.tensor(xa, requires_grad=True), False)[0].item()
                     - penalty(minus, mg.tensor(xa, requires_grad=True), False)[0].item()) / (2 * eps)
        assert w.grad.numpy()[idx] == pytest.approx(numerical, rel=1e-6)
