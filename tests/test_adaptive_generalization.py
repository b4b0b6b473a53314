"""Tests of nntheory.adaptive_generalization: the Wilson et al. construction and the digits protocol."""

import dataclasses

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st

from nntheory import adaptive_generalization as ag
from nntheory import objectives, optim


# ---------------------------------------------------------------- the construction


@examples(30)
@given(n=st.integers(1, 40), p=st.floats(0.51, 0.99), seed=st.integers(0, 10_000))
def test_construction_identities(n, p, seed):
    D = ag.wilson_data(n, p, n_test=7, seed=seed)
    X, y = D.X, D.y
    assert X.shape == (n, 3 + 5 * n) and y.shape == (n,)
    assert D.X_test.shape == (7, 3 + 5 * n) and D.y_test.shape == (7,)
    assert set(np.unique(y)) <= {-1.0, 1.0} and y.sum() > 0
    # each row: x_1 = y, x_2 = x_3 = 1, then 1 or 5 private ones
    assert np.array_equal(X[:, 0], y) and np.all(X[:, 1:3] == 1)
    assert np.array_equal(X[:, 3:].sum(axis=1), np.where(y > 0, 1.0, 5.0))
    # private blocks are disjoint across examples
    assert np.all(X[:, 3:].sum(axis=0) <= 1)
    s = np.sign(X.T @ y)
    assert np.array_equal(X @ s, 4 * y)  # exact: integer arithmetic in floats
    w = ag.sign_solution(X, y)
    assert np.array_equal(w, s / 4)
    # test rows share only the first three columns with training
    assert np.all(D.X_test[:, 3:] == 0) and np.array_equal(D.X_test[:, 0], D.y_test)
    # the sign solution labels every fresh point positive
    assert np.all(D.X_test @ w > 0)


def test_sign_solution_test_error_is_fraction_of_negatives():
    D = ag.wilson_data(30, 0.6, n_test=500, seed=3)
    w = ag.sign_solution(D.X, D.y)
    assert objectives.classification_error(D.X_test, D.y_test, w) == pytest.approx(np.mean(D.y_test < 0), abs=0)
    assert objectives.classification_error(D.X, D.y, w) == 0.0


@examples(30)
@given(n=st.integers(2, 40), seed=st.integers(0, 10_000))
def test_min_norm_closed_form_and_zero_test_error(n, seed):
    D = ag.wilson_data(n, 0.6, n_test=50, seed=seed)
    X, y = D.X, D.y
    w = ag.min_norm_solution(X, y)
    np.testing.assert_allclose(X @ w, y, atol=1e-10)
    P, N = int((y > 0).sum()), int((y < 0).sum())
    a_pos, a_neg = ag.min_norm_dual(P, N)
    np.testing.assert_allclose(X.T @ np.where(y > 0, a_pos, a_neg), w, atol=1e-10)
    if N >= 1:  # the proposition: with both classes present the min-norm interpolant classifies fresh points
        assert a_pos < 1 and a_neg > -0.2
        assert objectives.classification_error(D.X_test, D.y_test, w) == 0.0


def test_min_norm_fails_without_negatives():
    # with no negative training example a fresh negative point is misclassified (the proposition needs N >= 1)
    a_pos, a_neg = ag.min_norm_dual(5, 0)
    assert -1 - 5 * a_neg > 0


