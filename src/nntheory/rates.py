"""Rates on quadratics: the linear map of GD, heavy ball and Nesterov, its spectral radius, the optimal
parameters of Polyak and Nesterov, the Chebyshev method (the optimal polynomial on [mu, L]), and Nesterov's
scheme for convex functions (Su, Boyd, Candes).

The optimizers themselves are ``optim``'s chains; ``iteration_matrix`` derives their linear map on
``x^T A x / 2`` by probing the chain, so it applies to any method whose pieces are all linear.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _validate as v
from .optim import Context, Optimizer

__all__ = ["polyak_parameters", "nesterov_parameters", "iteration_matrix", "quadratic_rate", "chebyshev",
           "nesterov_convex"]

Array = np.ndarray


# ----------------------------------------------------------------------------- rates on quadratics


def _mu_L(mu: float, L: float) -> tuple[float, float]:
    """Checked ``0 < mu <= L``."""
    mu, L = v.positive(mu, "mu"), v.positive(L, "L")
    if mu > L:
        raise ValueError(f"need mu <= L, got mu={mu}, L={L}")
    return mu, L


def polyak_parameters(mu: float, L: float) -> tuple[float, float]:
    """Polyak's heavy-ball ``(lr, momentum)`` for eigenvalues in [mu, L]: rate (sqrt k - 1)/(sqrt k + 1)."""
    mu, L = _mu_L(mu, L)
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2


def nesterov_parameters(mu: float, L: float) -> tuple[float, float]:
    """Nesterov's ``(lr, momentum) = (1/L, (sqrt k - 1)/(sqrt k + 1))`` for mu-strongly convex, L-smooth f."""
    mu, L = _mu_L(mu, L)
    return 1 / L, (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))


def iteration_matrix(opt: Optimizer, A: Array) -> Array:
    """The linear map of one step of ``opt`` on ``f = x^T A x / 2``, on ``(x, state arrays)``, probed on basis vectors.

    Needs a chain of linear pieces (GD, HeavyBall, Nesterov, Newton), else TypeError. GD and Newton have no
    state (a ``(d, d)`` matrix); momentum adds its buffer ``b`` (``(2d, 2d)``).
    """
    if not isinstance(opt, Optimizer):
        raise TypeError(f"opt must be an nntheory.optim optimizer, got {type(opt).__name__}")
    A = v.matrix(A, "A", symmetric=True)
    if not opt._tx.linear:
        raise TypeError(f"iteration_matrix needs a linear method (GD, HeavyBall, Nesterov, Newton), got "
                        f"{type(opt).__name__} = {opt._tx.name}")
    d = A.shape[0]
    template = opt._tx.init(np.zeros(d))  # a chain's state: per piece, a tuple of length-d buffers
    n = d * (1 + sum(len(s) for s in template))
    M = np.empty((n, n))
    for j, e in enumerate(np.eye(n)):
        x, *buffers = np.split(e, n // d)
        it = iter(buffers)
        u, new = opt._tx.update(A @ x, tuple(tuple(next(it) for _ in s) for s in template), Context(A @ x, A, 1))
        M[:, j] = np.concatenate([x + u, *(b for s in new for b in s)])
    return M


def quadratic_rate(opt: Optimizer, A: Array) -> float:
    """Asymptotic contraction factor per step on ``x^T A x / 2``: the spectral radius of ``iteration_matrix``."""
    return float(np.abs(np.linalg.eigvals(iteration_matrix(opt, A))).max())


def chebyshev(grad: Callable[[Array], Array], x0: Array, steps: int, *, mu: float, L: float) -> Array:
    """The Chebyshev method for a Hessian spectrum in [mu, L]: iterates ``x_0..x_steps``, shape ``(steps + 1, d)``.

    On ``f = (x - x*)^T A (x - x*) / 2`` its error is ``P_t(A)(x_0 - x*)`` with ``P_t(lam) = T_t(u(lam)) / T_t(sigma)``,
    ``u(lam) = (L + mu - 2 lam) / (L - mu)``, ``sigma = u(0)`` and ``T_t`` the Chebyshev polynomial: of all
    polynomials of degree t with ``P(0) = 1`` the one with the smallest maximum on [mu, L]. The three-term recursion is
    ``x_1 = x_0 - g grad f(x_0)``, ``x_{t+1} = w_{t+1} (x_t - g grad f(x_t)) + (1 - w_{t+1}) x_{t-1}`` with
    ``g = 2 / (L + mu)``, ``w_2 = 2 sigma^2 / (2 sigma^2 - 1)`` and ``w_{t+1} = 1 / (1 - w_t / (4 sigma^2))``.
    (Not a chain: its coefficients change with t. They tend to heavy ball with Polyak's parameters.)
    """
    mu, L = _mu_L(mu, L)
    if mu == L:
        raise ValueError(f"need mu < L for the Chebyshev method, got mu = L = {L}")
    v.function(grad, "grad", "x -> gradient array")
    steps = v.integer(steps, "steps", least=0)
    x = v.vector(x0, "x0")
    sigma, g = (L + mu) / (L - mu), 2 / (L + mu)
    xs = np.empty((steps + 1, x.shape[0]))
    xs[0] = x
    w = 2.0  # w_1: the first step is plain gradient descent with step g
    for t in range(steps):
        step = xs[t] - g * v.vector(grad(xs[t].copy()), f"grad(x) at step {t}", x.shape[0])
        if t == 0:
            xs[1] = step
        else:
            w = 1 / (1 - w / (4 * sigma**2))
            xs[t + 1] = w * step + (1 - w) * xs[t - 1]
    return xs


def nesterov_convex(grad: Callable[[Array], Array], x0: Array, steps: int, *, lr: float) -> Array:
    """Nesterov's method for convex f with momentum ``(k-1)/(k+2)`` (Su, Boyd, Candes 2016): iterates ``x_k``.

    ``x_k = y_{k-1} - lr grad f(y_{k-1})``, ``y_k = x_k + (k - 1)/(k + 2) (x_k - x_{k-1})``, ``y_0 = x_0``.
    (Not a chain: the gradient is taken at ``y``, and the iterates returned are the ``x``.)
    """
    lr = v.positive(lr, "lr")
    v.function(grad, "grad", "x -> gradient array")
    steps = v.integer(steps, "steps", least=0)
    x = v.vector(x0, "x0")
    xs = np.empty((steps + 1, x.shape[0]))
    xs[0] = y = x
    for k in range(1, steps + 1):
        x_new = y - lr * v.vector(grad(y.copy()), f"grad(y) at step {k}", x.shape[0])
        y = x_new + (k - 1) / (k + 2) * (x_new - x)
        xs[k] = x = x_new
    return xs
