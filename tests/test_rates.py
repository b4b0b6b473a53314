"""Tests of nntheory.rates.chebyshev: the Chebyshev residual polynomial, its minimax value, its limit, bad input."""

import numpy as np
import pytest
from numpy.polynomial import chebyshev as C

from nntheory import objectives, optim
from nntheory import rates as R


def _chebyshev_residual(lam, t, mu, L):
    """T_t((L + mu - 2 lam)/(L - mu)) / T_t((L + mu)/(L - mu)), from numpy's Chebyshev series."""
    coef = [0] * t + [1]
    return C.chebval((L + mu - 2 * lam) / (L - mu), coef) / C.chebval((L + mu) / (L - mu), coef)


@pytest.mark.parametrize("mu, L", [(1.0, 100.0), (0.3, 2.0)])
def test_chebyshev_error_is_the_chebyshev_polynomial(mu, L):
    lam = np.linspace(mu, L, 257)
    xs = R.chebyshev(lambda x: lam * x, np.ones(lam.size), 40, mu=mu, L=L)
    for t in range(41):
        np.testing.assert_allclose(xs[t], _chebyshev_residual(lam, t, mu, L), atol=1e-13)


def test_chebyshev_attains_the_minimax_value_and_beats_heavy_ball():
    mu, L, t = 1.0, 100.0, 25
    q = (np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)
    lam = np.linspace(mu, L, 2001)  # holds both ends, where |T_t| = 1
    cheb = np.abs(R.chebyshev(lambda x: lam * x, np.ones(lam.size), t, mu=mu, L=L)[t]).max()
    assert cheb == pytest.approx(2 * q**t / (1 + q ** (2 * t)), rel=1e-12)
    hb = optim.run(optim.HeavyBall(*R.polyak_parameters(mu, L)), lambda x: lam * x, np.ones(lam.size), t)[t]
    assert np.abs(hb).max() > cheb


def test_chebyshev_shifted_minimiser_and_nonquadratic_input():
    # the recursion only needs a gradient: on a shifted quadratic it converges to the shifted minimiser
    A = np.diag([1.0, 3.0, 9.0])
    c = np.array([1.0, -2.0, 0.5])
    xs = R.chebyshev(lambda x: A @ (x - c), np.zeros(3), 60, mu=1.0, L=9.0)
    np.testing.assert_allclose(xs[-1], c, atol=1e-12)
    prob = objectives.sine_bowl()  # not a quadratic: still a valid (not necessarily convergent) recursion
    assert np.all(np.isfinite(R.chebyshev(prob.grad, np.array([0.1]), 5, mu=1.0, L=8.0)))


def test_chebyshev_bad_input():
    g = lambda x: x  # noqa: E731
    with pytest.raises(ValueError, match="mu < L"):
        R.chebyshev(g, np.ones(1), 3, mu=2.0, L=2.0)
    with pytest.raises(ValueError, match="mu <= L"):
        R.chebyshev(g, np.ones(1), 3, mu=3.0, L=2.0)
    with pytest.raises(ValueError, match="mu"):
        R.chebyshev(g, np.ones(1), 3, mu=0.0, L=2.0)
    with pytest.raises(TypeError, match="grad"):
        R.chebyshev("g", np.ones(1), 3, mu=1.0, L=2.0)
    with pytest.raises(ValueError, match="steps"):
        R.chebyshev(g, np.ones(1), -1, mu=1.0, L=2.0)
    with pytest.raises(ValueError, match="grad"):
        R.chebyshev(lambda x: np.ones(2), np.ones(1), 3, mu=1.0, L=2.0)