def test_gd_reaches_min_norm_and_adagrad_reaches_sign_solution():
    D = ag.wilson_data(12, 0.7, seed=1)
    grad = objectives.least_squares(D.X, D.y, mean=False).grad
    w0 = np.zeros(D.X.shape[1])
    L = np.linalg.eigvalsh(D.X @ D.X.T).max()
    w_gd = optim.run(optim.GD(lr=1 / L), grad, w0, 3000)[-1]
    np.testing.assert_allclose(w_gd, ag.min_norm_solution(D.X, D.y), atol=1e-9)
    w_ada = optim.run(optim.AdaGrad(lr=0.01), grad, w0, 3000)[-1]
    assert ag.cosine(w_ada, np.sign(D.X.T @ D.y)) > 1 - 1e-12
    np.testing.assert_allclose(w_ada, ag.sign_solution(D.X, D.y), atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="p must"):
        ag.wilson_data(10, 0.5)
    with pytest.raises(ValueError, match="p must"):
        ag.wilson_data(10, 1.0)
    with pytest.raises(ValueError, match="p must"):
        ag.wilson_data(10, 1.3)
    with pytest.raises(ValueError, match="n must be >= 1"):
        ag.wilson_data(0, 0.6)
    with pytest.raises(TypeError, match="n must be an int"):
        ag.wilson_data(2.5, 0.6)
    with pytest.raises(ValueError, match="n_test"):
        ag.wilson_data(3, 0.6, n_test=-1)
    X, y = np.ones((3, 4)), np.ones(3)
    with pytest.raises(ValueError, match="y"):
        ag.min_norm_solution(X, np.ones(4))
    with pytest.raises(TypeError, match="p must be a real number"):
        ag.wilson_data(10, "0.6")
    with pytest.raises(ValueError, match="y must have shape"):
        ag.sign_solution(X, np.ones(4))
    with pytest.raises(ValueError, match="X"):
        ag.sign_solution(np.ones(3), y)
    with pytest.raises(ValueError, match="same size"):
        ag.cosine(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="nonzero"):
        ag.cosine(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="at least 1"):
        ag.min_norm_dual(0, 0)
    with pytest.raises(ValueError, match="finite"):
        ag.min_norm_solution(np.full((2, 2), np.nan), np.ones(2))


