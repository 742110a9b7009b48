"""Finite-difference checks of gradients: the ground truth every backward is held to.

For inputs x and outputs y = f(x), pick a random upstream gradient v (fixed seed) and
the scalar L(x) = sum_k <v_k, y_k>. Then

* analytical:  dL/dx from minigen's backward (a vector-Jacobian product, J^T v);
* numerical:   (L(x + eps e_j) - L(x - eps e_j)) / (2 eps) for each element j.

Central differences have truncation error O(eps^2) (the eps^1 terms of the two Taylor
expansions cancel) and round-off error O(machine_eps / eps); in float64 eps = 1e-6
balances the two at about 1e-10 relative. That is why the inputs must be float64.

An element passes when |analytical - numerical| <= atol + rtol * |numerical|.
The relative error reported is CS231n's |a - n| / max(|a| + |n|, 1e-8).

An input whose Jacobian is all zero, numerically and analytically, fails too: both sides
agree (0 = 0) whether or not the function uses the input the way it should, so a bug that
drops an argument (a bias never added) would otherwise pass. Where a zero derivative is
the truth, say so with ``allow_zero_jacobian=True``.
"""
from dataclasses import dataclass, field

import numpy as np

from . import backend
from .autograd import grad
from .tensor import Tensor, as_tensor


class GradcheckError(AssertionError):
    """Raised when an analytical gradient disagrees with finite differences."""


@dataclass
class GradcheckResult:
    passed: bool
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    message: str = "ok"
    details: list = field(default_factory=list)


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _scalar_objective(outputs, vs):
    total = 0.0
    for y, v in zip(outputs, vs):
        if v is not None:
            total += float(backend.as_numpy(y.data * v.data).sum())
    return total


def check_gradients(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=None, seed=0,
                    allow_zero_jacobian=False):
    """Compare analytical and numerical gradients; return a ``GradcheckResult``.

    ``max_elements``: when an input has more elements than this, a random subset of that
    many elements (seeded) is checked instead of all of them.
    ``allow_zero_jacobian``: accept an input whose checked derivatives are all exactly zero
    (otherwise that fails: the function may be ignoring it).
    """
    inputs = tuple(as_tensor(x) for x in _as_tuple(inputs))
    checked = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences "
                             "need float64 (in float32 round-off swamps eps=1e-6)")
    rng = np.random.default_rng(seed)
    outputs = _as_tuple(fn(*inputs))
    vs = []
    for y in outputs:
        floating = isinstance(y, Tensor) and np.issubdtype(y.dtype, np.floating)
        v = rng.standard_normal(y.shape) if floating else None
        vs.append(None if v is None else Tensor(backend.to_device(v.astype(y.dtype), y.device)))

    roots = [(y, v) for y, v in zip(outputs, vs) if v is not None and y.requires_grad]
    if roots:
        analytical = grad([y for y, _ in roots], [inputs[i] for i in checked],
                          [v for _, v in roots], allow_unused=True)
    else:
        analytical = [None] * len(checked)

    result = GradcheckResult(passed=True)
    worst_margin = -np.inf
    for i, ga in zip(checked, analytical):
        x = inputs[i]
        ga = np.zeros(x.shape) if ga is None else backend.as_numpy(ga.data).astype(np.float64)
        flat = x.data.reshape(-1)  # a view: perturbing it perturbs x
        n = flat.size
        idx = np.arange(n)
        if max_elements is not None and n > max_elements:
            idx = np.sort(rng.choice(n, size=max_elements, replace=False))
        numerical = np.empty(len(idx))
        for k, j in enumerate(idx):
            old = flat[j].item()
            flat[j] = old + eps
            plus = _scalar_objective(_as_tuple(fn(*inputs)), vs)
            flat[j] = old - eps
            minus = _scalar_objective(_as_tuple(fn(*inputs)), vs)
            flat[j] = old
            numerical[k] = (plus - minus) / (2 * eps)
        analytic = ga.reshape(-1)[idx]
        abs_err = np.abs(analytic - numerical)
        rel_err = abs_err / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-8)
        if len(idx):
            result.max_abs_err = max(result.max_abs_err, float(abs_err.max()))
            result.max_rel_err = max(result.max_rel_err, float(rel_err.max()))
            margin = abs_err - (atol + rtol * np.abs(numerical))
            k = int(np.argmax(margin))
            if margin[k] > 0 and margin[k] > worst_margin:
                worst_margin = margin[k]
                where = np.unravel_index(idx[k], x.shape) if x.ndim else ()
                result.passed = False
                result.message = (
                    f"gradient of input {i} (shape {x.shape}) is wrong at index {tuple(int(w) for w in where)}: "
                    f"analytical {analytic[k]:.8g}, numerical {numerical[k]:.8g}, "
                    f"relative error {rel_err[k]:.3g} (atol={atol}, rtol={rtol})")
        if (result.passed and not allow_zero_jacobian and len(idx)
                and not np.any(numerical) and not np.any(analytic)):
            result.passed = False
            result.message = (
                f"input {i} (shape {x.shape}) has an all-zero Jacobian, analytical and numerical: "
                "the function does not depend on it (pass allow_zero_jacobian=True if that is right)")
        result.details.append((i, float(abs_err.max()) if len(idx) else 0.0))
    return result


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              max_elements=None, seed=0, allow_zero_jacobian=False):
    """Check ``fn``'s gradients against central finite differences (see the module doc).

    ``fn`` takes the ``inputs`` (Tensors, float64; those with ``requires_grad`` are checked)
    and returns a Tensor or a tuple of Tensors. Returns True if every element passes; else
    raises ``GradcheckError`` naming the input, the worst element, both values and the
    relative error (or returns False with ``raise_exception=False``). An input with an
    all-zero Jacobian fails unless ``allow_zero_jacobian=True`` (see the module doc).
    """
    result = check_gradients(fn, inputs, eps, atol, rtol, max_elements, seed, allow_zero_jacobian)
    if not result.passed and raise_exception:
        raise GradcheckError(result.message)
    return result.passed


