"""Unit and property tests of nntheory.margins: the SVM against sklearn and KKT, logistic GD, net margins."""

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from sklearn.svm import SVC

from nntheory import margins as mg
from nntheory import nets, objectives, optim


# ----------------------------------------------------------------------------- linear margins


SEP_X = np.array([[1.0, 2.0], [1.5, -1.0], [3.0, 4.0], [-2.5, -4.0], [-2.0, -5.0], [-3.5, -0.5]])
SEP_Y = np.array([1, 1, 1, -1, -1, -1])


def _logistic_gd(X, y, lr, record):
    """Gradient descent on the mean logistic risk from 0, at the sorted step counts ``record``."""
    return optim.run(optim.GD(lr=lr), objectives.logistic(X, y).grad, np.zeros(X.shape[1]), record[-1])[record]


def test_hard_margin_svm_against_sklearn_and_kkt():
    w = mg.hard_margin_svm(SEP_X, SEP_Y)
    svc = SVC(kernel="linear", C=1e8, tol=1e-10).fit(np.vstack([SEP_X, -SEP_X]), np.r_[SEP_Y, -SEP_Y])
    np.testing.assert_allclose(w, svc.coef_[0], atol=1e-6)
    alpha = mg.svm_dual(SEP_X, SEP_Y, w)
    assert np.all(alpha >= -1e-12)
    np.testing.assert_allclose((alpha * SEP_Y) @ SEP_X, w, atol=1e-9)
    assert set(mg.support_vectors(SEP_X, SEP_Y, w)) == set(np.flatnonzero(alpha > 1e-12))


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
    w = mg.hard_margin_svm(X, y)
    assert np.min(y * (X @ w)) >= 1 - 1e-8
    alpha = mg.svm_dual(X, y, w)
    assert np.all(alpha >= -1e-8)
    np.testing.assert_allclose((alpha * y) @ X, w, atol=1e-6)
    # optimality: no feasible direction decreases the norm; compare with a scaled-up other separator
    assert np.linalg.norm(w) <= np.linalg.norm(u / np.min(y * (X @ u))) + 1e-9


