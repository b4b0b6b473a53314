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


def test_nesterov_worst_case_spectrum_gradient_and_minimum():
    prob = obj.nesterov_worst_case(30, 1.0, 100.0)
    H = prob.hess(np.zeros(30))
    lam = np.linalg.eigvalsh(H)
    assert 1.0 < lam.min() and lam.max() < 100.0 and prob.L == 100.0
    x = np.random.default_rng(0).standard_normal(30)
    b = np.zeros(30)
    b[0] = 99.0 / 4
    np.testing.assert_allclose(prob.grad(x), H @ x - b, rtol=1e-14, atol=1e-13)
    x_star = np.linalg.solve(H, b)
    assert prob.f_min == pytest.approx(prob.f(x_star), rel=1e-13)
    q = (10 - 1) / (10 + 1)
    i = np.arange(1, 31)
    np.testing.assert_allclose(x_star, (q**i - q ** (62 - i)) / (1 - q**62), rtol=1e-10)  # x*_i -> q^i
    with pytest.raises(ValueError, match="mu < L"):
        obj.nesterov_worst_case(5, 2.0, 1.0)
    with pytest.raises(ValueError, match="d"):
        obj.nesterov_worst_case(1, 1.0, 2.0)


def _relu_torch(X, y, theta, m):
    import torch

    Xt, yt = torch.tensor(X), torch.tensor(y)

    def loss(th):
        W, a = th[: m * X.shape[1]].reshape(m, X.shape[1]), th[m * X.shape[1]:]
        return 0.5 * torch.mean((torch.relu(Xt @ W.T) @ a - yt) ** 2)

    th = torch.tensor(theta, requires_grad=True)
    g = torch.autograd.grad(loss(th), th)[0].numpy()
    h = torch.autograd.functional.hessian(loss, torch.tensor(theta)).numpy()
    return float(loss(th).detach()), g, h