def _first_derivative_fn(fn, n_inputs):
    """x, v -> grad(fn(x), x, v, create_graph=True): what gradgradcheck differentiates."""
    def first_grad(*args):
        xs, vs = args[:n_inputs], args[n_inputs:]
        outputs = _as_tuple(fn(*xs))
        wanted = [x for x in xs if x.requires_grad]
        pairs = [(y, v) for y, v in zip(outputs, vs) if y.requires_grad]
        if not pairs:
            return tuple(Tensor(x.data * 0) for x in wanted)
        gs = grad([y for y, _ in pairs], wanted, [v for _, v in pairs],
                  create_graph=True, allow_unused=True)
        # An input the first derivative does not depend on gets a constant zero.
        return tuple(Tensor(x.data * 0) if g is None else g for x, g in zip(wanted, gs))
    return first_grad


def check_second_gradients(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                           max_elements=None, seed=0):
    """``check_gradients`` applied to the first derivative (x, v) -> J(x)^T v. Zero
    Jacobians are allowed here: the second derivative of a linear op (add, conv) is 0."""
    inputs = tuple(as_tensor(x) for x in _as_tuple(inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = []
        for y in _as_tuple(fn(*inputs)):
            v = rng.standard_normal(y.shape).astype(y.dtype)
            grad_outputs.append(Tensor(backend.to_device(v, y.device), requires_grad=True))
    grad_outputs = tuple(as_tensor(v) for v in _as_tuple(grad_outputs))
    return check_gradients(_first_derivative_fn(fn, len(inputs)), inputs + grad_outputs,
                           eps, atol, rtol, max_elements, seed, allow_zero_jacobian=True)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, max_elements=None, seed=0):
    """Check second derivatives: gradcheck of the map (x, v) -> grad(fn(x), x, v,
    create_graph=True), with respect to both the inputs x and the upstream gradient v.
    This is what a gradient penalty differentiates (PyTorch's gradgradcheck)."""
    result = check_second_gradients(fn, inputs, grad_outputs, eps, atol, rtol, max_elements, seed)
    if not result.passed and raise_exception:
        raise GradcheckError("second derivative: " + result.message)
    return result.passed
