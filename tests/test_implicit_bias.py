"""Unit and property tests of nntheory.implicit_bias: least-squares closed forms against solvers, lazy training."""

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from sklearn.svm import SVC

from nntheory import implicit_bias as ib
from nntheory import objectives, optim


def _lsq(seed=0, n=4, d=9):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=n)


# ----------------------------------------------------------------------------- least squares


def test_flow_matches_ode_solver_and_endpoints():
    X, y = _lsq()
    w0 = np.random.default_rng(5).normal(size=9)
    ts = np.linspace(0, 5, 11)
    W = ib.least_squares_flow(X, y, w0, ts)
    assert W.shape == (11, 9)
    ode = solve_ivp(lambda t, w: -X.T @ (X @ w - y) / 4, (0, 5), w0, t_eval=ts, rtol=1e-12, atol=1e-14)
    assert np.abs(ode.y.T - W).max() < 1e-9
    np.testing.assert_allclose(ib.least_squares_flow(X, y, w0, 0.0), w0, atol=1e-14)
    P = np.linalg.pinv(X) @ X
    np.testing.assert_allclose(ib.least_squares_flow(X, y, w0, np.inf), (np.eye(9) - P) @ w0 + np.linalg.pinv(X) @ y,
                               atol=1e-12)


def test_flow_rank_deficient_limit_is_least_squares_min_norm():
    X, y = _lsq()
    X = np.vstack([X, X[0]])  # a repeated row: rank 4 < n = 5, and y need not be reachable
    y = np.r_[y, y[0] + 1.0]
    lim = ib.least_squares_flow(X, y, np.zeros(9), np.inf)
    np.testing.assert_allclose(lim, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-12)


def test_min_norm_solution_and_gd():
    X, y = _lsq(1)
    w = ib.min_norm_solution(X, y)
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, atol=1e-12)
    np.testing.assert_allclose(X @ w, y, atol=1e-12)
    P = objectives.least_squares(X, y)
    G = optim.run(optim.GD(lr=1 / P.L), P.grad, np.zeros(9), 3000)  # gradient descent from 0
    assert G.shape == (3001, 9)
    np.testing.assert_allclose(G[-1], w, atol=1e-10)
    assert ib.span_residual(X, G).max() < 1e-12
    assert P.f(G[-1]) < 1e-20


def test_span_residual_measures_orthogonal_part():
    X, _ = _lsq(2)
    null = np.linalg.svd(X)[2][4:]  # orthonormal basis of the null space
    v = X.T @ np.ones(4)
    assert ib.span_residual(X, v) < 1e-12
    assert ib.span_residual(X, v + 3 * null[0]) == pytest.approx(3.0)


@examples(25)
@given(st.integers(0, 10**6), st.floats(0.0, 50.0))
def test_flow_stays_in_affine_span_and_risk_bound(seed, t):
    X, y = _lsq(seed)
    w0 = np.random.default_rng(seed + 1).normal(size=9)
    w = ib.least_squares_flow(X, y, w0, t)
    assert ib.span_residual(X, w - w0) < 1e-10
    lam = np.linalg.eigvalsh(X @ X.T / 4)[0]
    risk = objectives.least_squares(X, y).f
    assert risk(w) <= np.exp(-2 * lam * t) * risk(w0) * (1 + 1e-9) + 1e-28


