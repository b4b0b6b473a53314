"""The book's objectives in one place, each with its value, gradient and Hessian on numpy vectors.

``Problem`` holds ``f``, ``grad``, ``hess``, a global smoothness constant ``L`` (a Lipschitz constant
of the gradient, i.e. a bound on the Hessian's spectral norm; ``None`` where there is none) and the
minimum ``f_min`` where it is known. Data arguments come in the order ``(X, y)``, rows of ``X``
being the points; a parameter vector comes last, as in ``classification_error(X, y, w)``.
The logistic loss uses the overflow-free sigmoid ``scipy.special.expit`` and ``logaddexp``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import _validate as v

__all__ = ["Problem", "quadratic", "least_squares", "logistic", "rosenbrock", "cauchy_regression",
           "classification_error"]

Array = np.ndarray


@dataclass(frozen=True)
class Problem:
    """An objective ``f`` with ``grad`` and ``hess``, its smoothness constant ``L`` (or None) and ``f_min`` (or None)."""

    f: Callable[[Array], float]
    grad: Callable[[Array], Array]
    hess: Callable[[Array], Array]
    L: float | None
    f_min: float | None


def quadratic(A: object) -> Problem:
    """``f(x) = x^T A x / 2`` for a symmetric ``A``; ``L = ||A||_2``, ``f_min = 0`` if ``A`` is PSD (else None)."""
    A = v.matrix(A, "A", symmetric=True)
    lam = np.linalg.eigvalsh(A)
    return Problem(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, lambda x: A.copy(),
                   float(np.abs(lam).max()), 0.0 if lam.min() >= 0 else None)


def least_squares(X: object, y: object, *, mean: bool = True) -> Problem:
    """``f(w) = ||X w - y||^2 / (2n)`` (``mean=False``: ``/ 2``, no average); ``L = lambda_max(X^T X) / n`` (or ``/ 1``)."""
    X, y = v.data(X, y)
    c = 1.0 / X.shape[0] if v.boolean(mean, "mean") else 1.0
    H = c * (X.T @ X)
    f_min = 0.5 * c * float(np.sum((X @ np.linalg.lstsq(X, y, rcond=None)[0] - y) ** 2))

    def f(w: Array) -> float:
        r = X @ w - y
        return 0.5 * c * float(r @ r)

    return Problem(f, lambda w: c * (X.T @ (X @ w - y)), lambda w: H.copy(),
                   float(np.linalg.eigvalsh(H).max()), f_min)


def logistic(X: object, y: object, *, l2: float = 0.0) -> Problem:
    """``f(w) = mean_i log(1 + exp(-y_i <x_i, w>)) + l2 ||w||^2 / 2`` for labels ``y_i`` in {-1, +1}.

    Convex, ``l2``-strongly convex, ``L = lambda_max(X^T X) / (4 n) + l2`` (the loss's second derivative
    is at most 1/4); ``f_min`` is None (no closed form; on separable data with ``l2 = 0`` there is no minimum).
    """
    X, y = v.data(X, y, classes=True)
    l2 = v.nonnegative(l2, "l2")
    Z = y[:, None] * X  # margins are Z @ w
    n, d = X.shape

    def f(w: Array) -> float:
        return float(np.mean(np.logaddexp(0.0, -(Z @ w)))) + 0.5 * l2 * float(w @ w)

    def grad(w: Array) -> Array:  # d/dm log(1 + e^{-m}) = -expit(-m)
        return -(Z.T @ expit(-(Z @ w))) / n + l2 * w

    def hess(w: Array) -> Array:
        p = expit(Z @ w)
        return (Z.T * (p * (1 - p))) @ Z / n + l2 * np.eye(d)

    return Problem(f, grad, hess, float(np.linalg.eigvalsh(X.T @ X).max()) / (4 * n) + l2, None)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    """Rosenbrock's banana ``(a - x)^2 + b (y - x^2)^2`` on R^2 (minimum 0 at ``(a, a^2)``; no global ``L``)."""
    a, b = v.real(a, "a"), v.positive(b, "b")

    def f(z: Array) -> float:
        return float((a - z[0]) ** 2 + b * (z[1] - z[0] ** 2) ** 2)

    def grad(z: Array) -> Array:
        x, y = z
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    def hess(z: Array) -> Array:
        x, y = z
        return np.array([[2 - 4 * b * (y - 3 * x**2), -4 * b * x], [-4 * b * x, 2 * b]])

    return Problem(f, grad, hess, None, 0.0)


def cauchy_regression(X: object, y: object) -> Problem:
    """Robust regression ``f(w) = mean log(1 + (x_i^T w - y_i)^2)``: smooth, non-convex, ``f >= 0``.

    ``rho(r) = log(1 + r^2)`` has ``|rho''| <= 2``, so ``||hess f|| <= 2 lambda_max(X^T X) / n = L``.
    ``f_min`` is reported as the lower bound 0 (the true minimum is not known in closed form).
    """
    X, y = v.data(X, y)
    n = X.shape[0]

    def f(w: Array) -> float:
        return float(np.mean(np.log1p((X @ w - y) ** 2)))

    def grad(w: Array) -> Array:
        r = X @ w - y
        return X.T @ (2 * r / (1 + r**2)) / n

    def hess(w: Array) -> Array:
        r = X @ w - y
        return (X.T * (2 * (1 - r**2) / (1 + r**2) ** 2)) @ X / n

    return Problem(f, grad, hess, 2 * float(np.linalg.eigvalsh(X.T @ X).max()) / n, 0.0)


def classification_error(X: object, y: object, w: object) -> float:
    """Fraction of rows with ``sign(<x_i, w>) != y_i`` (a score of exactly 0 counts as an error)."""
    X, y = v.data(X, y, classes=True)
    return float(np.mean(np.sign(X @ v.vector(w, "w", X.shape[1])) != y))
