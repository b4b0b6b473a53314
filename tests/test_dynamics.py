"""Tests of nntheory.dynamics: gradients against autograd, the exact GD drift identities, gradient flow
invariants, matrix factorization, and clear errors on bad input."""

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nntheory import dynamics as dyn
from nntheory import nets

U = np.finfo(np.float64).eps / 2  # unit round-off


def _data(widths, n=12, seed=0):
    return dyn.teacher_data(widths, n, seed=seed)


widths_st = st.lists(st.integers(1, 6), min_size=2, max_size=5)


# --------------------------------------------------------------------------- gradients


@examples(30)
@given(widths=widths_st, seed=st.integers(0, 10_000), relu=st.booleans())
def test_loss_and_grads_match_autograd(widths, seed, relu):
    net = nets.relu_net(widths, seed=seed) if relu else nets.linear_net(widths, seed=seed)
    X, y = _data(widths, n=7, seed=seed)
    loss, grads = dyn.loss_and_grads(nets.weights(net, linear=True), X, y, relu=relu)
    out = net(torch.from_numpy(X))
    ref = 0.5 * ((out - torch.from_numpy(y)) ** 2).sum() / X.shape[0]
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12, abs=1e-14)
    lins = [m for m in net if isinstance(m, nn.Linear)]
    for g, lin in zip(grads, lins):
        np.testing.assert_allclose(g, lin.weight.grad.numpy(), rtol=1e-10, atol=1e-13)


@examples(30)
@given(widths=widths_st, seed=st.integers(0, 10_000))
def test_layer_inner_products_of_risk_gradient_agree(widths, seed):
    # <W_h, dR/dW_h> = (1/n) sum_k <F(x_k) - y_k, F(x_k)> for every layer h (1-homogeneity in each layer)
    ws = nets.weights(nets.relu_net(widths, seed=seed))
    X, y = _data(widths, n=9, seed=seed + 1)
    _, grads = dyn.loss_and_grads(ws, X, y)
    F = nets.forward(ws, X)
    target = float(np.sum((F - y) * F)) / X.shape[0]
    scale = max(1.0, float(np.sum(np.abs((F - y) * F))) / X.shape[0])
    for w, g in zip(ws, grads):
        assert abs(float(np.sum(w * g)) - target) <= 1e-10 * scale


def test_identity_holds_with_a_preactivation_exactly_zero():
    # a hidden unit at exactly z = 0 for one input: autograd's relu'(0) = 0 still satisfies the identity
    net = nets.relu_net([2, 3, 1], seed=4)
    X = np.array([[1.0, 0.0], [0.3, -0.7]])
    with torch.no_grad():
        net[0].weight[0] = torch.tensor([0.0, 1.0], dtype=torch.float64)  # z_0 = 0 at x = (1, 0)
    ws = nets.weights(net, linear=True)
    assert nets.forward(ws[:1], X[:1], relu=False)[0, 0] == 0.0
    y = np.array([[0.5], [-1.0]])
    _, grads = dyn.loss_and_grads(ws, X, y)
    vals = [float(np.sum(w * g)) for w, g in zip(ws, grads)]
    assert max(vals) - min(vals) <= 1e-14


# --------------------------------------------------------------------------- gradient descent


@examples(20)
@given(widths=st.lists(st.integers(1, 5), min_size=3, max_size=4), seed=st.integers(0, 1000),
       lr=st.sampled_from([1e-3, 1e-2, 5e-2]))
def test_one_step_drift_is_exactly_eta_squared_gradient_difference(widths, seed, lr):
    net = nets.relu_net(widths, seed=seed)
    X, y = _data(widths, n=6, seed=seed)
    tr = dyn.train_gd(net, X, y, lr=lr, steps=3)
    drift = np.diff(tr.sq_norms, axis=0)  # per layer, per step: ||W(t+1)||^2 - ||W(t)||^2
    pred = lr**2 * tr.grad_sq_norms[:-1]  # eta^2 ||g||^2: the first-order terms are equal for all layers
    d_meas = drift - drift[:, :1]
    d_pred = pred - pred[:, :1]
    tol = 64 * U * np.max(tr.sq_norms) * max(w * w for w in widths)
    assert np.max(np.abs(d_meas - d_pred)) <= tol