def test_two_layer_relu_matches_torch_autograd():
    rng = np.random.default_rng(5)
    X, y, m = rng.standard_normal((15, 3)), rng.standard_normal(15), 6
    prob = obj.two_layer_relu(X, y, m)
    theta = rng.standard_normal(m * 4)
    f_t, g_t, h_t = _relu_torch(X, y, theta, m)
    assert prob.f(theta) == pytest.approx(f_t, rel=1e-14)
    np.testing.assert_allclose(prob.grad(theta), g_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(prob.hess(theta), h_t, rtol=1e-12, atol=1e-14)
    assert prob.L is None and prob.f_min is None


def test_two_layer_relu_hessian_grows_like_c_squared():
    # F(c theta) = c^2 F(theta), so hess(c theta) = c^2 P + Q: the increments from c = 1 scale like c^2 - 1
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    prob = obj.two_layer_relu(X, y, 5)
    theta = rng.standard_normal(15)
    H1, H2, H3 = (prob.hess(c * theta) for c in (1.0, 2.0, 3.0))
    np.testing.assert_allclose(H3 - H1, 8 / 3 * (H2 - H1), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="theta"):
        prob.f(np.ones(14))


def _lsq_data(seed=0, n=8, d=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def test_minibatch_gradient_is_seeded_unbiased_and_per_replica():
    X, y = _lsq_data()
    w = np.array([0.3, -0.2, 0.5])
    g1 = obj.minibatch_gradient(X, y, 2, seed=4)
    g2 = obj.minibatch_gradient(X, y, 2, seed=4)
    np.testing.assert_array_equal([g1(w) for _ in range(3)], [g2(w) for _ in range(3)])  # same seed, same draws
    many = obj.minibatch_gradient(X, y, 3, seed=1, replicas=20000)
    draws = many(np.tile(w, 20000)).reshape(20000, 3)
    full = obj.least_squares(X, y).grad(w)
    se = draws.std(axis=0) / np.sqrt(20000)
    assert np.all(np.abs(draws.mean(axis=0) - full) < 5 * se)  # unbiased, 5 standard errors
    assert np.abs(np.corrcoef(draws[:, 0][::2], draws[:, 0][1::2])[0, 1]) < 0.05  # replicas draw independently
    g_one = obj.minibatch_gradient(X, y, 1, seed=0)(w)
    assert any(np.allclose(g_one, X[i] * (X[i] @ w - y[i]), rtol=1e-14) for i in range(8))  # one row's gradient
    with pytest.raises(ValueError, match="batch"):
        obj.minibatch_gradient(X, y, 0, seed=0)
    with pytest.raises(ValueError, match="w"):
        many(w)


def test_sgd_excess_risk_without_noise_is_gd_and_matches_monte_carlo():
    from nntheory import optim

    X, y = _lsq_data(1, n=6, d=2)
    prob = obj.least_squares(X, y)
    w0 = np.array([0.5, -0.3]) + np.linalg.lstsq(X, y, rcond=None)[0]
    exact = obj.sgd_excess_risk(X, y, 0.3, 10**15, w0, 5)  # batch -> infinity: no noise, plain GD
    gd = optim.run(optim.GD(lr=0.3), prob.grad, w0, 5)
    np.testing.assert_allclose(exact, [prob.f(w) - prob.f_min for w in gd], rtol=1e-9)
    R = 100_000
    ex = obj.sgd_excess_risk(X, y, 0.3, 2, w0, 4)
    runs = optim.run(optim.GD(lr=0.3), obj.minibatch_gradient(X, y, 2, seed=3, replicas=R), np.tile(w0, R), 4)
    for t in range(5):
        vals = np.array([prob.f(w) for w in runs[t].reshape(R, 2)[:20000]]) - prob.f_min
        assert abs(vals.mean() - ex[t]) < 4 * vals.std() / np.sqrt(vals.size) + 1e-15


def test_sgd_noise_floor_is_the_limit_and_within_its_bounds():
    X, y = _lsq_data(2, n=10, d=3)
    lr, B = 0.05, 2
    floor = obj.sgd_noise_floor(X, y, lr, B)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    assert obj.sgd_excess_risk(X, y, lr, B, w_star, 4000)[-1] == pytest.approx(floor, rel=1e-8)
    H, r = X.T @ X / 10, X @ w_star - y
    trC, R2 = np.sum(r**2 * np.sum(X**2, axis=1)) / 10, np.max(np.sum(X**2, axis=1))
    lo = lr * trC / (4 * B)
    assert lo <= floor <= lo / (1 - lr * np.linalg.eigvalsh(H).max() / 2 - lr * R2 / (2 * B))
    with pytest.raises(ValueError, match="not mean-square stable"):
        obj.sgd_noise_floor(X, y, 5.0, B)


def test_sine_bowl_is_smooth_nonconvex_and_pl():
    prob = obj.sine_bowl()
    x = np.linspace(-30, 30, 600001)
    fx = x**2 + 3 * np.sin(x) ** 2
    assert prob.f(np.array([0.7, -1.2])) == pytest.approx(0.49 + 3 * np.sin(0.7) ** 2 + 1.44 + 3 * np.sin(1.2) ** 2,
                                                         rel=1e-14)
    g = 2 * x + 3 * np.sin(2 * x)
    np.testing.assert_allclose(prob.grad(x), g)
    curv = np.diag(prob.hess(np.linspace(-2, 2, 41)))
    assert curv.min() < 0 and np.abs(curv).max() <= prob.L  # not convex, 8-smooth
    keep = x != 0
    assert np.min(g[keep] ** 2 / (2 * fx[keep])) >= 1 / 32  # PL with Karimi, Nutini and Schmidt's constant
    rng = np.random.default_rng(1)
    for z in rng.standard_normal((5, 3)):
        h = 1e-6
        fd = np.array([(prob.f(z + h * e) - prob.f(z - h * e)) / (2 * h) for e in np.eye(3)])
        np.testing.assert_allclose(prob.grad(z), fd, rtol=1e-6, atol=1e-7)


def test_lessard_pieces_are_continuous_and_its_gradient_is_f_prime():
    prob = obj.lessard()
    assert prob.L == 25.0 and prob.f_min == 0.0 and prob.f(np.zeros(1)) == 0.0
    for z in (1.0, 2.0):  # f and f' continuous at the kinks
        lo, hi = np.array([z - 1e-9]), np.array([z + 1e-9])
        assert prob.f(lo) == pytest.approx(prob.f(hi), abs=1e-6)
        assert prob.grad(lo)[0] == pytest.approx(prob.grad(hi)[0], abs=1e-6)
    for z in (-3.0, 0.4, 1.3, 1.9, 2.5, 7.0):
        h = 1e-6
        fd = (prob.f(np.array([z + h])) - prob.f(np.array([z - h]))) / (2 * h)
        assert prob.grad(np.array([z]))[0] == pytest.approx(fd, rel=1e-7)
    assert prob.hess(np.array([1.5]))[0, 0] == 1.0 and prob.hess(np.array([3.0]))[0, 0] == 25.0
    slopes = np.diff([prob.grad(np.array([z]))[0] for z in np.linspace(-2, 4, 601)]) / 0.01
    assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9  # 1-strongly convex and 25-smooth
    with pytest.raises(ValueError, match="x"):
        prob.grad(np.ones(2))


def test_problem_beta_is_its_smoothness_constant():
    # the book calls the smoothness constant beta; Problem.beta is the same number as Problem.L
    assert obj.quadratic(np.diag([1.0, 3.0])).beta == 3.0
    assert obj.rosenbrock().beta is None
