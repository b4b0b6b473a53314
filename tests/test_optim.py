"""Tests of nntheory.optim: torch.optim's iterates, closed forms, rates on quadratics, ODEs, bad input."""

import math

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import j1

from nntheory import optim as O

# ----------------------------------------------------------------------------- against torch.optim


def torch_iterates(cls, kwargs, grad, x0, steps):
    """Iterates of a torch.optim optimizer in float64, fed the same numpy gradient as ours."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kwargs)
    xs = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.from_numpy(np.asarray(grad(p.detach().numpy().copy()), dtype=np.float64))
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs)


def _problems():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 6)), rng.standard_normal(30)
    A = np.diag([0.5, 2.0, 10.0])
    return {
        "quadratic": (O.quadratic(A), np.array([1.0, -2.0, 0.5])),
        "rosenbrock": (O.rosenbrock(), np.array([-1.2, 1.0])),
        "least_squares": (O.least_squares(X, y), np.full(6, 2.0)),  # far: sign-like methods stay in transit
    }


PROBLEMS = _problems()

# (ours, torch class, torch kwargs); every torch-backed method, once at torch's defaults and once not
PAIRS = [
    (O.HeavyBall(lr=1e-3, momentum=0.9), torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
    (O.HeavyBall(lr=2e-3, momentum=0.5), torch.optim.SGD, dict(lr=2e-3, momentum=0.5)),
    (O.Nesterov(lr=1e-3, momentum=0.9), torch.optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True)),
    (O.Nesterov(lr=2e-3, momentum=0.5), torch.optim.SGD, dict(lr=2e-3, momentum=0.5, nesterov=True)),
    (O.AdaGrad(), torch.optim.Adagrad, dict()),
    (O.AdaGrad(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-8), torch.optim.Adagrad,
     dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-8)),
    (O.RMSProp(), torch.optim.RMSprop, dict()),
    (O.RMSProp(lr=1e-3, alpha=0.9, eps=1e-6), torch.optim.RMSprop, dict(lr=1e-3, alpha=0.9, eps=1e-6)),
    (O.AdaDelta(), torch.optim.Adadelta, dict()),
    (O.AdaDelta(lr=0.5, rho=0.95, eps=1e-5), torch.optim.Adadelta, dict(lr=0.5, rho=0.95, eps=1e-5)),
    (O.Adam(), torch.optim.Adam, dict()),
    (O.Adam(lr=1e-2, betas=(0.8, 0.99), eps=1e-6), torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
]

# Long enough to exercise momentum, accumulators and bias correction, short enough that the runs
# stay out of the oscillating regime where 1-ulp differences grow exponentially (there no two
# float implementations agree; see test_torch_itself_is_chaotic_in_long_runs).
STEPS = 120


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("ours, cls, kwargs", PAIRS, ids=[repr(p[0]) for p in PAIRS])
def test_matches_torch_optim(ours, cls, kwargs, problem):
    prob, x0 = PROBLEMS[problem]
    mine = O.run(ours, prob.grad, x0, STEPS)
    ref = torch_iterates(cls, kwargs, prob.grad, x0, STEPS)
    assert mine.shape == ref.shape == (STEPS + 1, x0.size)
    assert np.all(np.abs(np.diff(ref, axis=0)).sum(axis=1) > 0)  # the iterates really move
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-12)


def test_torch_itself_is_chaotic_in_long_runs():
    # why STEPS is modest and the least-squares start is far: RMSProp at lr 1e-2 started near the
    # minimum hops around it, and torch run from x0 and from x0 + 1e-15 parts ways 10^4-fold and more,
    # so that near the minimum no two float implementations can agree to 1e-12 for long.
    prob, x0 = PROBLEMS["least_squares"][0], np.zeros(6)
    a = torch_iterates(torch.optim.RMSprop, dict(lr=1e-2), prob.grad, x0, 300)
    b = torch_iterates(torch.optim.RMSprop, dict(lr=1e-2), prob.grad, x0 + 1e-15, 300)
    assert np.abs(a[-1] - b[-1]).max() > 1e4 * 1e-15


def test_defaults_are_torchs():
    assert O.GD().lr == 1e-3 and O.HeavyBall().lr == 1e-3 and O.Nesterov().lr == 1e-3
    ada = O.AdaGrad()
    assert (ada.lr, ada.lr_decay, ada.initial_accumulator_value, ada.eps) == (1e-2, 0.0, 0.0, 1e-10)
    rms = O.RMSProp()
    assert (rms.lr, rms.alpha, rms.eps) == (1e-2, 0.99, 1e-8)
    dl = O.AdaDelta()
    assert (dl.lr, dl.rho, dl.eps) == (1.0, 0.9, 1e-6)
    adam = O.Adam()
    assert (adam.lr, adam.betas, adam.eps) == (1e-3, (0.9, 0.999), 1e-8)


# ----------------------------------------------------------------------------- closed forms


def test_gd_on_quadratic_is_matrix_power():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 4))
    A = M @ M.T + np.eye(4)
    x0 = rng.standard_normal(4)
    lr = 0.9 / np.linalg.eigvalsh(A).max()
    xs = O.run(O.GD(lr=lr), O.quadratic(A).grad, x0, 25)
    for t in (0, 1, 7, 25):
        expect = np.linalg.matrix_power(np.eye(4) - lr * A, t) @ x0
        np.testing.assert_allclose(xs[t], expect, rtol=0, atol=1e-13)


def test_newton_one_step_on_quadratic():
    rng = np.random.default_rng(2)
    M = rng.standard_normal((5, 5))
    A, b = M @ M.T + 0.5 * np.eye(5), rng.standard_normal(5)
    grad = lambda x: A @ x - b  # noqa: E731
    xs = O.run(O.Newton(), grad, rng.standard_normal(5), 1, hess=lambda x: A)
    np.testing.assert_allclose(xs[1], np.linalg.solve(A, b), rtol=1e-12, atol=1e-12)


def test_newton_damped_and_lr():
    A = np.diag([1.0, 4.0])
    xs = O.run(O.Newton(lr=0.5, damping=1.0), lambda x: A @ x, np.array([2.0, 2.0]), 1, hess=lambda x: A)
    np.testing.assert_allclose(xs[1], [2 - 0.5 * 2 / 2, 2 - 0.5 * 8 / 5], atol=1e-15)


def test_newton_quadratic_convergence_on_rosenbrock():
    prob = O.rosenbrock()
    xs = O.run(O.Newton(), prob.grad, np.array([1.2, 1.2]), 6, hess=prob.hess)
    err = np.linalg.norm(xs - np.array([1.0, 1.0]), axis=1)
    assert err[-1] < 1e-12
    k = int(np.argmax(err < 1e-2))  # once close, the error is squared: e_{k+1} <= C e_k^2
    assert err[k + 1] <= 10 * err[k] ** 2


def test_newton_indefinite_and_singular():
    H = np.diag([1.0, -1.0])  # a saddle x^2/2 - y^2/2
    grad = lambda x: H @ x  # noqa: E731
    with pytest.raises(ValueError, match="not positive definite"):
        O.run(O.Newton(), grad, np.ones(2), 1, hess=lambda x: H)
    xs = O.run(O.Newton(allow_indefinite=True), grad, np.ones(2), 1, hess=lambda x: H)
    np.testing.assert_allclose(xs[1], 0.0, atol=1e-15)  # pure Newton jumps onto the saddle
    xs = O.run(O.Newton(damping=2.0), grad, np.ones(2), 1, hess=lambda x: H)
    assert np.all(np.isfinite(xs))
    with pytest.raises(ValueError, match="singular"):
        O.run(O.Newton(allow_indefinite=True), grad, np.ones(2), 1, hess=lambda x: np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="symmetric"):
        O.run(O.Newton(), grad, np.ones(2), 1, hess=lambda x: np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        O.run(O.Newton(), grad, np.ones(2), 1, hess=lambda x: np.eye(3))


def test_newton_needs_hessian():
    with pytest.raises(ValueError, match="Hessian"):
        O.run(O.Newton(), lambda x: x, np.ones(2), 3)
    with pytest.raises(ValueError, match="Hessian"):
        O.Newton().step(np.ones(2), np.ones(2), O.Newton().init(np.ones(2)))


def test_heavy_ball_textbook_form():
    # x_{t+1} = x_t - lr g_t + m (x_t - x_{t-1}) with x_{-1} = x_0
    prob, x0 = PROBLEMS["rosenbrock"]
    lr, m = 1e-3, 0.8
    xs = O.run(O.HeavyBall(lr=lr, momentum=m), prob.grad, x0, 50)
    prev, x = x0, x0
    for t in range(50):
        prev, x = x, x - lr * prob.grad(x) + m * (x - prev)
        np.testing.assert_allclose(xs[t + 1], x, atol=1e-13)


def test_nesterov_iterates_are_look_ahead_points():
    prob, x0 = PROBLEMS["rosenbrock"]
    lr, m = 1e-3, 0.8
    ys = O.run(O.Nesterov(lr=lr, momentum=m), prob.grad, x0, 50)
    x, v = x0.copy(), np.zeros(2)
    for t in range(50):
        v = m * v - lr * prob.grad(x + m * v)
        x = x + v
        np.testing.assert_allclose(ys[t + 1], x + m * v, atol=1e-13)


def test_adam_is_momentum_over_rmsprop_scaling():
    # with bias correction stripped (beta -> 0 makes both EMAs the raw g and g^2), Adam is sign descent
    g = np.array([3.0, -0.5, 1e-3])
    opt = O.Adam(lr=0.1, betas=(0.0, 0.0), eps=0.0)
    x1, _ = opt.step(np.zeros(3), g, opt.init(np.zeros(3)))
    np.testing.assert_allclose(x1, -0.1 * np.sign(g), atol=1e-15)
    # first step of default Adam: bias correction makes it lr * g / (|g| + eps)
    opt = O.Adam(lr=0.01)
    x1, st_ = opt.step(np.zeros(3), g, opt.init(np.zeros(3)))
    np.testing.assert_allclose(x1, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert st_["t"] == 1


def test_step_does_not_mutate():
    for opt in (O.HeavyBall(), O.Nesterov(), O.AdaGrad(), O.RMSProp(), O.AdaDelta(), O.Adam()):
        x, g = np.ones(3), np.arange(3.0)
        state = opt.init(x)
        x1, s1 = opt.step(x, g, state)
        x2, s2 = opt.step(x1, g, s1)
        snapshot = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s1.items()}
        opt.step(x1, g, s1)
        assert np.array_equal(x, np.ones(3)) and np.array_equal(g, np.arange(3.0))
        for k, v in snapshot.items():
            assert np.array_equal(s1[k], v) if isinstance(v, np.ndarray) else s1[k] == v


def test_ema_and_debias():
    assert O.ema(np.array(2.0), np.array(4.0), 0.75) == pytest.approx(2.5)
    # an EMA of a constant c started at 0 is (1 - decay^t) c; debias recovers c exactly
    avg = np.array(0.0)
    for t in range(1, 20):
        avg = O.ema(avg, np.array(3.0), 0.9)
        assert O.debias(avg, 0.9, t) == pytest.approx(3.0, rel=1e-13)


# ----------------------------------------------------------------------------- rates on quadratics


@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_rates_on_quadratics(kappa):
    mu, L = 1.0, kappa
    A = np.diag(np.linspace(mu, L, 7))
    r_gd = O.quadratic_rate(O.GD(lr=2 / (L + mu)), A)
    assert r_gd == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    assert O.quadratic_rate(O.GD(lr=1 / L), A) == pytest.approx(1 - 1 / kappa, rel=1e-12)
    sk = math.sqrt(kappa)
    # double eigenvalues (2x2 Jordan blocks) at the extremes: computed to ~sqrt(machine eps)
    lr, m = O.polyak_parameters(mu, L)
    assert O.quadratic_rate(O.HeavyBall(lr=lr, momentum=m), A) == pytest.approx((sk - 1) / (sk + 1), abs=1e-6)
    lr, m = O.nesterov_parameters(mu, L)
    assert O.quadratic_rate(O.Nesterov(lr=lr, momentum=m), A) == pytest.approx(1 - 1 / sk, abs=1e-6)


def test_iteration_matrix_reproduces_run():
    A = np.diag([1.0, 3.0, 9.0])
    x0 = np.array([1.0, 1.0, -1.0])
    for opt in (O.GD(lr=0.1), O.HeavyBall(lr=0.1, momentum=0.6), O.Nesterov(lr=0.1, momentum=0.6)):
        xs = O.run(opt, O.quadratic(A).grad, x0, 30)
        M = O.iteration_matrix(opt, A)
        if M.shape == (3, 3):
            np.testing.assert_allclose(xs[30], np.linalg.matrix_power(M, 30) @ x0, atol=1e-13)
        else:
            z = np.concatenate([xs[1], xs[0]])
            np.testing.assert_allclose(xs[30], (np.linalg.matrix_power(M, 29) @ z)[:3], atol=1e-13)
    with pytest.raises(TypeError, match="GD, HeavyBall or Nesterov"):
        O.iteration_matrix(O.Adam(), A)


@examples(40)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.05, 1.0))
def test_descent_lemma_property(seed, frac):
    # f(x_t) - f(x_{t+1}) >= lr (1 - lr beta / 2) ||g_t||^2 for lr <= 1/beta on the Cauchy regression
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((12, 3)), 3 * rng.standard_normal(12)
    prob = O.cauchy_regression(X, y)
    lr = frac / prob.beta
    xs = O.run(O.GD(lr=lr), prob.grad, rng.standard_normal(3), 30)
    for a, b in zip(xs[:-1], xs[1:]):
        g = prob.grad(a)
        assert prob.f(a) - prob.f(b) >= lr * (1 - lr * prob.beta / 2) * (g @ g) - 1e-12


def test_problem_derivatives_match_finite_differences():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    for prob, x in [(O.rosenbrock(), np.array([-0.3, 0.7])), (O.cauchy_regression(X, y), rng.standard_normal(3)),
                    (O.least_squares(X, y), rng.standard_normal(3)), (O.quadratic(np.diag([1.0, 2.0])), np.ones(2)),
                    (O.logistic_regression(X, np.sign(y), l2=0.1), rng.standard_normal(3))]:
        h, d = 1e-6, x.size
        E = np.eye(d)
        fd_g = np.array([(prob.f(x + h * e) - prob.f(x - h * e)) / (2 * h) for e in E])
        fd_h = np.array([(prob.grad(x + h * e) - prob.grad(x - h * e)) / (2 * h) for e in E])
        np.testing.assert_allclose(prob.grad(x), fd_g, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(prob.hess(x), fd_h, rtol=1e-6, atol=1e-5)


def test_logistic_beta_and_bad_labels():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((25, 3))
    prob = O.logistic_regression(X, np.sign(X[:, 0] + 0.1), l2=0.05)
    lam = np.array([np.linalg.eigvalsh(prob.hess(w)) for w in rng.standard_normal((100, 3))])
    assert lam.max() <= prob.beta and lam.min() >= 0.05 - 1e-12  # smooth and l2-strongly convex
    with pytest.raises(ValueError, match="labels"):
        O.logistic_regression(X, np.zeros(25))
    with pytest.raises(ValueError, match="l2"):
        O.logistic_regression(X, np.ones(25), l2=-1.0)


def test_cauchy_beta_bounds_the_hessian():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((15, 2)), rng.standard_normal(15)
    prob = O.cauchy_regression(X, y)
    norms = [np.abs(np.linalg.eigvalsh(prob.hess(w))).max() for w in 3 * rng.standard_normal((200, 2))]
    assert max(norms) <= prob.beta
    assert max(norms) > 0.1 * prob.beta  # the bound is not vacuous


# ----------------------------------------------------------------------------- continuous time


def test_gradient_flow_on_quadratic():
    A = np.diag([0.5, 2.0])
    t = np.linspace(0, 3, 31)
    xs = O.gradient_flow(lambda x: A @ x, np.array([1.0, -1.0]), t)
    np.testing.assert_allclose(xs, np.stack([np.exp(-0.5 * t), -np.exp(-2 * t)], axis=1), atol=1e-9)


def test_heavy_ball_flow_on_quadratic():
    # x'' + a x' + x = 0, x(0) = 1, x'(0) = 0, underdamped (a = 1): closed form
    a, t = 1.0, np.linspace(0, 8, 41)
    w = math.sqrt(1 - a**2 / 4)
    exact = np.exp(-a * t / 2) * (np.cos(w * t) + a / (2 * w) * np.sin(w * t))
    xs = O.heavy_ball_flow(lambda x: x, np.array([1.0]), t, damping=a)
    np.testing.assert_allclose(xs[:, 0], exact, atol=1e-9)


def test_nesterov_flow_on_quadratic_is_bessel():
    # Su, Boyd, Candes (2016): for f = x^2/2 the ODE x'' + 3/t x' + x = 0 gives x(t) = 2 J1(t) / t x0
    t = np.linspace(0, 20, 81)
    xs = O.nesterov_flow(lambda x: x, np.array([1.5]), t)
    exact = np.where(t > 0, 2 * j1(np.maximum(t, 1e-300)) / np.maximum(t, 1e-300), 1.0) * 1.5
    np.testing.assert_allclose(xs[:, 0], exact, atol=1e-8)


def test_nesterov_convex_rate():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((40, 10)), rng.standard_normal(40)
    prob = O.least_squares(X, y)
    s = 1 / prob.beta
    xs = O.nesterov_convex(prob.grad, np.zeros(10), 200, lr=s)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    gap = np.array([prob.f(x) - prob.f_min for x in xs])
    k = np.arange(201)
    assert np.all(gap <= 2 * (w_star @ w_star) / (s * (k + 1) ** 2) + 1e-12)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("make", [
    lambda: O.GD(lr=0), lambda: O.GD(lr=-1.0), lambda: O.HeavyBall(lr=float("nan")),
    lambda: O.HeavyBall(momentum=1.0), lambda: O.HeavyBall(momentum=-0.1), lambda: O.Nesterov(momentum=0.0),
    lambda: O.Adam(betas=(0.9, 1.0)), lambda: O.Adam(betas=(-0.1, 0.9)), lambda: O.Adam(eps=-1.0),
    lambda: O.AdaGrad(lr_decay=-1.0), lambda: O.AdaGrad(initial_accumulator_value=-1.0),
    lambda: O.RMSProp(alpha=1.0), lambda: O.AdaDelta(rho=1.5), lambda: O.Newton(damping=-1.0),
    lambda: O.polyak_parameters(2.0, 1.0), lambda: O.nesterov_convex(lambda x: x, np.ones(2), 3, lr=0.0),
])
def test_bad_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("make", [
    lambda: O.GD(lr="0.1"), lambda: O.GD(lr=True), lambda: O.Adam(betas=0.9), lambda: O.Adam(betas=(0.9,)),
    lambda: O.Newton(allow_indefinite=1),
])
def test_bad_hyperparameter_types_raise_type_error(make):
    with pytest.raises(TypeError):
        make()


def test_run_bad_input():
    g = lambda x: x  # noqa: E731
    with pytest.raises(TypeError, match="opt"):
        O.run(torch.optim.SGD, g, np.ones(2), 3)
    with pytest.raises(TypeError, match="grad"):
        O.run(O.GD(), "grad", np.ones(2), 3)
    with pytest.raises(TypeError, match="steps"):
        O.run(O.GD(), g, np.ones(2), 2.5)
    with pytest.raises(ValueError, match="steps"):
        O.run(O.GD(), g, np.ones(2), -1)
    with pytest.raises(ValueError, match="x0"):
        O.run(O.GD(), g, np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="x0"):
        O.run(O.GD(), g, np.array([1.0, np.nan]), 3)
    with pytest.raises(TypeError, match="x0"):
        O.run(O.GD(), g, np.array([1 + 1j, 0]), 3)
    with pytest.raises(TypeError, match="x0"):
        O.run(O.GD(), g, ["a", "b"], 3)
    with pytest.raises(TypeError, match="hess"):
        O.run(O.Newton(), g, np.ones(2), 3, hess=np.eye(2))


@pytest.mark.parametrize("bad_grad, err, msg", [
    (lambda x: np.ones(3), ValueError, r"shape \(2,\)"),
    (lambda x: np.ones((2, 1)), ValueError, r"shape \(2,\)"),
    (lambda x: np.array([np.nan, 0.0]), ValueError, "finite"),
    (lambda x: np.array([np.inf, 0.0]), ValueError, "finite"),
    (lambda x: None, TypeError, "grad"),
    (lambda x: np.array([1j, 0]), TypeError, "grad"),
])
def test_run_bad_gradient(bad_grad, err, msg):
    for opt in (O.GD(), O.Adam(), O.HeavyBall()):
        with pytest.raises(err, match=msg):
            O.run(opt, bad_grad, np.ones(2), 2)


def test_run_divergence_is_an_error_not_nan():
    # GD with lr far above 2/beta on a quadratic overflows; run says so instead of returning inf/nan
    with pytest.raises(ValueError, match="non-finite"):
        O.run(O.GD(lr=1e3), lambda x: x, np.ones(2), 200)
    # eps = 0 and a zero gradient: 0/0 in Adam's scaling
    with pytest.raises(ValueError, match="non-finite"):
        O.run(O.Adam(eps=0.0), lambda x: np.zeros(2), np.ones(2), 2)


def test_run_shapes_and_zero_steps():
    xs = O.run(O.GD(lr=0.1), lambda x: x, [1.0, 2.0], 0)
    assert xs.shape == (1, 2) and np.array_equal(xs[0], [1.0, 2.0])
    xs = O.run(O.Adam(), lambda x: x, np.array([1, 2]), 5)  # integer x0 becomes float64
    assert xs.shape == (6, 2) and xs.dtype == np.float64


def test_ode_bad_times():
    with pytest.raises(ValueError, match="start at 0"):
        O.gradient_flow(lambda x: x, np.ones(1), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="start at 0"):
        O.nesterov_flow(lambda x: x, np.ones(1), np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="damping"):
        O.heavy_ball_flow(lambda x: x, np.ones(1), np.array([0.0, 1.0]), damping=-1.0)


def test_newton_accepts_tiny_well_conditioned_hessian():
    # singularity is judged relative to the Hessian's own scale, not in absolute terms
    A = 1e-13 * np.diag([1.0, 2.0])
    xs = O.run(O.Newton(), lambda x: A @ x, np.array([1.0, -1.0]), 1, hess=lambda x: A)
    np.testing.assert_allclose(xs[-1], 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="singular"):
        O.run(O.Newton(), lambda x: 0 * x, np.array([1.0, -1.0]), 1, hess=lambda x: np.diag([1.0, 0.0]))
