"""Tests of nntheory.optim: torch.optim's iterates, the transformations, closed forms, rates, bad input."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st

from nntheory import objectives
from nntheory import optim as O
from nntheory import rates as R

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
        "quadratic": (objectives.quadratic(A), np.array([1.0, -2.0, 0.5])),
        "rosenbrock": (objectives.rosenbrock(), np.array([-1.2, 1.0])),
        "least_squares": (objectives.least_squares(X, y), np.full(6, 2.0)),  # far: sign-like methods stay in transit
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
    (O.Adam(amsgrad=True), torch.optim.Adam, dict(amsgrad=True)),
    (O.AMSGrad(lr=1e-2, betas=(0.8, 0.99), eps=1e-6), torch.optim.Adam,
     dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, amsgrad=True)),
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


@st.composite
def torch_settings(draw):
    """A random (ours, torch class, torch kwargs) with hyper-parameters in the ranges the methods are used in."""
    method = draw(st.sampled_from(["HeavyBall", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam", "AMSGrad"]))
    lr = draw(st.floats(1e-4, 1e-2))
    eps = draw(st.floats(1e-10, 1e-4))
    if method in ("HeavyBall", "Nesterov"):
        lr = draw(st.floats(1e-4, 1e-3))  # below 2 / L on Rosenbrock near its start
        m = draw(st.floats(0.0 if method == "HeavyBall" else 0.01, 0.95))
        return getattr(O, method)(lr=lr, momentum=m), torch.optim.SGD, dict(lr=lr, momentum=m,
                                                                             nesterov=method == "Nesterov")
    if method == "AdaGrad":
        kw = dict(lr=lr, lr_decay=draw(st.floats(0.0, 0.1)), initial_accumulator_value=draw(st.floats(0.0, 1.0)),
                  eps=eps)
        return O.AdaGrad(**kw), torch.optim.Adagrad, kw
    if method == "RMSProp":
        kw = dict(lr=lr, alpha=draw(st.floats(0.5, 0.999)), eps=eps)
        return O.RMSProp(**kw), torch.optim.RMSprop, kw
    if method == "AdaDelta":
        kw = dict(lr=draw(st.floats(0.1, 1.0)), rho=draw(st.floats(0.5, 0.99)), eps=eps)
        return O.AdaDelta(**kw), torch.optim.Adadelta, kw
    kw = dict(lr=lr, betas=(draw(st.floats(0.0, 0.95)), draw(st.floats(0.9, 0.9999))), eps=eps)
    if method == "AMSGrad":
        return O.AMSGrad(**kw), torch.optim.Adam, dict(kw, amsgrad=True)
    return O.Adam(**kw), torch.optim.Adam, kw


@examples(30)
@given(setting=torch_settings(), problem=st.sampled_from(list(PROBLEMS)))
def test_matches_torch_optim_at_random_hyperparameters(setting, problem):
    ours, cls, kwargs = setting
    prob, x0 = PROBLEMS[problem]
    mine = O.run(ours, prob.grad, x0, 60)
    ref = torch_iterates(cls, kwargs, prob.grad, x0, 60)
    # where the run itself amplifies round-off (sign-like methods hopping in Rosenbrock's valley), allow what
    # torch does to itself from a start moved by one ulp
    chaos = np.abs(torch_iterates(cls, kwargs, prob.grad, x0 + np.spacing(x0), 60) - ref).max()
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-12 + 10 * chaos)


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
    assert (dl.lr, dl.rho, dl.eps, dl.eps_dx) == (1.0, 0.9, 1e-6, None)
    adam = O.Adam()
    assert (adam.lr, adam.betas, adam.eps, adam.amsgrad) == (1e-3, (0.9, 0.999), 1e-8, False)
    ams = O.AMSGrad()
    assert (ams.lr, ams.betas, ams.eps, ams.amsgrad) == (1e-3, (0.9, 0.999), 1e-8, True)


ALL = [O.GD(), O.HeavyBall(), O.Nesterov(), O.Newton(), O.AdaGrad(), O.RMSProp(), O.AdaDelta(), O.Adam(), O.AMSGrad()]


@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_hyperparameters_are_frozen(opt):
    for f in dataclasses.fields(opt):
        if f.init:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(opt, f.name, -5)
    assert opt == type(opt)() and hash(opt) == hash(type(opt)())  # a value: equal settings, equal optimizers


def test_hyperparameters_are_stored_converted():
    opt = O.Adam(lr=1, betas=[0, np.float32(0.5)], eps=0)
    assert opt.betas == (0.0, 0.5) and isinstance(opt.betas, tuple) and type(opt.lr) is float
    assert repr(O.GD(lr=0.5)) == "GD(lr=0.5)"


# ----------------------------------------------------------------------------- the transformations


def _apply(tx, grads, x0=None):
    """Outputs of a transformation fed ``grads`` (as updates and as the context's gradient) at t = 1, 2, ..."""
    state, out = tx.init(np.zeros_like(grads[0]) if x0 is None else x0), []
    for t, g in enumerate(grads, start=1):
        u, state = tx.update(g, state, O.Context(g, None, t))
        out.append(u)
    return out


def test_ema_and_bias_correction_recover_a_constant():
    # an EMA of a constant c started at 0 is (1 - decay^t) c; the bias correction recovers c
    c = np.array([3.0, -1.0])
    out = _apply(O.chain(O.ema(0.9), O.bias_correction(0.9)), [c] * 20)
    raw = _apply(O.ema(0.9), [c] * 20)
    for t, (u, r) in enumerate(zip(out, raw), start=1):
        np.testing.assert_allclose(u, c, rtol=1e-13)
        np.testing.assert_allclose(r, (1 - 0.9**t) * c, rtol=1e-13)


def test_trace_is_the_heavy_ball_buffer():
    gs = [np.array([1.0]), np.array([2.0]), np.array([-1.0])]
    assert [float(u[0]) for u in _apply(O.trace(0.5), gs)] == [1.0, 2.5, 0.25]
    assert [float(u[0]) for u in _apply(O.trace(0.5, nesterov=True), gs)] == [1.5, 3.25, -0.875]


def test_scalings_and_schedule():
    gs = [np.array([2.0, -0.5])] * 3
    s = _apply(O.scale_by_sum_of_squares(0.0, 0.0), gs)
    np.testing.assert_allclose(s, [np.sign(gs[0]) / np.sqrt(t) for t in (1, 2, 3)], rtol=1e-15)
    r = _apply(O.scale_by_rms(0.75, 0.0), gs)  # v_t = (1 - 0.75^t) g^2
    np.testing.assert_allclose(r, [np.sign(gs[0]) / np.sqrt(1 - 0.75**t) for t in (1, 2, 3)], rtol=1e-15)
    r = _apply(O.scale_by_rms(0.75, 0.0, debias=True), gs)
    np.testing.assert_allclose(r, [np.sign(gs[0])] * 3, rtol=1e-15)
    r = _apply(O.scale_by_rms(0.5, 1.0, eps_inside=True), gs[:1])
    np.testing.assert_allclose(r[0], gs[0] / np.sqrt(0.5 * gs[0] ** 2 + 1.0), rtol=1e-15)
    out = _apply(O.scale_by_schedule(lambda t: 1.0 / t), gs)
    np.testing.assert_allclose(out, [gs[0] / t for t in (1, 2, 3)], rtol=1e-15)


def test_unit_correction_updates_with_its_output():
    tx = O.scale_by_unit_correction(0.5, 0.04)
    state = tx.init(np.zeros(1))
    u, state = tx.update(np.array([10.0]), state, O.Context(np.array([10.0]), None, 1))
    assert u[0] == pytest.approx(10 * 0.2) and state[0][0] == pytest.approx(0.5 * 4.0)
    u, state = tx.update(np.array([1.0]), state, O.Context(np.array([1.0]), None, 2))
    assert u[0] == pytest.approx(math.sqrt(2.04))


def test_adam_reads_as_momentum_rmsprop_and_bias_correction():
    opt = O.Adam(lr=0.01, betas=(0.8, 0.95), eps=1e-7)
    assert opt.transform().name == "ema -> bias_correction -> scale_by_rms -> scale(-0.01)"
    by_hand = O.chain(O.ema(0.8), O.bias_correction(0.8), O.scale_by_rms(0.95, 1e-7, debias=True), O.scale(-0.01))
    grads = list(np.random.default_rng(0).standard_normal((10, 3)))
    state = opt.init(np.zeros(3))
    for g, expect in zip(grads, _apply(by_hand, grads)):
        u, state = opt.update(g, state)
        np.testing.assert_array_equal(u, expect)
    assert state.t == 10


def test_amsgrad_reads_as_adam_with_the_running_maximum():
    assert O.AMSGrad().transform().name == "ema -> bias_correction -> scale_by_max_rms -> scale(-0.001)"
    assert O.AMSGrad(lr=0.1) == O.AMSGrad(lr=0.1) and O.Adam(amsgrad=True).transform().name == O.AMSGrad().transform().name
    # gradients that shrink: v falls, its running maximum does not, so the scaling divides by the old, larger value
    gs = [np.array([4.0]), np.array([1.0]), np.array([1.0])]
    out = _apply(O.scale_by_max_rms(0.5, 0.0), gs)
    v1, v2, v3 = 0.5 * 16, 0.25 * 16 + 0.5, 0.125 * 16 + 0.25 + 0.5  # the EMAs of g^2 from 0
    vmax = [v1, max(v1, v2), max(v1, v2, v3)]
    np.testing.assert_allclose([float(u[0]) for u in out],
                               [g[0] / np.sqrt(m / (1 - 0.5**t)) for t, (g, m) in enumerate(zip(gs, vmax), 1)], rtol=1e-15)
    with pytest.raises(ValueError, match="must be True"):
        O.AMSGrad(amsgrad=False)


def test_amsgrad_differs_from_adam_where_v_falls():
    # Reddi et al.'s sequence: a large gradient every third step; Adam's v forgets it, AMSGrad's maximum keeps it
    C = 3.0
    grad = lambda x, _it=iter(range(10**6)): np.array([C if next(_it) % 3 == 0 else -1.0])  # noqa: E731
    betas = (0.0, 1 / (1 + C**2))
    a = O.run(O.Adam(lr=0.1, betas=betas), grad, np.zeros(1), 30)
    grad = lambda x, _it=iter(range(10**6)): np.array([C if next(_it) % 3 == 0 else -1.0])  # noqa: E731
    b = O.run(O.AMSGrad(lr=0.1, betas=betas), grad, np.zeros(1), 30)
    assert a[-1, 0] > 0 > b[-1, 0]  # Adam drifts right (the wrong way), AMSGrad left


def test_lr_schedule_is_torchs_lambda_lr_and_project_clips():
    prob, x0 = PROBLEMS["quadratic"]
    sched = lambda t: 1 / math.sqrt(t)  # noqa: E731
    for ours, cls, kw in [(O.Adam(lr=0.05), torch.optim.Adam, dict(lr=0.05)),
                          (O.HeavyBall(lr=0.01, momentum=0.8), torch.optim.SGD, dict(lr=0.01, momentum=0.8))]:
        mine = O.run(ours, prob.grad, x0, 50, lr_schedule=sched)
        p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        opt = cls([p], **kw)
        lam = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: sched(k + 1))  # torch counts from 0
        ref = [x0.copy()]
        for _ in range(50):
            opt.zero_grad()
            p.grad = torch.from_numpy(prob.grad(p.detach().numpy().copy()))
            opt.step()
            lam.step()
            ref.append(p.detach().numpy().copy())
        np.testing.assert_allclose(mine, np.array(ref), rtol=0, atol=1e-12)
    xs = O.run(O.GD(lr=1.0), lambda x: -np.ones(2), np.zeros(2), 5, project=lambda x: np.clip(x, -1.5, 1.5))
    np.testing.assert_array_equal(xs[:, 0], [0, 1, 1.5, 1.5, 1.5, 1.5])
    with pytest.raises(TypeError, match="lr_schedule"):
        O.run(O.GD(), lambda x: x, np.ones(2), 2, lr_schedule=0.5)
    with pytest.raises(TypeError, match="project"):
        O.run(O.GD(), lambda x: x, np.ones(2), 2, project="clip")
    with pytest.raises(ValueError, match=r"project\(x\) at step 1"):
        O.run(O.GD(), lambda x: x, np.ones(2), 2, project=lambda x: np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        O.run(O.GD(), lambda x: x, np.ones(2), 2, lr_schedule=lambda t: float("nan"))


def test_adadelta_with_two_epsilons_is_unit_consistent():
    # measuring x in units 1/c (x = z / c): g_z = g_x / c; with eps_dx -> c^2 eps_dx and eps -> eps / c^2 the run in
    # z is the run in x, scaled; with one eps for both roots (the paper's and torch's) it is not
    A, c = np.diag([1.0, 30.0]), 100.0
    gx = lambda x: A @ x  # noqa: E731
    gz = lambda z: gx(z / c) / c  # noqa: E731
    x0 = np.array([1.0, -0.5])
    xs = O.run(O.AdaDelta(eps=1e-6, eps_dx=1e-4), gx, x0, 200)
    zs = O.run(O.AdaDelta(eps=1e-6 / c**2, eps_dx=1e-4 * c**2), gz, c * x0, 200)
    np.testing.assert_allclose(zs / c, xs, rtol=1e-12, atol=1e-15)
    zs1 = O.run(O.AdaDelta(eps=1e-6), gz, c * x0, 200)
    xs1 = O.run(O.AdaDelta(eps=1e-6), gx, x0, 200)
    assert np.abs(zs1 / c - xs1).max() > 1e-2
    np.testing.assert_array_equal(O.run(O.AdaDelta(eps_dx=1e-6), gx, x0, 20), O.run(O.AdaDelta(), gx, x0, 20))
    with pytest.raises(ValueError, match="eps_dx"):
        O.AdaDelta(eps_dx=-1.0)


def test_chain_state_is_the_tuple_of_states():
    tx = O.chain(O.trace(0.5), O.scale(2.0), O.ema(0.5))
    state = tx.init(np.zeros(2))
    assert len(state) == 3 and state[1] == () and all(np.array_equal(s[0], np.zeros(2)) for s in (state[0], state[2]))
    assert tx.linear and not O.chain(O.scale(1.0), O.bias_correction(0.9)).linear


# ----------------------------------------------------------------------------- closed forms


def test_gd_on_quadratic_is_matrix_power():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 4))
    A = M @ M.T + np.eye(4)
    x0 = rng.standard_normal(4)
    lr = 0.9 / np.linalg.eigvalsh(A).max()
    xs = O.run(O.GD(lr=lr), objectives.quadratic(A).grad, x0, 25)
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
    prob = objectives.rosenbrock()
    xs = O.run(O.Newton(), prob.grad, np.array([1.2, 1.2]), 6, hess=prob.hess)
    err = np.linalg.norm(xs - np.array([1.0, 1.0]), axis=1)
    assert err[-1] < 1e-12
    k = int(np.argmax(err < 1e-2))  # once close, the error is squared: e_{k+1} <= C e_k^2
    assert err[k + 1] <= 10 * err[k] ** 2