def test_cumulative_drift_layers_and_neurons():
    widths = [5, 7, 6, 2]
    net = nets.relu_net(widths, seed=1)
    X, y = _data(widths, n=20)
    lr, steps = 0.02, 200
    tr = dyn.train_gd(net, X, y, lr=lr, steps=steps, every=50)
    assert tr.t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    G = tr.info["grad_sq_sum"]
    S = np.array([g.sum() for g in G])
    d = tr.diffs[-1]
    np.testing.assert_allclose(d - d[0], lr**2 * (S - S[0]), atol=1e-12)
    for h, b in enumerate(tr.balance):
        np.testing.assert_allclose(b[-1] - b[0], lr**2 * (G[h].sum(axis=1) - G[h + 1].sum(axis=0)), atol=1e-12)
    # the records agree with recomputing from the final net
    np.testing.assert_allclose(tr.sq_norms[-1], dyn.layer_sq_norms(tr.net), rtol=1e-14)
    assert tr.loss[-1] < tr.loss[0]


@examples(20)
@given(widths=st.lists(st.integers(1, 6), min_size=3, max_size=4), seed=st.integers(0, 1000),
       lr=st.sampled_from([1e-3, 1e-2]), relu=st.booleans())
def test_neuron_drift_identity_property(widths, seed, lr, relu):
    # per hidden unit: Delta(in^2 - out^2) = lr^2 * sum_t (row_k(g_h)^2 - col_k(g_{h+1})^2), ReLU or linear
    net = nets.relu_net(widths, seed=seed) if relu else nets.linear_net(widths, seed=seed)
    X, y = _data(widths, n=8, seed=seed)
    tr = dyn.train_gd(net, X, y, lr=lr, steps=20, every=20)
    G = tr.info["grad_sq_sum"]
    scale = 1.0 + np.max(tr.sq_norms)
    for h, b in enumerate(tr.balance):
        pred = lr**2 * (G[h].sum(axis=1) - G[h + 1].sum(axis=0))
        assert np.max(np.abs(b[-1] - b[0] - pred)) <= 1e-12 * scale


def test_train_gd_does_not_mutate_and_is_deterministic():
    net = nets.relu_net([3, 4, 1], seed=2)
    before = [p.detach().clone() for p in net.parameters()]
    X, y = _data([3, 4, 1])
    a = dyn.train_gd(net, X, y[:, 0], lr=0.05, steps=10)  # 1-D targets are fine for scalar output
    b = dyn.train_gd(net, X, y, lr=0.05, steps=10)
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))
    np.testing.assert_array_equal(a.sq_norms, b.sq_norms)
    np.testing.assert_array_equal(a.dist_sq[0], 0.0)
    assert a.dist_sq.shape == (11, 2) and a.grad_sq_norms.shape == (11, 2) and a.balance[0].shape == (11, 4)


def test_gd_drift_over_fixed_horizon_shrinks_linearly_with_eta():
    widths = [4, 6, 6, 2]
    net = dyn.balance_layers(nets.relu_net(widths, seed=5))
    X, y = _data(widths, n=30)
    spreads = []
    for lr in [4e-3, 2e-3, 1e-3]:
        tr = dyn.train_gd(net, X, y, lr=lr, steps=int(round(0.5 / lr)), every=10_000)
        spreads.append(np.ptp(tr.diffs[-1]))
    ratios = np.array(spreads[:-1]) / np.array(spreads[1:])
    assert np.all((ratios > 1.6) & (ratios < 2.4)), ratios


def test_diverging_gd_raises():
    net = nets.relu_net([3, 8, 1], seed=0)
    X, y = _data([3, 8, 1])
    with pytest.raises(ValueError, match="diverged"):
        dyn.train_gd(dyn.rescale_layers(net, [10.0, 10.0]), X, y, lr=10.0, steps=200)