def test_least_squares_bad_input():
    X, y = _lsq()
    with pytest.raises(ValueError, match="y must have shape"):
        ib.least_squares_flow(X, y[:3], np.zeros(9), 1.0)
    with pytest.raises(ValueError, match="w0 must have shape"):
        ib.least_squares_flow(X, y, np.zeros(8), 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        ib.least_squares_flow(X, y, np.zeros(9), -1.0)
    with pytest.raises(ValueError, match="1-D array of times"):
        ib.least_squares_flow(X, y, np.zeros(9), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, n\)"):
        ib.least_squares_flow(X[0], y, np.zeros(9), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        ib.least_squares_flow(np.full((4, 9), np.nan), y, np.zeros(9), 1.0)
    with pytest.raises(TypeError, match="array of real numbers"):
        ib.min_norm_solution([["a"]], y)
    with pytest.raises(ValueError, match="full row rank"):
        ib.min_norm_solution(X.T, np.zeros(9))  # n = 9 > d = 4
    with pytest.raises(ValueError, match="full row rank"):
        ib.min_norm_solution(np.vstack([X, X[0]]), np.r_[y, 0.0])
    with pytest.raises(ValueError, match="w must have shape"):
        ib.span_residual(X, np.zeros(3))


# ----------------------------------------------------------------------------- lazy training


def test_centred_model_is_zero_and_jacobian_matches_finite_differences():
    X = np.linspace(-1, 1, 4)[:, None] * np.array([[1.0, -0.5]])
    w0 = ib.centred_init(2, 5, seed=3)
    assert w0.size == 2 * 5 * (2 + 2)
    np.testing.assert_array_equal(ib.centred_model(w0, X), np.zeros(4))
    w = w0 + np.random.default_rng(0).normal(size=w0.size) * 0.3
    J = ib.centred_jacobian(w, X)
    h = 1e-6
    fd = np.stack([(ib.centred_model(w + h * e, X) - ib.centred_model(w - h * e, X)) / (2 * h)
                   for e in np.eye(w.size)], axis=1)
    np.testing.assert_allclose(J, fd, atol=1e-8)


def test_lazy_gd_scalings():
    X = np.linspace(-2, 2, 5)[:, None]
    y = np.sin(2 * X[:, 0])
    w0 = ib.centred_init(1, 16, seed=0)
    J0 = ib.centred_jacobian(w0, X)
    lmax = np.linalg.eigvalsh(J0 @ J0.T / 5)[-1]
    r8 = ib.lazy_gd(X, y, w0, 8.0, 1 / (lmax * 64), 400)
    r16 = ib.lazy_gd(X, y, w0, 16.0, 1 / (lmax * 256), 400)
    assert r8.risk.shape == r8.t.shape == (401,)
    assert r8.risk[-1] < r8.risk[0] and r16.risk[-1] < r16.risk[0]
    assert r8.movement.max() / r16.movement.max() == pytest.approx(2.0, rel=0.1)
    assert r8.dist_lin.max() / r16.dist_lin.max() == pytest.approx(4.0, rel=0.2)
    assert r8.movement[0] == 0.0 and r8.dist_lin[0] == 0.0


def test_lazy_bad_input():
    X = np.linspace(-2, 2, 5)[:, None]
    y = np.sin(X[:, 0])
    w0 = ib.centred_init(1, 4, seed=0)
    not_centred = w0.copy()
    not_centred[: w0.size // 2] += 0.1
    with pytest.raises(ValueError, match="centred start"):
        ib.lazy_gd(X, y, not_centred, 4.0, 0.01, 5)
    with pytest.raises(ValueError, match="flat vector of length"):
        ib.centred_model(w0[:-1], X)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ib.lazy_gd(X, y, w0, -1.0, 0.01, 5)
    with pytest.raises(ValueError, match="diverged"):
        ib.lazy_gd(X, y, w0, 100.0, 1e3, 50)
    with pytest.raises(ValueError, match="d must be >= 1"):
        ib.centred_init(0, 3)


def test_inputs_are_converted_to_float64_arrays():
    # lists of ints (or tensors) come back as float64 arrays, so later arithmetic is in float64
    X = [[1, 0, 0], [0, 1, 0]]
    w = ib.min_norm_solution(X, [1, 2])
    assert isinstance(w, np.ndarray) and w.dtype == np.float64
    np.testing.assert_allclose(w, [1.0, 2.0, 0.0])
    flow = ib.least_squares_flow(X, [1, 2], [0, 0, 0], [0, 1])
    assert flow.dtype == np.float64 and flow.shape == (2, 3)


def test_lazy_gd_records_kernel_and_allows_uncentred_start():
    X = np.linspace(-2, 2, 5)[:, None]
    y = np.sin(2 * X[:, 0])
    w0 = ib.centred_init(1, 8, seed=0)
    J0 = ib.centred_jacobian(w0, X)
    lam = np.linalg.eigvalsh(J0 @ J0.T / 5)
    run = ib.lazy_gd(X, y, w0, 8.0, 1 / (lam[-1] * 64), 50)
    assert run.kernel_eig.shape == (51, 2)
    np.testing.assert_allclose(run.kernel_eig[0], [lam[0], lam[-1]], rtol=1e-12)
    assert np.all(run.kernel_eig[:, 0] <= run.kernel_eig[:, 1])
    unc = w0.copy()
    unc[unc.size // 2:] = 0.0
    r = ib.lazy_gd(X, y, unc, 8.0, 1 / (lam[-1] * 64), 200, centred=False)
    assert r.risk[-1] < r.risk[0]
    # at step 0 the linearised model equals the model, also for an uncentred start
    assert r.risk_lin[0] == pytest.approx(r.risk[0])
    with pytest.raises(ValueError, match="centred=False"):
        ib.lazy_gd(X, y, unc, 8.0, 0.01, 5)
    with pytest.raises(TypeError, match="centred must be"):
        ib.lazy_gd(X, y, w0, 8.0, 0.01, 5, centred=1)


# ----------------------------------------------------------------------------- diagonal linear networks


def _sparse(seed=0, n=10, d=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    b = np.zeros(d)
    b[[2, 17]] = [1.2, -0.8]
    return X, X @ b, b


def test_min_l1_solution_recovers_a_sparse_vector():
    X, y, b = _sparse()
    np.testing.assert_allclose(ib.min_l1_solution(X, y), b, atol=1e-9)
    with pytest.raises(ValueError, match="no solution"):
        ib.min_l1_solution(np.vstack([X[0], X[0]]), np.array([1.0, 2.0]))


def test_hyperbolic_potential_small_and_large_arguments():
    assert ib.hyperbolic_potential(np.zeros(3), 1.0) == 0.0
    z = np.array([1e-3, -2e-3])
    assert ib.hyperbolic_potential(z, 1.0) == pytest.approx(np.sum(z**2) / 4, rel=1e-5)
    # q(z) = |z| log|z| - |z| + 2 + o(1) for large |z|
    big = 1e6
    assert ib.hyperbolic_potential(np.array([big]), 1.0) == pytest.approx(big * np.log(big) - big + 2, rel=1e-9)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        ib.hyperbolic_potential(z, 0.0)


@pytest.mark.parametrize("alpha", [1e-3, 0.1, 1.0, 30.0])
def test_diagonal_limit_is_the_constrained_minimiser(alpha):
    X, y, _ = _sparse(1)
    beta = ib.diagonal_limit(X, y, alpha)
    np.testing.assert_allclose(X @ beta, y, atol=1e-10)
    # optimality: grad Q = arcsinh(beta / (2 alpha^2)) lies in the row space of X
    g = np.arcsinh(beta / (2 * alpha**2))
    assert ib.span_residual(X, g) < 1e-8 * max(1.0, np.linalg.norm(g))
    # and Q is smaller than at other interpolants
    null = np.linalg.svd(X)[2][X.shape[0]:]
    for z in np.random.default_rng(0).normal(size=(5, null.shape[0])):
        assert ib.hyperbolic_potential(beta, alpha) <= ib.hyperbolic_potential(beta + 1e-2 * z @ null, alpha)


def test_diagonal_limit_ends_and_gd():
    X, y, b = _sparse(2)
    np.testing.assert_allclose(ib.diagonal_limit(X, y, 100.0), ib.min_norm_solution(X, y), atol=1e-8)
    l1 = np.abs(ib.min_l1_solution(X, y)).sum()
    assert np.abs(ib.diagonal_limit(X, y, 1e-4)).sum() < np.abs(ib.diagonal_limit(X, y, 1e-2)).sum()
    assert np.abs(ib.diagonal_limit(X, y, 1e-4)).sum() < 1.05 * l1
    lmax = np.linalg.eigvalsh(X.T @ X / len(y))[-1]
    alphas = np.array([0.5, 2.0])
    run = ib.diagonal_gd(X, y, alphas, 0.1 / (8 * lmax * (alphas**2 + 1.2)), 20000)
    assert run.beta.shape == (2, X.shape[1]) and run.residual.shape == run.movement.shape == (2,)
    assert np.all(run.residual < 1e-8)
    for i, a in enumerate(alphas):
        np.testing.assert_allclose(run.beta[i], ib.diagonal_limit(X, y, a), atol=1e-3)
    assert np.all(ib.diagonal_gd(X, y, alphas, 0.1, 0).beta == 0.0)


def test_diagonal_limit_converges_for_tiny_alpha():
    X, y, _ = _sparse(1)
    for alpha in (1e-8, 1e-12):
        beta = ib.diagonal_limit(X, y, alpha)
        np.testing.assert_allclose(X @ beta, y, atol=1e-10)
        g = np.arcsinh(beta / (2 * alpha**2))
        assert ib.span_residual(X, g) < 1e-8 * np.linalg.norm(g)


def test_l1_certificate_and_the_rich_exponent():
    X, y, b = _sparse()
    xi, nu = ib.l1_certificate(X, y)
    S, off = np.flatnonzero(b), np.flatnonzero(b == 0)
    np.testing.assert_allclose(X[:, S].T @ xi, np.sign(b[S]), atol=1e-9)
    assert 0 < nu < 1 and np.abs(X[:, off].T @ xi).max() == pytest.approx(nu, abs=1e-9)
    # no other certificate does better: moving xi along the null space of X_S^T never lowers the maximum
    null = np.linalg.svd(X[:, S].T)[2][S.size:]
    for z in np.random.default_rng(0).normal(size=(20, null.shape[0])):
        assert np.abs(X[:, off].T @ (xi + 1e-3 * z @ null)).max() >= nu - 1e-9
    # the l1 excess of the rich limit falls like alpha^(2 (1 - nu)) (up to corrections of order 1/log(1/alpha^2))
    a = np.array([1e-11, 1e-12])
    excess = [np.abs(ib.diagonal_limit(X, y, x)).sum() - np.abs(b).sum() for x in a]
    slope = np.log(excess[0] / excess[1]) / np.log(a[0] / a[1])
    assert slope == pytest.approx(2 * (1 - nu), abs=0.05)


def test_l1_certificate_bad_input():
    X, y, _ = _sparse()
    with pytest.raises(ValueError, match="y = 0"):
        ib.l1_certificate(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="no zero coordinate"):
        ib.l1_certificate(np.eye(3), np.array([1.0, -2.0, 3.0]))
    with pytest.raises(ValueError, match="tol must be > 0"):
        ib.l1_certificate(X, y, tol=0.0)


def test_diagonal_bad_input():
    X, y, _ = _sparse()
    with pytest.raises(ValueError, match="alphas must be > 0"):
        ib.diagonal_gd(X, y, [1.0, -1.0], 0.1, 5)
    with pytest.raises(ValueError, match="lr must be > 0"):
        ib.diagonal_gd(X, y, [1.0], 0.0, 5)
    with pytest.raises(ValueError, match="diverged"), np.errstate(over="ignore", invalid="ignore"):
        ib.diagonal_gd(X, y, [10.0], 10.0, 50)
    with pytest.raises(ValueError, match="y must have shape"):
        ib.diagonal_limit(X, y[:3], 1.0)


def test_span_residual_and_diagonal_limit_with_dependent_rows():
    import numpy as np
    import pytest

    from nntheory import implicit_bias as ib

    X = np.array([[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]])  # rank 1: the row space is the first axis
    assert ib.span_residual(X, np.array([0.0, 1.0, 0.0])) == pytest.approx(1.0)
    assert ib.span_residual(X, np.array([3.0, 0.0, 0.0])) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="linearly independent rows"):
        ib.diagonal_limit(X, np.array([1.0, 2.0]), 0.1)