def test_newton_indefinite_and_singular():
    H = np.diag([1.0, -1.0])  # a saddle x^2/2 - y^2/2
    grad = lambda x: H @ x  # noqa: E731
    with pytest.raises(ValueError, match="not positive definite .* at step 0"):
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
        O.Newton().update(np.ones(2), O.Newton().init(np.ones(2)))


def test_newton_accepts_tiny_well_conditioned_hessian():
    # singularity is judged relative to the Hessian's own scale, not in absolute terms
    A = 1e-13 * np.diag([1.0, 2.0])
    xs = O.run(O.Newton(), lambda x: A @ x, np.array([1.0, -1.0]), 1, hess=lambda x: A)
    np.testing.assert_allclose(xs[-1], 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="singular"):
        O.run(O.Newton(), lambda x: 0 * x, np.array([1.0, -1.0]), 1, hess=lambda x: np.diag([1.0, 0.0]))


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
    u, _ = opt.update(g, opt.init(np.zeros(3)))
    np.testing.assert_allclose(u, -0.1 * np.sign(g), atol=1e-15)
    # first step of default Adam: bias correction makes it lr * g / (|g| + eps)
    opt = O.Adam(lr=0.01)
    u, st_ = opt.update(g, opt.init(np.zeros(3)))
    np.testing.assert_allclose(u, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert st_.t == 1


@pytest.mark.parametrize("opt", ALL, ids=lambda o: type(o).__name__)
def test_update_does_not_mutate(opt):
    x, g, h = np.ones(3), np.arange(3.0), np.diag([1.0, 2.0, 3.0])
    state = opt.init(x)
    _, s1 = opt.update(g, state, h)
    leaves = lambda s: [a for piece in s.inner for a in piece]  # noqa: E731
    snapshot = [a.copy() for a in leaves(s1)]
    u1, _ = opt.update(g, s1, h)
    u2, _ = opt.update(g, s1, h)  # the same state twice: the same updates
    np.testing.assert_array_equal(u1, u2)
    assert np.array_equal(g, np.arange(3.0)) and np.array_equal(h, np.diag([1.0, 2.0, 3.0]))
    assert all(np.array_equal(a, b) for a, b in zip(leaves(s1), snapshot)) and s1.t == 1


# ----------------------------------------------------------------------------- rates on quadratics


@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_rates_on_quadratics(kappa):
    mu, L = 1.0, kappa
    A = np.diag(np.linspace(mu, L, 7))
    r_gd = R.quadratic_rate(O.GD(lr=2 / (L + mu)), A)
    assert r_gd == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    assert R.quadratic_rate(O.GD(lr=1 / L), A) == pytest.approx(1 - 1 / kappa, rel=1e-12)
    sk = math.sqrt(kappa)
    # double eigenvalues (2x2 Jordan blocks) at the extremes: computed to ~sqrt(machine eps)
    lr, m = R.polyak_parameters(mu, L)
    assert R.quadratic_rate(O.HeavyBall(lr=lr, momentum=m), A) == pytest.approx((sk - 1) / (sk + 1), abs=1e-6)
    lr, m = R.nesterov_parameters(mu, L)
    assert R.quadratic_rate(O.Nesterov(lr=lr, momentum=m), A) == pytest.approx(1 - 1 / sk, abs=1e-6)
    assert R.quadratic_rate(O.Newton(lr=0.25), A) == pytest.approx(0.75, rel=1e-12)


def test_iteration_matrix_reproduces_run():
    A = np.diag([1.0, 3.0, 9.0])
    x0 = np.array([1.0, 1.0, -1.0])
    for opt in (O.GD(lr=0.1), O.HeavyBall(lr=0.1, momentum=0.6), O.Nesterov(lr=0.1, momentum=0.6), O.Newton(lr=0.3)):
        xs = O.run(opt, objectives.quadratic(A).grad, x0, 30, hess=lambda x: A)
        M = R.iteration_matrix(opt, A)
        z0 = np.concatenate([x0, np.zeros(M.shape[0] - 3)])  # the state starts at 0 (the momentum buffer)
        np.testing.assert_allclose(xs[30], (np.linalg.matrix_power(M, 30) @ z0)[:3], atol=1e-13)
    for opt in (O.Adam(), O.AMSGrad(), O.AdaGrad(), O.RMSProp(), O.AdaDelta()):
        with pytest.raises(TypeError, match="linear method"):
            R.iteration_matrix(opt, A)
    with pytest.raises(TypeError, match="opt"):
        R.iteration_matrix("GD", A)
    with pytest.raises(ValueError, match="symmetric"):
        R.iteration_matrix(O.GD(), np.array([[1.0, 2.0], [0.0, 1.0]]))


@examples(30)
@given(lr=st.floats(0.01, 0.3), m=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_iteration_matrix_has_the_textbook_spectrum(lr, m, seed):
    # the probed map on (x, b) is similar to the textbook recursions on (x_t, x_{t-1})
    A = np.diag(np.random.default_rng(seed).uniform(0.1, 5.0, 3))
    eye, zero = np.eye(3), np.zeros((3, 3))
    hb = np.block([[(1 + m) * eye - lr * A, -m * eye], [eye, zero]])
    B = eye - lr * A
    nag = np.block([[(1 + m) * B, -m * B], [eye, zero]])
    for opt, textbook in ((O.HeavyBall(lr=lr, momentum=m), hb), (O.Nesterov(lr=lr, momentum=m), nag)):
        ours = np.sort_complex(np.linalg.eigvals(R.iteration_matrix(opt, A)))
        np.testing.assert_allclose(ours, np.sort_complex(np.linalg.eigvals(textbook)), atol=1e-6)
    np.testing.assert_allclose(R.iteration_matrix(O.GD(lr=lr), A), eye - lr * A, rtol=0, atol=1e-15)


@examples(40)
@given(seed=st.integers(0, 10_000), frac=st.floats(0.05, 1.0))
def test_descent_lemma_property(seed, frac):
    # f(x_t) - f(x_{t+1}) >= lr (1 - lr L / 2) ||g_t||^2 for lr <= 1/L on the Cauchy regression
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((12, 3)), 3 * rng.standard_normal(12)
    prob = objectives.cauchy_regression(X, y)
    lr = frac / prob.L
    xs = O.run(O.GD(lr=lr), prob.grad, rng.standard_normal(3), 30)
    for a, b in zip(xs[:-1], xs[1:]):
        g = prob.grad(a)
        assert prob.f(a) - prob.f(b) >= lr * (1 - lr * prob.L / 2) * (g @ g) - 1e-12


def test_nesterov_convex_rate():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((40, 10)), rng.standard_normal(40)
    prob = objectives.least_squares(X, y)
    s = 1 / prob.L
    xs = R.nesterov_convex(prob.grad, np.zeros(10), 200, lr=s)
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
    lambda: R.polyak_parameters(2.0, 1.0), lambda: R.nesterov_convex(lambda x: x, np.ones(2), 3, lr=0.0),
    lambda: R.nesterov_convex(lambda x: x, np.ones(2), -1, lr=0.1),
])
def test_bad_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("make", [
    lambda: O.GD(lr="0.1"), lambda: O.GD(lr=True), lambda: O.Adam(betas=0.9), lambda: O.Adam(betas=(0.9,)),
    lambda: O.Newton(allow_indefinite=1), lambda: O.RMSProp(eps=None), lambda: O.Adam(amsgrad=1),
])
def test_bad_hyperparameter_types_raise_type_error(make):
    with pytest.raises(TypeError):
        make()


