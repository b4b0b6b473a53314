"""Implicit bias, part one: which interpolant does gradient descent pick, and how lazy is training?

* least squares ``R(w) = ||X w - y||^2 / (2n)`` (rows of ``X`` are the points): gradient flow in
  closed form, and its limit, the minimum-norm interpolant plus the start's null-space part
  (gradient *descent* on it is ``optim.run(optim.GD(lr), objectives.least_squares(X, y).grad, ...)``);
* lazy training: a centred two-layer tanh model ``alpha * h(w, x)`` with ``h(w0, .) = 0``, trained
  by gradient descent next to its linearisation at ``w0``.

Margins (logistic loss, SVM, homogeneous nets) are in ``margins``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = [
    "min_norm_solution",
    "least_squares_flow",
    "span_residual",
    "centred_init",
    "centred_model",
    "centred_jacobian",
    "LazyRun",
    "lazy_gd",
]


# ---------------------------------------------------------------------------------------------
# least squares


def min_norm_solution(X: object, y: object) -> np.ndarray:
    """Minimum-norm interpolant ``X^T (X X^T)^{-1} y``; ``X`` must have full row rank (n <= d)."""
    A, b = v.data(X, y)
    n, d = A.shape
    if n > d or np.linalg.matrix_rank(A) < n:
        raise ValueError(f"X must have full row rank (independent rows, n <= d) to interpolate, got shape {A.shape} "
                         f"and rank {np.linalg.matrix_rank(A)}")
    return A.T @ np.linalg.solve(A @ A.T, b)


def least_squares_flow(X: object, y: object, w0: object, t: object) -> np.ndarray:
    """Gradient flow on ``||Xw - y||^2/(2n)`` from ``w0`` at time(s) ``t`` (closed form; ``t = inf`` is the limit).

    In the right singular basis of ``X = U S V^T`` each coordinate relaxes on its own:
    ``a_k(t) = a_k* + (a_k(0) - a_k*) exp(-s_k^2 t / n)`` with ``a_k* = (U^T y)_k / s_k``; the
    component of ``w0`` orthogonal to the rows of ``X`` never moves. Returns shape ``(d,)`` for a
    scalar ``t``, else ``(len(t), d)``.
    """
    A, b = v.data(X, y)
    n, d = A.shape
    start = v.vector(w0, "w0", d)
    ts = np.asarray(t, dtype=np.float64)  # may hold np.inf (the limit), so not v.array
    if ts.ndim > 1:
        raise ValueError(f"t must be a number or a 1-D array of times, got shape {ts.shape}")
    if np.any(np.isnan(ts)) or np.any(ts < 0):
        raise ValueError("t must be >= 0 (np.inf gives the limit)")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > s[0] * max(n, d) * np.finfo(float).eps
    U, s, Vt = U[:, keep], s[keep], Vt[keep]
    a0 = Vt @ start
    star = (U.T @ b) / s
    rest = start - Vt.T @ a0  # component of w0 outside the row space of X: constant in time
    decay = np.exp(-np.multiply.outer(np.atleast_1d(ts), s**2) / n)  # (T, r); exp(-inf) = 0
    a = star + (a0 - star) * decay
    out = rest + a @ Vt
    return out[0] if ts.ndim == 0 else out


def span_residual(X: object, w: object) -> np.ndarray:
    """Norm of the part of ``w`` (one vector or rows of vectors) orthogonal to the span of the rows of ``X``."""
    A = v.matrix(X, "X")
    W = v.array(w, "w")
    if W.ndim not in (1, 2) or W.shape[-1] != A.shape[1]:
        raise ValueError(f"w must have shape ({A.shape[1]},) or (m, {A.shape[1]}), got {W.shape}")
    Q, _ = np.linalg.qr(A.T)  # orthonormal basis of the row space (full row rank assumed)
    perp = W - (W @ Q) @ Q.T
    return np.linalg.norm(perp, axis=-1)


# ---------------------------------------------------------------------------------------------
# lazy training: h(w, x) = g(theta1, x) - g(theta2, x), g(theta, x) = a . tanh(B x + c) / sqrt(m)


def centred_init(d: int, m: int, seed: int = 0) -> np.ndarray:
    """Parameters ``w0 = (theta0, theta0)`` of a centred width-``m`` tanh model on ``R^d`` (so ``h(w0, .) = 0``)."""
    d, m = v.integer(d, "d", least=1), v.integer(m, "m", least=1)
    rng = np.random.default_rng(seed)
    theta = np.concatenate([rng.normal(size=m), rng.normal(size=m * d), rng.normal(size=m)])  # a, B, c
    return np.concatenate([theta, theta])


def _split(w: object, d: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The two halves ``theta1, theta2`` of a centred model's parameters, and its width ``m``."""
    u = v.array(w, "w")
    if u.ndim != 1 or u.size % (2 * (d + 2)) != 0 or u.size == 0:
        raise ValueError(f"w must be a flat vector of length 2 m (d + 2) for inputs of dimension d={d}, got shape {u.shape}")
    p = u.size // 2
    return u[:p], u[p:], p // (d + 2)