def test_sign_solution_rejects_when_lemma_does_not_apply():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3, 5)), np.array([1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="not a positive multiple"):
        ag.sign_solution(X, y)


# ---------------------------------------------------------------- the digits protocol


@pytest.fixture(scope="module")
def digits():
    return ag.digits_split(n_train=200, n_dev=100, seed=0)


CURVES = ("train_loss", "train_err", "dev_loss", "dev_err", "test_err")


def test_digits_split_shapes_and_standardization(digits):
    assert digits.X_train.shape == (200, 64) and digits.X_dev.shape == (100, 64) and digits.X_test.shape == (1497, 64)
    assert digits.y_train.dtype == torch.long and set(digits.y_train.tolist()) <= set(range(10))
    m = digits.X_train.mean(0)
    assert float(m.abs().max()) < 1e-5
    # the three sets are disjoint: no image is in two of them
    rows = {tuple(r.tolist()) for X in (digits.X_train, digits.X_dev, digits.X_test) for r in X}
    assert len(rows) >= 1797 - 20  # the digits data holds a few exact duplicates
    with pytest.raises(ValueError, match="n_train"):
        ag.digits_split(n_train=1500, n_dev=300)
    with pytest.raises(ValueError, match="n_dev"):
        ag.digits_split(n_dev=0)


def test_train_digits_is_seeded_and_learns(digits):
    a = ag.train_digits(digits, "Adam", 0.01, seed=1, epochs=3, batch_size=50)
    b = ag.train_digits(digits, "Adam", 0.01, seed=1, epochs=3, batch_size=50)
    c = ag.train_digits(digits, "Adam", 0.01, seed=2, epochs=3, batch_size=50)
    assert isinstance(a, ag.Curves)
    for k in CURVES:
        assert getattr(a, k).shape == (4,) and getattr(a, k).dtype == np.float64
        assert np.array_equal(getattr(a, k), getattr(b, k))
    assert a.lr_scale.shape == (3,) and np.all(a.lr_scale == 1.0)  # decay 1: a constant rate
    assert not np.array_equal(a.train_loss, c.train_loss)
    assert a.train_loss[-1] < a.train_loss[0]
    assert np.all((a.test_err >= 0) & (a.test_err <= 1)) and np.all((a.dev_err >= 0) & (a.dev_err <= 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.train_loss = c.train_loss
    with pytest.raises(ValueError, match="method"):
        ag.train_digits(digits, "LBFGS", 0.1, seed=0)
    with pytest.raises(ValueError, match="lr"):
        ag.train_digits(digits, "SGD", -1.0, seed=0)


def test_dev_decay_follows_its_definition(digits):
    # after an epoch whose dev error is no new best, the rate is multiplied by the decay factor; else it stays
    c = ag.train_digits(digits, "SGD", 0.5, seed=0, decay=0.5, epochs=8, batch_size=50)
    best = c.dev_err[0]
    for k in range(1, 8):
        improved = c.dev_err[k] < best
        best = min(best, c.dev_err[k])
        assert c.lr_scale[k] == c.lr_scale[k - 1] * (1.0 if improved else 0.5)
    assert c.lr_scale[0] == 1.0 and c.lr_scale[-1] < 1.0  # it did decay in this run
    with pytest.raises(ValueError, match="decays"):
        ag.train_runs(digits, "SGD", [0.1], [0], decays=[1.5], epochs=1)
    with pytest.raises(ValueError, match="decays"):
        ag.train_runs(digits, "SGD", [0.1, 0.2], [0, 1], decays=[0.5], epochs=1)


def test_run_protocol_picks_lowest_final_dev_error(digits):
    P = ag.run_protocol(digits, {"SGD": [1e-4, 0.3]}, [0, 1], decays=(0.5, 1.0), epochs=2, batch_size=50,
                        max_extensions=0)
    assert set(P.tried["SGD"]) == {(1e-4, 0.5), (1e-4, 1.0), (0.3, 0.5), (0.3, 1.0)}
    assert P.best["SGD"] == min(P.tried["SGD"], key=P.tried["SGD"].get) and P.best["SGD"][0] == 0.3
    assert P.at_edge["SGD"]  # 0.3 is the largest rate tried and no extension was allowed
    assert P.curves["SGD"].test_err.shape == (2, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        P.best = {}
    with pytest.raises(ValueError, match="seeds"):
        ag.run_protocol(digits, {"SGD": [0.1, 0.2]}, [], max_extensions=0)
    with pytest.raises(ValueError, match="two rates"):
        ag.run_protocol(digits, {"SGD": [0.1]}, [0], max_extensions=0)
    with pytest.raises(ValueError, match="decays"):
        ag.run_protocol(digits, {"SGD": [0.1, 0.2]}, [0], decays=(), max_extensions=0)


@pytest.mark.parametrize("method", list(ag.METHODS))
def test_batched_runs_equal_separate_runs(digits, method):
    both = ag.train_runs(digits, method, [0.01, 0.05], [0, 1], decays=[1.0, 0.5], epochs=2, batch_size=50)
    for r, (lr, seed, d) in enumerate([(0.01, 0, 1.0), (0.05, 1, 0.5)]):
        alone = ag.train_digits(digits, method, lr, seed=seed, decay=d, epochs=2, batch_size=50)
        np.testing.assert_allclose(both.run(r).train_loss, alone.train_loss, rtol=1e-12, atol=0)
        for k in ("train_err", "dev_err", "test_err", "lr_scale"):
            np.testing.assert_array_equal(getattr(both.run(r), k), getattr(alone, k))


def test_train_runs_bad_input(digits):
    with pytest.raises(ValueError, match="equal length"):
        ag.train_runs(digits, "SGD", [0.1, 0.2], [0], epochs=1)
    with pytest.raises(ValueError, match="equal length"):
        ag.train_runs(digits, "SGD", [], [], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        ag.train_runs(digits, "SGD", [0.1], [0], epochs=0)


def test_run_protocol_extends_the_grid_when_the_winner_is_at_an_edge(digits):
    # with tiny rates the largest always wins (lowest dev loss), so the grid grows upward once per extension
    P = ag.run_protocol(digits, {"SGD": [1e-4, 2e-4]}, [0], decays=(1.0,), epochs=1, batch_size=50, max_extensions=2)
    assert sorted(lr for lr, _ in P.tried["SGD"]) == pytest.approx([1e-4, 2e-4, 4e-4, 8e-4])
    assert P.best["SGD"][0] == pytest.approx(8e-4) and P.at_edge["SGD"]


def test_power_grid():
    assert ag.power_grid(-2, 2) == [0.25, 0.5, 1.0, 2.0, 4.0]
    with pytest.raises(ValueError, match="k_lo <= k_hi"):
        ag.power_grid(2, 1)
    with pytest.raises(TypeError, match="k_lo"):
        ag.power_grid(0.5, 2)


TORCH = {"SGD": (torch.optim.SGD, {}), "HB": (torch.optim.SGD, {"momentum": 0.9}), "AdaGrad": (torch.optim.Adagrad, {}),
         "RMSProp": (torch.optim.RMSprop, {}), "Adam": (torch.optim.Adam, {})}


def _torch_reference(data, method, lr, seed, epochs, batch_size, scales=None):
    """Final training loss of one run trained the plain way: an nn.Sequential in float64 and torch.optim.

    ``scales[k]`` multiplies the learning rate during epoch k + 1 (set on the param group, as a scheduler does).
    """
    from nntheory import nets

    net = nets.relu_net([64, 64, 10], bias=True, seed=seed, dtype=torch.float32).double()
    cls, kw = TORCH[method]
    opt = cls(net.parameters(), lr=lr, **kw)
    gen = torch.Generator().manual_seed(10_000 + seed)
    ce = torch.nn.functional.cross_entropy
    for e in range(epochs):
        opt.param_groups[0]["lr"] = lr * (1.0 if scales is None else float(scales[e]))
        perm = torch.randperm(len(data.y_train), generator=gen)
        for k in range(0, len(perm), batch_size):
            idx = perm[k:k + batch_size]
            opt.zero_grad()
            ce(net(data.X_train[idx]), data.y_train[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float(ce(net(data.X_train), data.y_train))


LRS = {"SGD": 0.1, "HB": 0.05, "AdaGrad": 0.05, "RMSProp": 0.003, "Adam": 0.003}


@pytest.mark.parametrize("method", list(ag.METHODS))
def test_train_digits_matches_torch_optim(digits, method):
    # nntheory.optim's methods on the flattened parameters reproduce torch.optim on the network itself
    ours = ag.train_digits(digits, method, LRS[method], seed=3, epochs=2, batch_size=50)
    ref = _torch_reference(digits, method, LRS[method], 3, 2, 50)
    assert ours.train_loss[-1] == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("method", list(ag.METHODS))
def test_dev_decay_is_torchs_change_of_learning_rate(digits, method):
    ours = ag.train_digits(digits, method, 4 * LRS[method], seed=3, decay=0.3, epochs=8, batch_size=50)
    assert ours.lr_scale[-1] < 1.0  # the schedule did act
    ref = _torch_reference(digits, method, 4 * LRS[method], 3, 8, 50, scales=ours.lr_scale)
    assert ours.train_loss[-1] == pytest.approx(ref, rel=1e-9)


def test_digits_are_float64_and_methods_are_nntheory_optimizers(digits):
    assert digits.X_train.dtype == digits.X_dev.dtype == digits.X_test.dtype == torch.float64
    for name, make in ag.METHODS.items():
        assert isinstance(make(lr=0.1), optim.Optimizer), name
    assert ag.METHODS["HB"](lr=0.1) == optim.HeavyBall(lr=0.1, momentum=0.9)


def test_train_runs_bad_types(digits):
    with pytest.raises(ValueError, match="method must be one of"):
        ag.train_runs(digits, "LBFGS", [0.1], [0], epochs=1)
    with pytest.raises(TypeError, match="lr"):
        ag.train_runs(digits, "SGD", ["0.1"], [0], epochs=1)
    with pytest.raises(TypeError, match="batch_size"):
        ag.train_runs(digits, "SGD", [0.1], [0], epochs=1, batch_size=2.0)
    with pytest.raises(TypeError, match="decay"):
        ag.train_runs(digits, "SGD", [0.1], [0], decays=["0.5"], epochs=1)


def test_tuning_mode_computes_only_the_development_curves(digits):
    full = ag.train_runs(digits, "Adam", [0.01, 0.02], [0, 1], decays=[0.5, 1.0], epochs=3, batch_size=50)
    dev = ag.train_runs(digits, "Adam", [0.01, 0.02], [0, 1], decays=[0.5, 1.0], epochs=3, batch_size=50, full=False)
    for k in ("dev_loss", "dev_err", "lr_scale"):
        np.testing.assert_array_equal(getattr(dev, k), getattr(full, k))
    assert np.all(np.isnan(dev.train_loss)) and np.all(np.isnan(dev.test_err))
    with pytest.raises(TypeError, match="full"):
        ag.train_runs(digits, "Adam", [0.01], [0], epochs=1, full=1)