# --------------------------------------------------------------------------- gradient flow


def test_gradient_flow_linear_net_keeps_matrix_invariants():
    widths = [4, 5, 5, 2]
    net = nets.linear_net(widths, seed=3)
    X, y = _data(widths, n=15)
    fl = dyn.gradient_flow(net, X, y, T=2.0, n_eval=5, rtol=1e-11, atol=1e-13)
    assert fl.t[0] == 0.0 and fl.t[-1] == 2.0 and len(fl.t) == 5
    assert fl.loss[-1] < 0.9 * fl.loss[0]
    assert np.max(np.abs(np.diff(fl.diffs[-1]))) < 1e-9
    assert np.max(np.abs(fl.diffs[-1])) > 1e-2  # the norms did move
    for a, b in zip(dyn.linear_invariants(net), dyn.linear_invariants(fl.net)):
        assert np.max(np.abs(a - b)) < 1e-9


def test_gradient_flow_small_relu_net_and_gd_converges_to_it():
    widths = [2, 4, 1]
    X, y = _data(widths, n=5)
    net = dyn.balance_layers(nets.relu_net(widths, seed=3))
    fl = dyn.gradient_flow(net, X, y, T=1.0, n_eval=3)
    assert np.ptp(fl.diffs[-1]) < 1e-8
    wf = np.concatenate([w.ravel() for w in nets.weights(fl.net, linear=True)])
    errs = []
    for lr in [1e-2, 5e-3]:
        tr = dyn.train_gd(net, X, y, lr=lr, steps=int(round(1.0 / lr)), every=1000)
        errs.append(np.linalg.norm(np.concatenate([w.ravel() for w in nets.weights(tr.net, linear=True)]) - wf))
    assert errs[1] < 0.7 * errs[0]  # Euler's method: error O(eta)


def test_gradient_flow_budget_raises_with_progress():
    widths = [3, 6, 6, 1]
    X, y = _data(widths, n=8)
    net = dyn.balance_layers(nets.relu_net(widths, seed=3))
    with pytest.raises(ValueError, match="reached only t ="):
        dyn.gradient_flow(net, X, y, T=50.0, max_nfev=200)


# --------------------------------------------------------------------------- matrix factorization


def test_factorization_small_init_ends_balanced():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    alpha = 1e-3
    U0, V0 = alpha * rng.standard_normal((6, 2)), alpha * rng.standard_normal((5, 2))
    lr = 0.2 / np.linalg.norm(M, 2)
    out = dyn.factorization_gd(M, U0, V0, lr=lr, steps=3000, every=100)
    assert out.loss[-1] < 1e-10 * out.loss[0]
    drift = out.gap[-1] - out.gap[0]
    np.testing.assert_allclose(drift, lr**2 * out.grad_gap_sum, atol=1e-12)  # exact, up to round-off
    assert np.linalg.norm(out.gap[-1]) / out.u_sq[-1] < 1e-3
    np.testing.assert_allclose(out.U @ out.V.T, M, atol=1e-5)


# --------------------------------------------------------------------------- helpers


def test_balance_and_rescale_keep_or_scale_the_function():
    widths = [3, 5, 4, 2]
    net = nets.relu_net(widths, seed=8)
    X, _ = _data(widths)
    F = nets.forward(nets.weights(net, linear=True), X)
    bal = dyn.balance_layers(net)
    sq = dyn.layer_sq_norms(bal)
    np.testing.assert_allclose(sq, sq[0], rtol=1e-12)
    np.testing.assert_allclose(nets.forward(nets.weights(bal, linear=True), X), F, rtol=1e-12, atol=1e-13)
    sc = dyn.rescale_layers(net, [2.0, 0.5, 3.0])
    np.testing.assert_allclose(nets.forward(nets.weights(sc, linear=True), X), 3.0 * F, rtol=1e-12, atol=1e-13)


