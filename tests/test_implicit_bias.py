"""Unit and property tests of nntheory.implicit_bias: closed forms against solvers, margins, bad input."""

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from sklearn.svm import SVC

from nntheory import implicit_bias as ib
from nntheory import nets


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
    lam = np.linalg.eigvalsh(X.T @ X / 4)[-1]
    G = ib.least_squares_gd(X, y, np.zeros(9), 1 / lam, 3000)
    assert G.shape == (3001, 9)
    np.testing.assert_allclose(G[-1], w, atol=1e-10)
    assert ib.span_residual(X, G).max() < 1e-12
    assert ib.least_squares_risk(X, y, G[-1]) < 1e-20


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
    assert ib.least_squares_risk(X, y, w) <= np.exp(-2 * lam * t) * ib.least_squares_risk(X, y, w0) * (1 + 1e-9) + 1e-28


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
    with pytest.raises(ValueError, match="2-D array"):
        ib.least_squares_flow(X[0], y, np.zeros(9), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        ib.least_squares_risk(np.full((4, 9), np.nan), y, np.zeros(9))
    with pytest.raises(TypeError, match="numeric"):
        ib.least_squares_risk([["a"]], y, np.zeros(9))
    with pytest.raises(ValueError, match="full row rank"):
        ib.min_norm_solution(X.T, np.zeros(9))  # n = 9 > d = 4
    with pytest.raises(ValueError, match="full row rank"):
        ib.min_norm_solution(np.vstack([X, X[0]]), np.r_[y, 0.0])
    with pytest.raises(ValueError, match="lr must be positive"):
        ib.least_squares_gd(X, y, np.zeros(9), 0.0, 10)
    with pytest.raises(TypeError, match="steps must be an int"):
        ib.least_squares_gd(X, y, np.zeros(9), 0.1, 2.5)
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
    with pytest.raises(ValueError, match="alpha must be positive"):
        ib.lazy_gd(X, y, w0, -1.0, 0.01, 5)
    with pytest.raises(ValueError, match="diverged"):
        ib.lazy_gd(X, y, w0, 100.0, 1e3, 50)
    with pytest.raises(ValueError, match="d and m must be positive"):
        ib.centred_init(0, 3)


# ----------------------------------------------------------------------------- linear margins


SEP_X = np.array([[1.0, 2.0], [1.5, -1.0], [3.0, 4.0], [-2.5, -4.0], [-2.0, -5.0], [-3.5, -0.5]])
SEP_Y = np.array([1, 1, 1, -1, -1, -1])


def test_check_labels():
    np.testing.assert_array_equal(ib.check_labels([1, -1, 1]), [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        ib.check_labels([0, 1, 1])
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        ib.check_labels(["a", "b"])
    with pytest.raises(ValueError, match="one label per point"):
        ib.check_labels([1, -1], n=3)
    with pytest.raises(ValueError, match="1-D"):
        ib.check_labels(np.ones((2, 2)))


def test_hard_margin_svm_against_sklearn_and_kkt():
    w = ib.hard_margin_svm(SEP_X, SEP_Y)
    svc = SVC(kernel="linear", C=1e8, tol=1e-10).fit(np.vstack([SEP_X, -SEP_X]), np.r_[SEP_Y, -SEP_Y])
    np.testing.assert_allclose(w, svc.coef_[0], atol=1e-6)
    alpha = ib.svm_dual(SEP_X, SEP_Y, w)
    assert np.all(alpha >= -1e-12)
    np.testing.assert_allclose((alpha * SEP_Y) @ SEP_X, w, atol=1e-9)
    assert set(ib.support_vectors(SEP_X, SEP_Y, w)) == set(np.flatnonzero(alpha > 1e-12))


@examples(20)
@given(st.integers(0, 10**6))
def test_svm_kkt_on_random_separable_data(seed):
    rng = np.random.default_rng(seed)
    u = rng.normal(size=3)
    X = rng.normal(size=(12, 3))
    s = X @ u
    keep = np.abs(s) > 0.2 * np.linalg.norm(u)  # a gap, so the data are separable with room
    X, y = X[keep], np.sign(s[keep])
    if len(y) < 2:
        return
    w = ib.hard_margin_svm(X, y)
    assert np.min(y * (X @ w)) >= 1 - 1e-8
    alpha = ib.svm_dual(X, y, w)
    assert np.all(alpha >= -1e-8)
    np.testing.assert_allclose((alpha * y) @ X, w, atol=1e-6)
    # optimality: no feasible direction decreases the norm; compare with a scaled-up other separator
    assert np.linalg.norm(w) <= np.linalg.norm(u / np.min(y * (X @ u))) + 1e-9


def test_non_separable_data_gets_a_clear_error():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, 1, -1])  # x and -x share a label: no hyperplane through 0 separates them
    assert not ib.is_separable(X, y)
    assert ib.is_separable(SEP_X, SEP_Y)
    with pytest.raises(ValueError, match="not linearly separable"):
        ib.hard_margin_svm(X, y)
    with pytest.raises(ValueError, match="not linearly separable"):
        ib.logistic_offset(X, y, 0.1)
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        ib.hard_margin_svm(SEP_X, (SEP_Y + 1) // 2)
    with pytest.raises(ValueError, match="one label per point"):
        ib.hard_margin_svm(SEP_X, SEP_Y[:-1])


def test_logistic_gd_direction_and_loss():
    record = [0, 10, 100, 1000, 10000]
    W = ib.logistic_gd(SEP_X, SEP_Y, 0.5, record)
    assert W.shape == (5, 2)
    np.testing.assert_array_equal(W[0], 0.0)
    losses = [ib.logistic_risk(SEP_X, SEP_Y, w) for w in W]
    assert all(a > b for a, b in zip(losses, losses[1:]))
    w_hat = ib.hard_margin_svm(SEP_X, SEP_Y)
    angles = [ib.angle(w, w_hat) for w in W[1:]]
    assert angles[-1] < angles[0]
    # the mean logistic risk at w is what its definition says, also for huge margins (no overflow)
    assert ib.logistic_risk(SEP_X, SEP_Y, 1e4 * w_hat) == 0.0
    assert ib.logistic_risk(SEP_X, SEP_Y, np.zeros(2)) == pytest.approx(np.log(2))


def test_logistic_offset_is_the_limit_of_rho():
    lr = 0.2
    record = [20000, 40000]
    W = ib.logistic_gd(SEP_X, SEP_Y, lr, record)
    w_hat = ib.hard_margin_svm(SEP_X, SEP_Y)
    w_tilde = ib.logistic_offset(SEP_X, SEP_Y, lr)
    rho = W - np.outer(np.log(record), w_hat)
    assert np.linalg.norm(rho[-1] - w_tilde) < 0.01 * np.linalg.norm(w_tilde)
    assert np.linalg.norm(rho[-1] - w_tilde) < np.linalg.norm(rho[0] - w_tilde)


def test_logistic_offset_needs_spanning_support_vectors():
    X = np.array([[1.0, 0.0], [3.0, 1.0], [-1.0, 0.0]])
    y = np.array([1, 1, -1])  # support vectors +-e1 are parallel: they do not span R^2
    with pytest.raises(ValueError, match="do not span"):
        ib.logistic_offset(X, y, 0.1)


def test_logistic_gd_bad_record_and_angle():
    with pytest.raises(ValueError, match="strictly increasing"):
        ib.logistic_gd(SEP_X, SEP_Y, 0.1, [5, 3])
    with pytest.raises(ValueError, match="strictly increasing"):
        ib.logistic_gd(SEP_X, SEP_Y, 0.1, [0.5, 1.5])
    with pytest.raises(ValueError, match="w0 must have shape"):
        ib.logistic_gd(SEP_X, SEP_Y, 0.1, [1], w0=np.zeros(3))
    assert ib.angle([1.0, 0.0], [0.0, 2.0]) == pytest.approx(np.pi / 2)
    assert ib.angle([1.0, 1e-9], [1.0, 0.0]) == pytest.approx(1e-9, rel=1e-6)
    with pytest.raises(ValueError, match="zero vector"):
        ib.angle([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        ib.angle([1.0], [1.0, 0.0])


# ----------------------------------------------------------------------------- homogeneous nets


def _ring(n=16, seed=0):
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0, 2 * np.pi, 20 * n)
    phi = phi[np.abs(np.cos(2 * phi)) > 0.3][:n]
    X = np.c_[np.cos(phi), np.sin(phi)] * rng.uniform(0.5, 1.5, n)[:, None]
    return X, np.where(np.cos(2 * phi) > 0, 1.0, -1.0)


@examples(20)
@given(st.integers(0, 10**6), st.floats(0.1, 10.0))
def test_margins_scale_invariance_and_sandwich(seed, c):
    X, y = _ring(12, seed % 1000)
    net = nets.relu_net([2, 6, 5, 1], seed=seed)
    g, s = ib.normalized_margin(net, X, y), ib.smoothed_margin(net, X, y)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(c)
    assert ib.normalized_margin(net, X, y) == pytest.approx(g, rel=1e-9, abs=1e-15)
    # the lemma: smoothed <= normalised <= smoothed + (log n + n R) / ||theta||^L
    s, g = ib.smoothed_margin(net, X, y), ib.normalized_margin(net, X, y)
    q = y * net(torch.as_tensor(X)).detach().numpy().ravel()
    nR = np.sum(np.logaddexp(0, -q))
    rho = sum(float((p.detach() ** 2).sum()) for p in net.parameters()) ** 1.5
    assert s <= g + 1e-12 * abs(g)
    assert g <= s + (np.log(len(y)) + nR) / rho + 1e-12 * abs(g)
    assert np.isfinite(s)  # also when n R is far beyond the overflow point of exp


def test_smoothed_margin_formula():
    X, y = _ring(6)
    net = nets.relu_net([2, 3, 1], seed=4)
    q = y * net(torch.as_tensor(X)).detach().numpy().ravel()
    rho = sum(float((p.detach() ** 2).sum()) for p in net.parameters())
    expected = np.log(1 / np.expm1(np.sum(np.logaddexp(0, -q)))) / rho
    assert ib.smoothed_margin(net, X, y) == pytest.approx(expected, rel=1e-12)


def test_margin_gd_records_and_balancing_identity():
    X, y = _ring(16)
    net = nets.relu_net([2, 8, 8, 1], seed=1)
    run = ib.margin_gd(net, X, y, 0.3, 300, snapshots=[0, 300], derivative_every=50)
    assert run.loss.shape == (301,) and run.layer_sq.shape == (301, 3) and run.drift_bound.shape == (301, 2)
    assert run.loss[-1] < run.loss[0]
    assert sorted(run.flow_derivative) == [0, 50, 100, 150, 200, 250, 300]
    growth = run.layer_sq - run.layer_sq[0]
    np.testing.assert_allclose(growth[:, :-1] - growth[:, 1:], run.drift_bound, atol=1e-10)
    # the final snapshot is the trained net, and relu_forward reproduces it
    final = run.snapshots[300]
    out = net(torch.as_tensor(X)).detach().numpy().ravel()
    np.testing.assert_allclose(ib.relu_forward(final, X), out, atol=1e-12)
    assert ib.normalized_margin(net, X, y) == pytest.approx(run.margin[-1])


def test_margin_bad_input():
    X, y = _ring(8)
    with pytest.raises(ValueError, match="bias"):
        ib.normalized_margin(nets.relu_net([2, 4, 1], bias=True), X, y)
    with pytest.raises(ValueError, match="scalar output"):
        ib.normalized_margin(nets.relu_net([2, 4, 2]), X, y)
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        ib.normalized_margin(nets.relu_net([2, 4, 1]), X, (y + 1) / 2)
    with pytest.raises(ValueError, match="shape"):
        ib.normalized_margin(nets.relu_net([3, 4, 1]), X, y)
    zero = nets.relu_net([2, 4, 1])
    with torch.no_grad():
        for p in zero.parameters():
            p.zero_()
    with pytest.raises(ValueError, match="all weights of net are zero"):
        ib.normalized_margin(zero, X, y)
    with pytest.raises(ValueError, match="snapshots"):
        ib.margin_gd(nets.relu_net([2, 4, 1]), X, y, 0.1, 5, snapshots=[6])


def test_decision_grid():
    net = nets.relu_net([2, 5, 1], seed=2)
    weights = [m.weight.detach() for m in nets.linear_layers(net)]
    xs, F = ib.decision_grid(weights, -1.0, 1.0, num=7)
    assert xs.shape == (7,) and F.shape == (7, 7)
    expected = net(torch.tensor([[xs[3], xs[5]]])).item()  # F[j, i] = f(xs[i], xs[j])
    assert F[5, 3] == pytest.approx(expected)
    with pytest.raises(ValueError, match="lo < hi"):
        ib.decision_grid(weights, 1.0, -1.0)
    with pytest.raises(ValueError, match="2-D inputs"):
        ib.decision_grid([torch.ones(4, 3), torch.ones(1, 4)], -1.0, 1.0)
    with pytest.raises(ValueError, match="inputs but"):
        ib.relu_forward([torch.ones(4, 2), torch.ones(1, 3)], np.zeros((1, 2)))
    with pytest.raises(TypeError, match="list of 2-D torch tensors"):
        ib.relu_forward(torch.ones(1, 2), np.zeros((1, 2)))


def test_inputs_are_converted_to_float64_arrays():
    # lists of ints (or tensors) come back as float64 arrays, so later arithmetic is in float64
    X = [[1, 0, 0], [0, 1, 0]]
    w = ib.min_norm_solution(X, [1, 2])
    assert isinstance(w, np.ndarray) and w.dtype == np.float64
    np.testing.assert_allclose(w, [1.0, 2.0, 0.0])
    assert ib.least_squares_risk(X, [1, 2], [1, 2, 0]) == 0.0
