"""Implicit bias, part one: which interpolant does gradient descent pick, and how lazy is training?

* least squares ``R(w) = ||X w - y||^2 / (2n)`` (rows of ``X`` are the points): gradient flow in
  closed form, and its limit, the minimum-norm interpolant plus the start's null-space part
  (gradient *descent* on it is ``optim.run(optim.GD(lr), objectives.least_squares(X, y).grad, ...)``);
* lazy training: a centred two-layer tanh model ``alpha * h(w, x)`` with ``h(w0, .) = 0``, trained
  by gradient descent next to its linearisation at ``w0``;
* a diagonal linear network ``beta = u*u - v*v`` from ``u = v = alpha``: gradient descent, and the
  minimiser of Woodworth et al.'s potential ``Q_alpha`` over the interpolants (between the minimum
  l2 and the minimum l1 interpolant, ``min_l1_solution``), and the dual certificate ``l1_certificate`` that
  sets how fast the minimum-l1 interpolant is approached as ``alpha -> 0``.

Margins (logistic loss, SVM, homogeneous nets) are in ``margins``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scipy.optimize import linprog

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
    "min_l1_solution",
    "hyperbolic_potential",
    "diagonal_limit",
    "l1_certificate",
    "DiagonalRun",
    "diagonal_gd",
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
    kernel_eig: np.ndarray  # (steps+1, 2): smallest and largest eigenvalue of K(w_k) = J(w_k) J(w_k)^T / n
    w: np.ndarray  # final parameters of the model
    u: np.ndarray  # final parameters of the linearised model


def lazy_gd(X: object, y: object, w0: object, alpha: float, lr: float, steps: int, *,
            centred: bool = True) -> LazyRun:
    """GD on ``||alpha h(w) - y||^2/(2n)`` and, with the same step, on its linearisation at ``w0``.

    The linearised model is ``alpha (h(w0) + J0 (u - w0))``. By default ``h(w0) = 0`` is required (a
    centred start, see :func:`centred_init`); ``centred=False`` allows any start.
    """
    A, b = v.data(X, y)
    w = v.array(w0, "w0", ndim=1)
    alpha, lr, steps = v.positive(alpha, "alpha"), v.positive(lr, "lr"), v.integer(steps, "steps", least=0)
    h0 = centred_model(w, A)
    if v.boolean(centred, "centred") and np.max(np.abs(h0)) > 1e-12:
        raise ValueError(f"w0 must be a centred start with h(w0, x) = 0 (got max |h| = {np.max(np.abs(h0)):.3g}); "
                         "use centred_init, or pass centred=False")
    n = len(b)
    start, u = w.copy(), w.copy()
    J0 = centred_jacobian(start, A)
    risk, risk_lin, movement, dist = (np.empty(steps + 1) for _ in range(4))
    eig = np.empty((steps + 1, 2))
    for k in range(steps + 1):
        J = centred_jacobian(w, A)
        with np.errstate(over="ignore", invalid="ignore"):
            r = alpha * centred_model(w, A) - b
            rl = alpha * (h0 + J0 @ (u - start)) - b
            risk[k], risk_lin[k] = r @ r / (2 * n), rl @ rl / (2 * n)
        if not (np.isfinite(risk[k]) and np.isfinite(risk_lin[k]) and risk[k] < 1e100):
            raise ValueError(f"gradient descent diverged (lr={lr} too large for alpha={alpha}); "
                             "use lr ~ 1/(alpha^2 lambda_max)")
        movement[k], dist[k] = np.linalg.norm(w - start), np.linalg.norm(w - u)
        lam = np.linalg.eigvalsh(J @ J.T / n)
        eig[k] = lam[0], lam[-1]
        if k < steps:
            w = w - lr * alpha * (J.T @ r) / n
            u = u - lr * alpha * (J0.T @ rl) / n
    return LazyRun(lr * np.arange(steps + 1), risk, risk_lin, movement, dist, eig, w, u)


# ---------------------------------------------------------------------------------------------
# diagonal linear networks (Woodworth et al. 2020): <u*u - v*v, x>, from u = v = alpha


def min_l1_solution(X: object, y: object) -> np.ndarray:
    """``argmin ||beta||_1 s.t. X beta = y`` (basis pursuit), as a linear program in ``beta = p - m``, ``p, m >= 0``."""
    A, b = v.data(X, y)
    d = A.shape[1]
    res = linprog(np.ones(2 * d), A_eq=np.hstack([A, -A]), b_eq=b, bounds=[(0, None)] * (2 * d), method="highs")
    if res.status != 0:
        raise ValueError(f"X beta = y has no solution (linprog: {res.message})")
    return res.x[:d] - res.x[d:]


def hyperbolic_potential(beta: object, alpha: float) -> float:
    """``Q_alpha(beta) = alpha^2 sum_i phi(beta_i / alpha^2)``, ``phi(z) = 2 - sqrt(4 + z^2) + z arcsinh(z / 2)``."""
    z = v.array(beta, "beta", ndim=1) / v.positive(alpha, "alpha") ** 2
    return float(alpha**2 * np.sum(2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2)))


def diagonal_limit(X: object, y: object, alpha: float, *, tol: float = 1e-12) -> np.ndarray:
    """``argmin Q_alpha(beta) s.t. X beta = y``, by Newton's method on the concave dual.

    The minimiser has ``phi'(beta_i / alpha^2) = arcsinh(beta_i / (2 alpha^2)) = (X^T nu)_i``, i.e.
    ``beta = 2 alpha^2 sinh(X^T nu)``, with ``nu`` the maximiser of ``<nu, y> - 2 alpha^2 sum cosh(X^T nu)``.
    """
    A, b = v.data(X, y)
    a2 = v.positive(alpha, "alpha") ** 2
    mu = np.zeros(A.shape[0])

    def dual(m: np.ndarray) -> float:  # 2 a2 sum (cosh z - 1) - <m, b>; cosh z - 1 = 2 sinh(z/2)^2 cancels nothing
        with np.errstate(over="ignore"):
            return float(4 * a2 * (np.sinh(A.T @ m / 2) ** 2).sum() - m @ b)

    for _ in range(200):
        z = A.T @ mu
        grad = A @ (2 * a2 * np.sinh(z)) - b
        if np.linalg.norm(grad) <= v.positive(tol, "tol") * max(1.0, np.linalg.norm(b)):
            return 2 * a2 * np.sinh(z)
        step = np.linalg.solve((A * (2 * a2 * np.cosh(z))) @ A.T, grad)
        t, here = 1.0, dual(mu)
        slack = 64 * np.finfo(float).eps * (abs(here) + abs(mu @ b))  # Armijo's test up to round-off in the values
        # halve until Armijo's test holds; an overflowing trial point (dual = inf) fails it, and for tiny alpha
        # (Hessian ~ alpha^2) the first Newton step is enormous, so t may have to become very small
        while not dual(mu - t * step) <= here - 0.25 * t * (grad @ step) + slack and t > 1e-300:
            t /= 2
        mu = mu - t * step
    raise RuntimeError(f"Newton's method did not converge for alpha={alpha} (residual {np.linalg.norm(grad):.3g})")


def l1_certificate(X: object, y: object, *, tol: float = 1e-9) -> tuple[np.ndarray, float]:
    """The dual certificate ``xi`` of the minimum-l1 interpolant that the rich limit selects, and ``omega_star``.

    With ``S`` the support of ``beta_l1 = min_l1_solution(X, y)`` and ``s`` its signs, ``xi`` solves the linear
    program ``min_xi max_{i not in S} |(X^T xi)_i|`` subject to ``(X^T xi)_S = s``; ``omega_star`` is that minimum.
    ``omega_star < 1`` (with ``X_S`` of full column rank) certifies that ``beta_l1`` is the unique minimum-l1
    interpolant, and ``beta_inf(alpha)`` approaches it like ``alpha^(2 (1 - omega_star))``. Coordinates whose
    ``|beta_l1,i|`` is below ``tol`` times ``max |beta_l1|`` count as off the support.
    """
    A, b = v.data(X, y)
    n, d = A.shape
    beta = min_l1_solution(A, b)
    tol = v.positive(tol, "tol")
    S = np.flatnonzero(np.abs(beta) > tol * max(np.abs(beta).max(), np.finfo(float).tiny))
    off = np.setdiff1d(np.arange(d), S)
    if S.size == 0:
        raise ValueError("y = 0: the minimum-l1 interpolant is 0 and has no support to certify")
    if off.size == 0:
        raise ValueError("the minimum-l1 interpolant has no zero coordinate: nothing to certify off its support")
    # variables (xi, t): minimise t subject to -t <= (X^T xi)_i <= t off S and (X^T xi)_S = sign(beta_S)
    Aoff = A[:, off].T
    A_ub = np.vstack([np.c_[Aoff, -np.ones(off.size)], np.c_[-Aoff, -np.ones(off.size)]])
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=A_ub, b_ub=np.zeros(2 * off.size),
                  A_eq=np.c_[A[:, S].T, np.zeros(S.size)], b_eq=np.sign(beta[S]),
                  bounds=[(None, None)] * n + [(0, None)], method="highs")
    if res.status != 0:
        raise ValueError(f"no dual certificate: the signs of beta_l1 on its support are not attainable ({res.message})")
    return res.x[:n], float(res.x[-1])


@dataclass(frozen=True)
class DiagonalRun:
    """Record of :func:`diagonal_gd`, one row per scale ``alpha``."""

    beta: np.ndarray  # (len(alphas), d): the predictor u*u - v*v after the last step
    residual: np.ndarray  # ||X beta - y|| after the last step
    movement: np.ndarray  # ||(u, v) - (alpha, alpha)||: how far the parameters moved


def diagonal_gd(X: object, y: object, alphas: object, lr: object, steps: int) -> DiagonalRun:
    """GD on ``||X (u*u - v*v) - y||^2 / (2n)`` from ``u = v = alpha`` (all ones times alpha), for each alpha at once.

    ``lr`` is one step size or one per alpha.
    """
    A, b = v.data(X, y)
    a = v.vector(alphas, "alphas")
    if np.any(a <= 0):
        raise ValueError(f"alphas must be > 0, got {a}")
    steps_ = v.integer(steps, "steps", least=0)
    eta = np.broadcast_to(v.array(lr, "lr"), a.shape).astype(float)[:, None]
    if np.any(eta <= 0):
        raise ValueError(f"lr must be > 0, got {lr}")
    n, d = A.shape
    u = np.outer(a, np.ones(d))
    w = u.copy()
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below
        for _ in range(steps_):
            g = ((u * u - w * w) @ A.T - b) @ A / n  # gradient of the risk in beta
            u, w = u - eta * 2 * u * g, w + eta * 2 * w * g
    if not np.all(np.isfinite(u)) or not np.all(np.isfinite(w)):
        raise ValueError("gradient descent diverged; use a smaller lr")
    beta = u * u - w * w
    move = np.sqrt(((u - a[:, None]) ** 2).sum(1) + ((w - a[:, None]) ** 2).sum(1))
    return DiagonalRun(beta, np.linalg.norm(beta @ A.T - b, axis=1), move)