@examples(25)
@given(widths=st.lists(st.integers(1, 6), min_size=3, max_size=5), seed=st.integers(0, 1000))
def test_neuron_balance_and_matrix_invariant_sum_to_layer_differences(widths, seed):
    ws = nets.weights(nets.relu_net(widths, seed=seed))
    sq = dyn.layer_sq_norms(ws)
    for h, (b, inv) in enumerate(zip(dyn.neuron_balance(ws), dyn.linear_invariants(ws))):
        assert b.shape == (widths[h + 1],)
        assert np.sum(b) == pytest.approx(sq[h] - sq[h + 1], abs=1e-12)
        np.testing.assert_allclose(np.diag(inv), b, atol=1e-12)


def test_linear_net():
    net = nets.linear_net([3, 4, 2], seed=1, scale=0.5)
    assert [type(m) for m in net] == [nn.Linear, nn.Linear]
    assert nets.check_net(net, linear=True) is False and nets.check_net(nets.relu_net([3, 4, 2]), linear=True) is True
    ref = nets.relu_net([3, 4, 2], seed=1)
    np.testing.assert_allclose(net[0].weight.detach().numpy(), 0.5 / 2**0.5 * ref[0].weight.detach().numpy())


def test_with_weights_copies():
    net = nets.relu_net([2, 3, 1], seed=0)
    ws = [np.zeros((3, 2)), np.ones((1, 3))]
    new = nets.with_weights(net, ws)
    assert float(new[0].weight.detach().abs().sum()) == 0.0 and float(net[0].weight.detach().abs().sum()) > 0


# --------------------------------------------------------------------------- bad input


def test_bad_networks_name_the_layer():
    X, y = _data([2, 3, 1])
    with pytest.raises(ValueError, match="layer 2 .*bias"):
        dyn.train_gd(nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1)).double(), X, y,
                     lr=0.1, steps=1)
    with pytest.raises(TypeError, match="layer 1 is Tanh"):
        dyn.layer_sq_norms(nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 1, bias=False)))
    with pytest.raises(ValueError, match="layer 0 .*bias"):
        dyn.layer_sq_norms(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1, bias=False)))
    with pytest.raises(TypeError, match="non-empty list"):
        dyn.layer_sq_norms(np.eye(2))


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"lr": 0.0, "steps": 5}, ValueError, "lr must be > 0"),
        ({"lr": -1e-3, "steps": 5}, ValueError, "lr must be > 0"),
        ({"lr": float("nan"), "steps": 5}, ValueError, "lr must be finite"),
        ({"lr": "0.1", "steps": 5}, TypeError, "lr must be a real number"),
        ({"lr": 0.1, "steps": 0}, ValueError, "steps must be >= 1"),
        ({"lr": 0.1, "steps": 2.5}, TypeError, "steps must be an int"),
        ({"lr": 0.1, "steps": True}, TypeError, "steps must be an int"),
        ({"lr": 0.1, "steps": 5, "every": 0}, ValueError, "every must be >= 1"),
    ],
)
def test_train_gd_bad_hyperparameters(kwargs, err, match):
    X, y = _data([2, 3, 1])
    with pytest.raises(err, match=match):
        dyn.train_gd(nets.relu_net([2, 3, 1]), X, y, **kwargs)


def test_bad_data_shapes():
    net = nets.relu_net([2, 3, 2])
    X, y = _data([2, 3, 2])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        dyn.train_gd(net, X[:, :1], y, lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"y must have shape \(12, 2\)"):
        dyn.train_gd(net, X, y[:-1], lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"y must have shape"):
        dyn.train_gd(net, X, y[:, 0], lr=0.1, steps=1)  # 1-D targets only for scalar output
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        dyn.gradient_flow(net, bad, y, T=1.0)
    with pytest.raises(ValueError, match="n_eval must be >= 2"):
        dyn.gradient_flow(net, X, y, T=1.0, n_eval=1)
    with pytest.raises(ValueError, match="T must be > 0"):
        dyn.gradient_flow(net, X, y, T=0.0)