def test_non_separable_data_gets_a_clear_error():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, 1, -1])  # x and -x share a label: no hyperplane through 0 separates them
    assert not mg.is_separable(X, y)
    assert mg.is_separable(SEP_X, SEP_Y)
    with pytest.raises(ValueError, match="not linearly separable"):
        mg.hard_margin_svm(X, y)
    with pytest.raises(ValueError, match="not linearly separable"):
        mg.logistic_offset(X, y, 0.1)
    with pytest.raises(ValueError, match=r"labels -1 and \+1"):
        mg.hard_margin_svm(SEP_X, (SEP_Y + 1) // 2)
    with pytest.raises(ValueError, match="one label per point"):
        mg.hard_margin_svm(SEP_X, SEP_Y[:-1])


def test_logistic_gd_direction_and_loss():
    record = [0, 10, 100, 1000, 10000]
    W = _logistic_gd(SEP_X, SEP_Y, 0.5, record)
    assert W.shape == (5, 2)
    np.testing.assert_array_equal(W[0], 0.0)
    risk = objectives.logistic(SEP_X, SEP_Y).f
    losses = [risk(w) for w in W]
    assert all(a > b for a, b in zip(losses, losses[1:]))
    w_hat = mg.hard_margin_svm(SEP_X, SEP_Y)
    angles = [mg.angle(w, w_hat) for w in W[1:]]
    assert angles[-1] < angles[0]
    # the mean logistic risk at w is what its definition says, also for huge margins (no overflow)
    assert risk(1e4 * w_hat) == 0.0
    assert risk(np.zeros(2)) == pytest.approx(np.log(2))


def test_logistic_offset_is_the_limit_of_rho():
    lr = 0.2
    record = [20000, 40000]
    W = _logistic_gd(SEP_X, SEP_Y, lr, record)
    w_hat = mg.hard_margin_svm(SEP_X, SEP_Y)
    w_tilde = mg.logistic_offset(SEP_X, SEP_Y, lr)
    rho = W - np.outer(np.log(record), w_hat)
    assert np.linalg.norm(rho[-1] - w_tilde) < 0.01 * np.linalg.norm(w_tilde)
    assert np.linalg.norm(rho[-1] - w_tilde) < np.linalg.norm(rho[0] - w_tilde)


def test_logistic_offset_needs_spanning_support_vectors():
    X = np.array([[1.0, 0.0], [3.0, 1.0], [-1.0, 0.0]])
    y = np.array([1, 1, -1])  # support vectors +-e1 are parallel: they do not span R^2
    with pytest.raises(ValueError, match="do not span"):
        mg.logistic_offset(X, y, 0.1)


def test_angle():
    assert mg.angle([1.0, 0.0], [0.0, 2.0]) == pytest.approx(np.pi / 2)
    assert mg.angle([1.0, 1e-9], [1.0, 0.0]) == pytest.approx(1e-9, rel=1e-6)
    with pytest.raises(ValueError, match="zero vector"):
        mg.angle([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        mg.angle([1.0], [1.0, 0.0])


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
    g, s = mg.normalized_margin(net, X, y), mg.smoothed_margin(net, X, y)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(c)
    assert mg.normalized_margin(net, X, y) == pytest.approx(g, rel=1e-9, abs=1e-15)
    # the lemma: smoothed <= normalised <= smoothed + (log n + n R) / ||theta||^L
    s, g = mg.smoothed_margin(net, X, y), mg.normalized_margin(net, X, y)
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
    assert mg.smoothed_margin(net, X, y) == pytest.approx(expected, rel=1e-12)


def test_margin_gd_records_and_balancing_identity():
    X, y = _ring(16)
    net = nets.relu_net([2, 8, 8, 1], seed=1)
    run = mg.margin_gd(net, X, y, 0.3, 300, snapshots=[0, 300], derivative_every=50)
    assert run.loss.shape == (301,) and run.layer_sq.shape == (301, 3) and run.drift_bound.shape == (301, 2)
    assert run.loss[-1] < run.loss[0]
    assert sorted(run.flow_derivative) == [0, 50, 100, 150, 200, 250, 300]
    growth = run.layer_sq - run.layer_sq[0]
    np.testing.assert_allclose(growth[:, :-1] - growth[:, 1:], run.drift_bound, atol=1e-10)
    # the final snapshot is the trained net, and nets.forward reproduces it
    final = run.snapshots[300]
    out = net(torch.as_tensor(X)).detach().numpy().ravel()
    np.testing.assert_allclose(nets.forward(nets.as_weights(final), X).ravel(), out, atol=1e-12)
    assert mg.normalized_margin(net, X, y) == pytest.approx(run.margin[-1])
    # the recorded minimising point attains the margin at the final parameters
    q_final = y * out
    assert run.argmin.shape == (301,) and run.argmin.dtype.kind == "i" and run.argmin[-1] == int(np.argmin(q_final))
    # the recorded squared gradient norm is that of the mean risk at the final parameters
    q = torch.as_tensor(y) * net(torch.as_tensor(X)).reshape(-1)
    grads = torch.autograd.grad(torch.nn.functional.softplus(-q).mean(), [m.weight for m in nets.linear_layers(net)])
    assert run.grad_sq.shape == (301,) and np.all(run.grad_sq > 0)
    assert run.grad_sq[-1] == pytest.approx(sum(float((g * g).sum()) for g in grads), rel=1e-12)


def test_margin_bad_input():
    X, y = _ring(8)
    with pytest.raises(ValueError, match="bias"):
        mg.normalized_margin(nets.relu_net([2, 4, 1], bias=True), X, y)
    with pytest.raises(ValueError, match="scalar output"):
        mg.normalized_margin(nets.relu_net([2, 4, 2]), X, y)
    with pytest.raises(ValueError, match=r"labels -1 and \+1"):
        mg.normalized_margin(nets.relu_net([2, 4, 1]), X, (y + 1) / 2)
    with pytest.raises(ValueError, match="shape"):
        mg.normalized_margin(nets.relu_net([3, 4, 1]), X, y)
    zero = nets.relu_net([2, 4, 1])
    with torch.no_grad():
        for p in zero.parameters():
            p.zero_()
    with pytest.raises(ValueError, match="all weights of net are zero"):
        mg.normalized_margin(zero, X, y)
    with pytest.raises(ValueError, match="snapshots"):
        mg.margin_gd(nets.relu_net([2, 4, 1]), X, y, 0.1, 5, snapshots=[6])


def test_decision_grid():
    net = nets.relu_net([2, 5, 1], seed=2)
    weights = [m.weight.detach() for m in nets.linear_layers(net)]
    xs, F = mg.decision_grid(weights, -1.0, 1.0, num=7)
    assert xs.shape == (7,) and F.shape == (7, 7)
    expected = net(torch.tensor([[xs[3], xs[5]]])).item()  # F[j, i] = f(xs[i], xs[j])
    assert F[5, 3] == pytest.approx(expected)
    with pytest.raises(ValueError, match="lo < hi"):
        mg.decision_grid(weights, 1.0, -1.0)
    with pytest.raises(ValueError, match="map R\\^2 to R"):
        mg.decision_grid([torch.ones(4, 3), torch.ones(1, 4)], -1.0, 1.0)
    with pytest.raises(ValueError, match="chain"):
        mg.decision_grid([torch.ones(4, 2), torch.ones(1, 3)], -1.0, 1.0)
    with pytest.raises(TypeError, match="non-empty list"):
        mg.decision_grid(torch.ones(1, 2), -1.0, 1.0)


def test_margin_gd_time_and_adaptive_step():
    X, y = _ring(16)
    run = mg.margin_gd(nets.relu_net([2, 8, 8, 1], seed=1), X, y, 0.3, 20)
    np.testing.assert_allclose(run.time, 0.3 * np.arange(21))
    net = nets.relu_net([2, 8, 8, 1], seed=1)
    mg.margin_gd(net, X, y, 0.3, 300)                       # into the small-loss regime first
    ad = mg.margin_gd(net, X, y, 0.02, 100, adaptive=True)
    assert np.all(np.diff(ad.time) > 0)
    # to first order every step lowers log R by lr (a ReLU switching pattern can cost a few per cent)
    drops = -np.diff(np.log(ad.loss))
    assert np.mean(drops) == pytest.approx(0.02, rel=0.05) and np.all(np.abs(drops / 0.02 - 1) < 0.25)
    growth = ad.layer_sq - ad.layer_sq[0]
    np.testing.assert_allclose(growth[:, :-1] - growth[:, 1:], ad.drift_bound, atol=1e-9)
    with pytest.raises(TypeError, match="adaptive must be"):
        mg.margin_gd(net, X, y, 0.1, 2, adaptive="yes")
