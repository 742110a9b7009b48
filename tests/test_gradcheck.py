"""gradcheck's own failure modes: an input the function ignores (all-zero Jacobian) and
the subset of elements ``max_elements`` asks for."""
import numpy as np
import pytest

import minigen as mg
from minigen.nn import functional as F


def f64(*shape, seed=0):
    return mg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_an_input_the_function_ignores_fails_gradcheck():
    """f(x, b) = 2x drops b: analytical and numerical derivatives agree (0 = 0), yet it fails."""
    x, b = f64(3), f64(3, seed=1)
    with pytest.raises(mg.GradcheckError, match="input 1 .*all-zero Jacobian"):
        mg.gradcheck(lambda x, b: 2 * x, [x, b])


def test_a_genuinely_zero_derivative_passes_with_the_opt_out():
    x, b = f64(3), f64(3, seed=1)
    assert mg.gradcheck(lambda x, b: 2 * x + 0 * b, [x, b], allow_zero_jacobian=True)


def test_an_instance_norm_that_dropped_its_bias_fails_gradcheck():
    """y = IN(x) * w without + b: the bug is invisible to finite differences of (x, w)."""
    x, w, b = f64(2, 3, 3, 3), f64(3, seed=1), f64(3, seed=2)
    dropped = lambda x, w, b: F.instance_norm(x, w, None)  # noqa: E731
    assert not mg.gradcheck(dropped, [x, w, b], raise_exception=False)
    assert mg.gradcheck(lambda x, w, b: F.instance_norm(x, w, b), [x, w, b])


def test_max_elements_checks_that_many_elements_of_each_input():
    """One call for the analytical gradient, then two per checked element: 5 of x's 100,
    all 4 of y's (fewer than max_elements)."""
    calls = []

    def f(x, y):
        calls.append(1)
        return (x * x).sum() + (y * y * y).sum()
    assert mg.gradcheck(f, [f64(10, 10), f64(4, seed=1)], max_elements=5)
    assert len(calls) == 1 + 2 * (5 + 4)