def test_bad_helper_arguments():
    net = nets.relu_net([2, 3, 1])
    with pytest.raises(ValueError, match="factors must be a sequence of 2"):
        dyn.rescale_layers(net, [1.0])
    with pytest.raises(TypeError, match="factors must be a sequence of 2"):
        dyn.rescale_layers(net, 2.0)
    with pytest.raises(ValueError, match=r"factors\[1\] must be > 0"):
        dyn.rescale_layers(net, [1.0, -2.0])
    with pytest.raises(ValueError, match=r"ws\[1\] must have shape \(1, 3\)"):
        nets.with_weights(net, [np.zeros((3, 2)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"weights\[1\] has shape"):
        dyn.layer_sq_norms([np.zeros((3, 2)), np.zeros((1, 4))])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(n, n\)"):
        dyn.neuron_balance([np.zeros(3)])
    with pytest.raises(TypeError, match="non-empty list"):
        dyn.layer_sq_norms([])
    with pytest.raises(ValueError, match="scale must be > 0"):
        nets.linear_net([2, 2], scale=0.0)
    with pytest.raises(ValueError, match="every layer to be non-zero"):
        dyn.balance_layers(nets.with_weights(net, [np.zeros((3, 2)), np.ones((1, 3))]))
    with pytest.raises(ValueError, match="n must be >= 1"):
        dyn.teacher_data([2, 1], 0)


def test_teacher_data_returns_a_zero_risk_teacher():
    X, y, teacher = dyn.teacher_data([3, 5, 2], 9, seed=4, return_teacher=True)
    X2, y2 = dyn.teacher_data([3, 5, 2], 9, seed=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert [w.shape for w in teacher] == [(5, 3), (2, 5)]
    loss, grads = dyn.loss_and_grads(teacher, X, y)
    assert loss == 0.0 and all(np.all(g == 0.0) for g in grads)
    with pytest.raises(TypeError, match="return_teacher must be a bool"):
        dyn.teacher_data([3, 1], 4, return_teacher=1)


def test_sharpness_default_tolerance_is_the_public_constant():
    import inspect

    assert inspect.signature(dyn.sharpness).parameters["tol"].default == dyn.SHARPNESS_TOL


def test_factorization_scalar_one_step():
    u, v, m, lr = 2.0, 0.5, 3.0, 0.1
    out = dyn.factorization_gd(np.array([[m]]), np.array([[u]]), np.array([[v]]), lr=lr, steps=1)
    r = u * v - m
    assert out.gap[1, 0, 0] == pytest.approx((1 - lr**2 * r**2) * (u**2 - v**2), rel=1e-14)
    assert out.gap.shape == (2, 1, 1) and out.t.tolist() == [0.0, lr]


def test_factorization_bad_input():
    M = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"U0 must have shape \(3, n\)"):
        dyn.factorization_gd(M, np.ones((2, 1)), np.ones((2, 1)), lr=0.1, steps=1)
    with pytest.raises(ValueError, match="M must have shape"):
        dyn.factorization_gd(np.ones(3), np.ones((3, 1)), np.ones((2, 1)), lr=0.1, steps=1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        dyn.factorization_gd(M, np.ones((3, 1)), np.ones((2, 1)), lr=-0.1, steps=1)
    with pytest.raises(ValueError, match="diverged"):
        dyn.factorization_gd(M, 2 * np.ones((3, 1)), np.ones((2, 1)), lr=10.0, steps=100)


def test_grad_sq_cum_gives_the_drift_identity_at_every_recorded_step():
    widths = [4, 6, 5, 2]
    net = nets.relu_net(widths, seed=3)
    X, y = _data(widths, n=15, seed=3)
    lr = 0.02
    tr = dyn.train_gd(net, X, y, lr=lr, steps=60, every=7)
    assert tr.grad_sq_cum.shape == tr.sq_norms.shape
    np.testing.assert_array_equal(tr.grad_sq_cum[0], 0.0)
    assert np.all(np.diff(tr.grad_sq_cum, axis=0) >= 0)
    d = tr.diffs
    pred = lr**2 * (tr.grad_sq_cum - tr.grad_sq_cum[:, :1])
    np.testing.assert_allclose(d - d[:, :1], pred, atol=1e-12)
    np.testing.assert_allclose(tr.grad_sq_cum[-1], [g.sum() for g in tr.info["grad_sq_sum"]], rtol=1e-12)
    flow = dyn.gradient_flow(nets.linear_net([3, 2, 1], seed=0), *_data([3, 2, 1], n=5), T=0.1, n_eval=3)
    assert flow.grad_sq_cum is None


# --------------------------------------------------------------------------- sharpness and round-off scale


def _dense_hessian(ws, X, y, relu):
    sizes = [w.size for w in ws]

    def risk(flat):
        W = [p.reshape(w.shape) for p, w in zip(torch.split(flat, sizes), ws)]
        out = nets.forward(W, torch.from_numpy(X), relu=relu)
        return 0.5 * torch.sum((out - torch.from_numpy(y)) ** 2) / X.shape[0]

    flat = torch.tensor(np.concatenate([w.ravel() for w in ws]))
    return torch.autograd.functional.hessian(risk, flat).numpy(), np.cumsum([0] + sizes)


@examples(10)
@given(widths=st.lists(st.integers(1, 5), min_size=3, max_size=4), seed=st.integers(0, 1000), relu=st.booleans())
def test_sharpness_matches_the_dense_hessian(widths, seed, relu):
    net = nets.relu_net(widths, seed=seed) if relu else nets.linear_net(widths, seed=seed)
    X, y = _data(widths, n=6, seed=seed)
    ws = nets.weights(net, linear=True)
    H, cuts = _dense_hessian(ws, X, y, relu)
    scale = 1.0 + np.abs(H).max()
    assert dyn.sharpness(net, X, y) == pytest.approx(np.linalg.eigvalsh(H)[-1], abs=1e-9 * scale)
    for h, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        assert dyn.sharpness(ws, X, y, layer=h, relu=relu) == pytest.approx(np.linalg.eigvalsh(H[a:b, a:b])[-1],
                                                                              abs=1e-9 * scale)


def test_sharpness_by_lanczos_on_a_larger_net():
    widths = [12, 10, 8, 2]
    net = nets.relu_net(widths, seed=1)
    X, y = _data(widths, n=20, seed=2)
    H, _ = _dense_hessian(nets.weights(net), X, y, True)  # 220 parameters: the Lanczos path
    assert dyn.sharpness(net, X, y, tol=1e-12) == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-9)


def test_sharpness_scales_like_c_squared_along_the_rescaling_symmetry():
    # H(D_c w) = D_c^{-1} H(w) D_c^{-1}: the block of the layer divided by c is multiplied by c^2
    widths = [6, 9, 7, 2]
    net = nets.relu_net(widths, seed=4)
    X, y = _data(widths, n=15, seed=4)
    c = 3.0
    moved = dyn.rescale_layers(net, [1.0, 1 / c, c])
    np.testing.assert_allclose(dyn.sharpness(moved, X, y, layer=1), c**2 * dyn.sharpness(net, X, y, layer=1), rtol=1e-9)
    np.testing.assert_allclose(dyn.sharpness(moved, X, y, layer=2), dyn.sharpness(net, X, y, layer=2) / c**2, rtol=1e-9)
    np.testing.assert_allclose(dyn.sharpness(moved, X, y, layer=0), dyn.sharpness(net, X, y, layer=0), rtol=1e-9)
    assert dyn.sharpness(moved, X, y) >= c**2 * dyn.sharpness(net, X, y, layer=1) * (1 - 1e-9)


def test_roundoff_scale_formula_and_bound():
    widths = [4, 6, 5, 3]
    net = nets.relu_net(widths, seed=7)
    X, y = _data(widths, n=11, seed=7)
    ws = nets.weights(net)
    a = np.abs(X)
    for w in ws:
        a = a @ np.abs(w).T
    expected = float(np.sum((a + np.abs(y)) * a)) / X.shape[0]
    assert dyn.roundoff_scale(net, X, y) == pytest.approx(expected, rel=1e-14)
    assert dyn.roundoff_scale(ws, X, y) == dyn.roundoff_scale(net, X, y)
    # the scale dominates rho = <W_h, dR/dW_h> (each term |F - y| |F| <= (a + |y|) a)
    F = nets.forward(ws, X)
    assert abs(float(np.sum((F - y) * F))) / X.shape[0] <= expected
    # and the computed per-layer inner products agree far inside gamma_nu * A
    _, grads = dyn.loss_and_grads(ws, X, y)
    inner = [float(np.sum(w * g)) for w, g in zip(ws, grads)]
    nu = X.shape[0] + 2 * sum(widths) + 2 * len(ws) + 2 + max(w.size for w in ws)
    assert np.ptp(inner) <= 2 * nu * U * expected


def test_train_gd_stop_loss_and_roundoff_tracking():
    widths = [3, 6, 1]
    net = nets.relu_net(widths, seed=0)
    X, y = _data(widths, n=10)
    full = dyn.train_gd(net, X, y, lr=0.05, steps=400, every=400, track_roundoff=True)
    target = 0.5 * (full.loss[0] + full.loss[-1])
    part = dyn.train_gd(net, X, y, lr=0.05, steps=400, every=1000, stop_loss=target, track_roundoff=True)
    k = part.info["steps"]
    assert part.info["stopped"] and not full.info["stopped"] and 0 < k < 400
    assert part.loss[-1] <= target < part.loss[0] and part.t[-1] == pytest.approx(k * 0.05)
    every = dyn.train_gd(net, X, y, lr=0.05, steps=k, every=1)
    assert np.all(every.loss[:-1] > target)  # it stopped at the first step below the target
    np.testing.assert_array_equal(part.sq_norms[-1], every.sq_norms[-1])
    assert part.info["roundoff_scale"].shape == (k + 1,) and full.info["roundoff_scale"].shape == (401,)
    np.testing.assert_allclose(part.info["roundoff_scale"], full.info["roundoff_scale"][: k + 1], rtol=1e-15)
    assert "roundoff_scale" not in every.info
    assert dyn.roundoff_scale(part.net, X, y) == pytest.approx(part.info["roundoff_scale"][-1], rel=1e-14)


def test_sharpness_and_new_options_bad_input():
    net = nets.relu_net([2, 3, 1])
    X, y = _data([2, 3, 1])
    with pytest.raises(ValueError, match="layer must be <= 1"):
        dyn.sharpness(net, X, y, layer=2)
    with pytest.raises(TypeError, match="layer must be an int"):
        dyn.sharpness(net, X, y, layer=0.5)
    with pytest.raises(ValueError, match="tol must be > 0"):
        dyn.sharpness(net, X, y, tol=0.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        dyn.sharpness(net, X, y, seed=1.5)
    with pytest.raises(TypeError, match="relu must be True or False"):
        dyn.sharpness(nets.weights(net), X, y)
    with pytest.raises(ValueError, match=r"y must have shape"):
        dyn.sharpness(net, X, y[:-1])
    with pytest.raises(ValueError, match="stop_loss must be >= 0"):
        dyn.train_gd(net, X, y, lr=0.1, steps=1, stop_loss=-1.0)
    with pytest.raises(TypeError, match="track_roundoff must be a bool"):
        dyn.train_gd(net, X, y, lr=0.1, steps=1, track_roundoff=1)
    with pytest.raises(TypeError, match="non-empty list"):
        dyn.roundoff_scale(np.eye(2), X, y)


def test_loss_and_grads_refuses_targets_of_another_shape():
    import numpy as np
    import pytest

    from nntheory import dynamics as dyn

    X, y, teacher = dyn.teacher_data([3, 4, 1], 20, seed=0, return_teacher=True)
    with pytest.raises(ValueError, match=r"y must have the outputs' shape"):
        dyn.loss_and_grads(teacher, X, y[:, 0])  # (n,) would broadcast to an (n, n) residual
    assert dyn.loss_and_grads(teacher, X, y)[0] == 0.0
    assert np.shape(y) == (20, 1)
