"""Tests of nntheory.objectives: derivatives against finite differences, smoothness constants, labels, errors."""

import numpy as np
import pytest
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st

from nntheory import objectives as obj


def _problems(rng):
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    w = rng.standard_normal(3)
    return [(obj.rosenbrock(), np.array([-0.3, 0.7])), (obj.cauchy_regression(X, y), w), (obj.least_squares(X, y), w),
            (obj.least_squares(X, y, mean=False), w), (obj.quadratic(np.diag([1.0, 2.0])), np.ones(2)),
            (obj.logistic(X, np.sign(y), l2=0.1), w)]


def test_problem_derivatives_match_finite_differences():
    rng = np.random.default_rng(3)
    for prob, x in _problems(rng):
        h, d = 1e-6, x.size
        E = np.eye(d)
        fd_g = np.array([(prob.f(x + h * e) - prob.f(x - h * e)) / (2 * h) for e in E])
        fd_h = np.array([(prob.grad(x + h * e) - prob.grad(x - h * e)) / (2 * h) for e in E])
        np.testing.assert_allclose(prob.grad(x), fd_g, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(prob.hess(x), fd_h, rtol=1e-6, atol=1e-5)


def test_least_squares_sum_and_mean():
    # mean=False is ||Xw - y||^2 / 2 with Hessian X^T X (the Wilson construction's objective); mean=True divides by n
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 6)), rng.standard_normal(4)
    total, mean = obj.least_squares(X, y, mean=False), obj.least_squares(X, y)
    w = rng.standard_normal(6)
    assert total.f(w) == pytest.approx(0.5 * np.sum((X @ w - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(total.grad(w), X.T @ (X @ w - y), rtol=1e-14)
    np.testing.assert_allclose(total.hess(w), X.T @ X)
    assert total.L == pytest.approx(np.linalg.eigvalsh(X.T @ X).max(), rel=1e-13)
    assert mean.f(w) == pytest.approx(total.f(w) / 4, rel=1e-14) and mean.L == pytest.approx(total.L / 4, rel=1e-13)
    assert total.f_min == pytest.approx(0.0, abs=1e-20)  # underdetermined: an interpolant exists


def test_logistic_L_and_bad_labels():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((25, 3))
    prob = obj.logistic(X, np.sign(X[:, 0] + 0.1), l2=0.05)
    lam = np.array([np.linalg.eigvalsh(prob.hess(w)) for w in rng.standard_normal((100, 3))])
    assert lam.max() <= prob.L and lam.min() >= 0.05 - 1e-12  # smooth and l2-strongly convex
    with pytest.raises(ValueError, match="labels"):
        obj.logistic(X, np.zeros(25))
    with pytest.raises(ValueError, match="l2"):
        obj.logistic(X, np.ones(25), l2=-1.0)


def test_logistic_is_stable_at_large_margins():
    X, y = np.array([[1.0], [-1.0]]), np.array([1.0, 1.0])
    prob = obj.logistic(X, y)
    for w in (np.array([800.0]), np.array([-800.0])):
        assert np.isfinite(prob.f(w)) and np.all(np.isfinite(prob.grad(w))) and np.all(np.isfinite(prob.hess(w)))
    assert prob.f(np.array([800.0])) == pytest.approx(400.0)  # one term ~0, the other 800, averaged


def test_cauchy_L_bounds_the_hessian():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((15, 2)), rng.standard_normal(15)
    prob = obj.cauchy_regression(X, y)
    norms = [np.abs(np.linalg.eigvalsh(prob.hess(w))).max() for w in 3 * rng.standard_normal((200, 2))]
    assert max(norms) <= prob.L
    assert max(norms) > 0.1 * prob.L  # the bound is not vacuous


@examples(30)
@given(seed=st.integers(0, 10_000))
def test_quadratic_L_and_f_min(seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((4, 4))
    A = M + M.T
    prob = obj.quadratic(A)
    lam = np.linalg.eigvalsh(A)
    assert prob.L == pytest.approx(np.abs(lam).max(), rel=1e-12)
    assert prob.f_min == (0.0 if lam.min() >= 0 else None)
    psd = obj.quadratic(M @ M.T)
    assert psd.f_min == 0.0 and psd.f(np.zeros(4)) == 0.0


def test_classification_error_counts_zero_score_as_error():
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 1.0])
    assert obj.classification_error(X, y, np.array([1.0, 0.0])) == 0.5
    assert obj.classification_error(X, y, np.array([1.0, 1.0])) == 0.0
    assert obj.classification_error(X, -y, np.array([1.0, 1.0])) == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match="X"):
        obj.least_squares(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="y"):
        obj.least_squares(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="w"):
        obj.classification_error(np.ones((3, 4)), np.ones(3), np.ones(5))
    with pytest.raises(ValueError, match="symmetric"):
        obj.quadratic(np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="b"):
        obj.rosenbrock(b=0.0)