def _g_and_jac(theta: np.ndarray, X: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Outputs ``g(theta, x_i)`` and Jacobian rows ``dg/dtheta`` of one tanh half."""
    d = X.shape[1]
    a, B, c = theta[:m], theta[m:m + m * d].reshape(m, d), theta[m + m * d:]
    T = np.tanh(X @ B.T + c)  # (n, m)
    D = (1 - T**2) * a / np.sqrt(m)  # d g / d (pre-activation)
    jac = np.hstack([T / np.sqrt(m), (D[:, :, None] * X[:, None, :]).reshape(len(X), -1), D])
    return T @ a / np.sqrt(m), jac


def centred_model(w: object, X: object) -> np.ndarray:
    """``h(w, x_i) = g(theta1, x_i) - g(theta2, x_i)`` for every row ``x_i`` of ``X``."""
    A = v.matrix(X, "X")
    t1, t2, m = _split(w, A.shape[1])
    return _g_and_jac(t1, A, m)[0] - _g_and_jac(t2, A, m)[0]


def centred_jacobian(w: object, X: object) -> np.ndarray:
    """Jacobian ``dh(w, x_i)/dw``, shape ``(n, len(w))``."""
    A = v.matrix(X, "X")
    t1, t2, m = _split(w, A.shape[1])
    return np.hstack([_g_and_jac(t1, A, m)[1], -_g_and_jac(t2, A, m)[1]])


@dataclass(frozen=True)
class LazyRun:
    """Record of :func:`lazy_gd`: times, risks, distances, for the model and its linearisation."""

    t: np.ndarray  # times k * lr
    risk: np.ndarray  # risk of alpha * h(w_k)
    risk_lin: np.ndarray  # risk of the linearised model at u_k
    movement: np.ndarray  # ||w_k - w0||
    dist_lin: np.ndarray  # ||w_k - u_k||
    w: np.ndarray  # final parameters of the model
    u: np.ndarray  # final parameters of the linearised model


def lazy_gd(X: object, y: object, w0: object, alpha: float, lr: float, steps: int) -> LazyRun:
    """GD on ``||alpha h(w) - y||^2/(2n)`` and, with the same step, on its linearisation at ``w0``.

    The linearised model is ``alpha J0 (u - w0)`` (``h(w0) = 0`` is required: a centred start).
    """
    A, b = v.data(X, y)
    w = v.array(w0, "w0", ndim=1)
    alpha, lr, steps = v.positive(alpha, "alpha"), v.positive(lr, "lr"), v.integer(steps, "steps", least=0)
    h0 = centred_model(w, A)
    if np.max(np.abs(h0)) > 1e-12:
        raise ValueError(f"w0 must be a centred start with h(w0, x) = 0 (got max |h| = {np.max(np.abs(h0)):.3g}); "
                         "use centred_init")
    n = len(b)
    start, u = w.copy(), w.copy()
    J0 = centred_jacobian(start, A)
    risk, risk_lin, movement, dist = (np.empty(steps + 1) for _ in range(4))
    for k in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            r = alpha * centred_model(w, A) - b
            rl = alpha * (J0 @ (u - start)) - b
            risk[k], risk_lin[k] = r @ r / (2 * n), rl @ rl / (2 * n)
        if not (np.isfinite(risk[k]) and np.isfinite(risk_lin[k]) and risk[k] < 1e100):
            raise ValueError(f"gradient descent diverged (lr={lr} too large for alpha={alpha}); "
                             "use lr ~ 1/(alpha^2 lambda_max)")
        movement[k], dist[k] = np.linalg.norm(w - start), np.linalg.norm(w - u)
        if k < steps:
            w = w - lr * alpha * (centred_jacobian(w, A).T @ r) / n
            u = u - lr * alpha * (J0.T @ rl) / n
    return LazyRun(lr * np.arange(steps + 1), risk, risk_lin, movement, dist, w, u)
