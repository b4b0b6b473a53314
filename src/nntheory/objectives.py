"""The book's objectives in one place, each with its value, gradient and Hessian on numpy vectors.

``Problem`` holds ``f``, ``grad``, ``hess``, a global smoothness constant ``L`` (a Lipschitz constant
of the gradient, i.e. a bound on the Hessian's spectral norm; ``None`` where there is none) and the
minimum ``f_min`` where it is known. Data arguments come in the order ``(X, y)``, rows of ``X``
being the points; a parameter vector comes last, as in ``classification_error(X, y, w)``.
The logistic loss uses the overflow-free sigmoid ``scipy.special.expit`` and ``logaddexp``.
For least squares there is also a seeded minibatch gradient (``minibatch_gradient``) and the exact
mean excess risk of minibatch SGD along a run and at stationarity (``sgd_excess_risk``, ``sgd_noise_floor``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import _validate as v

__all__ = ["Problem", "quadratic", "least_squares", "logistic", "rosenbrock", "cauchy_regression",
           "classification_error", "nesterov_worst_case", "sine_bowl", "lessard", "two_layer_relu",
           "minibatch_gradient", "sgd_excess_risk", "sgd_noise_floor"]

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


def nesterov_worst_case(d: int, mu: float, L: float) -> Problem:
    """Nesterov's worst quadratic in R^d: ``(L - mu)/8 (x_1^2 + sum (x_i - x_{i+1})^2 + x_d^2 - 2 x_1) + mu |x|^2 / 2``.

    Its Hessian ``(L - mu)/4 T + mu I`` (``T`` = tridiag(-1, 2, -1)) has eigenvalues in (mu, L), so it is
    mu-strongly convex and L-smooth; ``grad f(x) = H x - (L - mu)/4 e_1``. ``f_min`` is computed by a solve.
    """
    d = v.integer(d, "d", least=2)
    mu, L = v.positive(mu, "mu"), v.positive(L, "L")
    if mu >= L:
        raise ValueError(f"need mu < L, got mu={mu}, L={L}")
    c = (L - mu) / 4
    H = c * (2 * np.eye(d) - np.eye(d, k=1) - np.eye(d, k=-1)) + mu * np.eye(d)
    b = np.zeros(d)
    b[0] = c
    x_star = np.linalg.solve(H, b)
    return Problem(lambda x: 0.5 * float(x @ H @ x) - float(b @ x), lambda x: H @ x - b, lambda x: H.copy(),
                   L, -0.5 * float(b @ x_star))


def sine_bowl() -> Problem:
    """``f(x) = sum_i x_i^2 + 3 sin^2 x_i``: smooth (``L = 8``), not convex (``f''`` reaches -4), ``f_min = 0``.

    The example of Karimi, Nutini and Schmidt (2016) of a non-convex function that satisfies the Polyak-Lojasiewicz
    inequality ``||grad f||^2 / 2 >= mu (f - f_min)`` (with ``mu = 1/32``); its only stationary point is 0.
    """

    def f(x: Array) -> float:
        return float(np.sum(x**2 + 3 * np.sin(x) ** 2))

    return Problem(f, lambda x: 2 * x + 3 * np.sin(2 * x), lambda x: np.diag(2 + 6 * np.cos(2 * x)), 8.0, 0.0)


def lessard() -> Problem:
    """Lessard, Recht and Packard's 1-D function: ``f'`` is ``25x`` below 1, ``x + 24`` on [1, 2), ``25x - 24`` above.

    ``f'`` is continuous, piecewise linear with slopes 25, 1, 25, so f is 1-strongly convex and 25-smooth (``L = 25``)
    but not twice differentiable at 1 and 2; ``f(0) = 0 = f_min``. Heavy ball with Polyak's parameters for
    ``mu = 1, L = 25`` cycles on it. ``hess`` is the slope of the piece (the right derivative at a kink).
    """

    def f(x: Array) -> float:
        z = float(v.vector(x, "x", 1)[0])
        if z < 1:
            return 12.5 * z**2
        if z < 2:
            return 12.5 + (z**2 - 1) / 2 + 24 * (z - 1)
        return 38.0 + 12.5 * (z**2 - 4) - 24 * (z - 2)

    def grad(x: Array) -> Array:
        z = float(v.vector(x, "x", 1)[0])
        return np.array([25 * z if z < 1 else (z + 24 if z < 2 else 25 * z - 24)])

    def hess(x: Array) -> Array:
        z = float(v.vector(x, "x", 1)[0])
        return np.array([[1.0 if 1 <= z < 2 else 25.0]])

    return Problem(f, grad, hess, 25.0, 0.0)


def _relu_parts(X: Array, y: Array, theta: Array, m: int) -> tuple[Array, ...]:
    """Pre-activations ``Z``, activations ``A``, pattern ``D``, output weights ``a`` and residuals ``r``."""
    n, d = X.shape
    theta = v.vector(theta, "theta", m * (d + 1))
    W, a = theta[: m * d].reshape(m, d), theta[m * d:]
    Z = X @ W.T
    A, D = np.maximum(Z, 0.0), (Z > 0).astype(float)
    return Z, A, D, a, A @ a - y


def two_layer_relu(X: object, y: object, width: int) -> Problem:
    """Square loss ``mean (a^T relu(W x_i) - y_i)^2 / 2`` of a bias-free two-layer ReLU net, ``theta = (W.ravel(), a)``.

    ``W`` is ``(width, d)`` (row-major in ``theta``), ``a`` has ``width`` entries. The gradient and Hessian use
    relu'(0) = 0 (as PyTorch); the Hessian is the one of the smooth piece the point lies in, which exists
    wherever no pre-activation is exactly 0. There is no global ``L``: the gradient jumps across the
    boundaries, and the Hessian grows like c^2 along rays c theta. ``f_min`` is None.
    """
    X, y = v.data(X, y)
    m = v.integer(width, "width", least=1)
    n, d = X.shape

    def f(theta: Array) -> float:
        return 0.5 * float(np.mean(_relu_parts(X, y, theta, m)[4] ** 2))

    def grad(theta: Array) -> Array:
        _, A, D, a, r = _relu_parts(X, y, theta, m)
        return np.concatenate([(((r[:, None] * D) * a).T @ X / n).ravel(), A.T @ r / n])

    def hess(theta: Array) -> Array:
        _, A, D, a, r = _relu_parts(X, y, theta, m)
        J = np.concatenate([((D * a)[:, :, None] * X[:, None, :]).reshape(n, m * d), A], axis=1)
        H = J.T @ J / n  # Gauss-Newton part; below, the residual times the net's own second derivative
        cross = (r[:, None] * D).T @ X / n  # d^2 F / (da_j dw_j) = 1[w_j x > 0] x, weighted by r
        rows = np.arange(m * d).reshape(m, d)
        cols = m * d + np.arange(m)
        H[rows, cols[:, None]] += cross
        H[cols[:, None], rows] += cross
        return H

    return Problem(f, grad, hess, None, None)


def minibatch_gradient(X: object, y: object, batch: int, *, seed: int, replicas: int = 1) -> Callable[[Array], Array]:
    """A seeded stochastic gradient of ``least_squares(X, y)``: the mean of ``batch`` rows drawn with replacement.

    With ``replicas = R`` the argument is ``R`` parameter vectors stacked into one of length ``R d``, and each
    gets its own independent batch, so that ``optim.run`` runs R independent SGD runs at once.
    """
    X, y = v.data(X, y)
    B = v.integer(batch, "batch", least=1)
    R = v.integer(replicas, "replicas", least=1)
    n, d = X.shape
    rng = np.random.default_rng(v.integer(seed, "seed", least=0))

    def grad(w: Array) -> Array:
        W = v.vector(w, "w", R * d).reshape(R, d, 1)
        idx = rng.integers(0, n, size=(R, B))
        Xb = X[idx]  # (R, B, d)
        r = Xb @ W - y[idx][:, :, None]  # (R, B, 1) residuals
        return (Xb.transpose(0, 2, 1) @ r).ravel() / B

    return grad


def _sgd_setup(X: object, y: object, lr: float, batch: int) -> tuple[Array, ...]:
    """Checked data, ``H = X^T X / n``, residuals ``r*`` at a least-squares solution, ``lr`` and ``batch``."""
    X, y = v.data(X, y)
    lr, B = v.positive(lr, "lr"), v.integer(batch, "batch", least=1)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, X.T @ X / X.shape[0], X @ w_star - y, w_star, lr, B


def _noise(X: Array, S: Array, cross: Array, r_star: Array) -> Array:
    """``E Cov_i(g_i(w))`` for the rows' gradients ``g_i = x_i (x_i^T w - y_i)``; ``S = E e e^T``, ``cross = X E e``."""
    n = X.shape[0]
    q = np.sum((X @ S) * X, axis=1) + 2 * cross * r_star + r_star**2
    H = X.T @ X / n
    return (X.T * q) @ X / n - H @ S @ H