def test_error_messages_name_the_argument():
    with pytest.raises(ValueError, match="momentum must lie in"):
        O.HeavyBall(momentum=1.0)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        O.Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="lr must be > 0"):
        O.AdaDelta(lr=0.0)


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
    (lambda x: np.ones(3), ValueError, r"grad\(x\) at step 0 must have shape \(2,\)"),
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
    # GD with lr far above 2/L on a quadratic overflows; run says so instead of returning inf/nan
    with pytest.raises(ValueError, match="non-finite iterate at step"):
        O.run(O.GD(lr=1e3), lambda x: x, np.ones(2), 200)
    # eps = 0 and a zero gradient: 0/0 in Adam's scaling, at the first step
    with pytest.raises(ValueError, match="non-finite iterate at step 1 "):
        O.run(O.Adam(eps=0.0), lambda x: np.zeros(2), np.ones(2), 2)


def test_run_shapes_and_zero_steps():
    xs = O.run(O.GD(lr=0.1), lambda x: x, [1.0, 2.0], 0)
    assert xs.shape == (1, 2) and np.array_equal(xs[0], [1.0, 2.0])
    xs = O.run(O.Adam(), lambda x: x, np.array([1, 2]), 5)  # integer x0 becomes float64
    assert xs.shape == (6, 2) and xs.dtype == np.float64


def test_run_passes_copies_to_grad():
    seen = []

    def grad(x):
        seen.append(x)
        x[:] = 99.0  # scribbling on its argument must not change the run
        return np.ones(2)

    xs = O.run(O.GD(lr=0.5), grad, np.zeros(2), 2)
    np.testing.assert_array_equal(xs, [[0, 0], [-0.5, -0.5], [-1, -1]])