def sgd_excess_risk(X: object, y: object, lr: float, batch: int, w0: object, steps: int) -> Array:
    """Exact ``E f(w_t) - f_min`` for ``t = 0..steps`` of minibatch SGD (rows drawn with replacement) on least squares.

    With ``e = w - w*``: ``E e_{t+1} = (I - lr H) E e_t`` and ``S_{t+1} = (I - lr H) S_t (I - lr H) + lr^2/batch
    E Cov_i(g_i(w_t))``, which is linear in ``(E e_t, S_t)`` because each row's gradient is affine in w.
    """
    X, H, r_star, w_star, lr, B = _sgd_setup(X, y, lr, batch)
    steps = v.integer(steps, "steps", least=0)
    e = v.vector(w0, "w0", X.shape[1]) - w_star
    S, P = np.outer(e, e), np.eye(X.shape[1]) - lr * H
    out = np.empty(steps + 1)
    for t in range(steps + 1):
        out[t] = 0.5 * float(np.sum(H * S))
        S = P @ S @ P + lr**2 / B * _noise(X, S, X @ e, r_star)
        e = P @ e
    return out


def sgd_noise_floor(X: object, y: object, lr: float, batch: int) -> float:
    """Stationary ``E f(w) - f_min`` of minibatch SGD on least squares: the fixed point of ``sgd_excess_risk``.

    The recursion's map ``T`` sends PSD matrices to PSD matrices, so when the noise ``C`` at ``w*`` is positive
    definite, ``S = T S + C`` has a positive definite solution exactly when ``T`` has spectral radius < 1
    (SGD is mean-square stable); otherwise ValueError. (A singular ``C`` is tested on the spectrum of ``T``.)
    """
    X, H, r_star, _, lr, B = _sgd_setup(X, y, lr, batch)
    n, d = X.shape
    P = np.eye(d) - lr * H
    Z = np.einsum("id,ie->ide", X, X).reshape(n, d * d)  # rows vec(x_i x_i^T)
    T = np.kron(P, P) + lr**2 / B * (Z.T @ Z / n - np.kron(H, H))
    C = lr**2 / B * (X.T * r_star**2) @ X / n
    S = np.linalg.solve(np.eye(d * d) - T, C.ravel()).reshape(d, d)
    pd_noise = np.linalg.eigvalsh(C).min() > 0
    stable = np.linalg.eigvalsh(S + S.T).min() > 0 if pd_noise else np.abs(np.linalg.eigvals(T)).max() < 1
    if not stable:
        raise ValueError(f"SGD with lr={lr}, batch={B} is not mean-square stable on this problem")
    return 0.5 * float(np.sum(H * S))
