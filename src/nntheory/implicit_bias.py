"""Implicit bias: which solution does gradient descent pick when many fit the data?

Three settings, one per part of the chapter:

* least squares ``R(w) = ||X w - y||^2 / (2n)`` (rows of ``X`` are the points): gradient flow in
  closed form, and its limit, the minimum-norm interpolant plus the start's null-space part;
* lazy training: a centred two-layer tanh model ``alpha * h(w, x)`` with ``h(w0, .) = 0``, trained
  by gradient descent next to its linearisation at ``w0``;
* margins: gradient descent on the logistic loss of separable data, the hard-margin SVM (a
  scipy QP), and the normalized margin of bias-free ReLU nets (Lyu & Li).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linprog, minimize
from scipy.special import expit
from torch import nn

from . import nets

__all__ = [
    "min_norm_solution",
    "least_squares_flow",
    "least_squares_gd",
    "least_squares_risk",
    "span_residual",
    "centred_init",
    "centred_model",
    "centred_jacobian",
    "LazyRun",
    "lazy_gd",
    "check_labels",
    "is_separable",
    "hard_margin_svm",
    "support_vectors",
    "svm_dual",
    "logistic_risk",
    "logistic_gd",
    "logistic_offset",
    "angle",
    "normalized_margin",
    "smoothed_margin",
    "MarginRun",
    "margin_gd",
    "relu_forward",
    "decision_grid",
]


# ---------------------------------------------------------------------------------------------
# input checks


def _as_matrix(X: object, name: str = "X") -> np.ndarray:
    """``X`` as a finite float64 matrix of shape ``(n, d)``."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array of shape (n, d), got {type(X).__name__}") from exc
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array of shape (n, d), got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return A


def _as_vector(v: object, length: int, name: str) -> np.ndarray:
    """``v`` as a finite float64 vector of the given length."""
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().numpy()
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric vector, got {type(v).__name__}") from exc
    if a.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return a


def _positive(x: object, name: str) -> float:
    """``x`` as a positive finite float."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {x!r}")
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be positive and finite, got {x!r}")
    return float(x)


def _count(x: object, name: str) -> int:
    """``x`` as a non-negative int."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {x!r}")
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return int(x)


def _xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Checked data matrix and target vector of matching length."""
    A = _as_matrix(X)
    return A, _as_vector(y, A.shape[0], "y")


# ---------------------------------------------------------------------------------------------
# least squares


def least_squares_risk(X: object, y: object, w: object) -> float:
    """Empirical risk ``||X w - y||^2 / (2n)``."""
    A, b = _xy(X, y)
    r = A @ _as_vector(w, A.shape[1], "w") - b
    return float(r @ r / (2 * len(b)))


def min_norm_solution(X: object, y: object) -> np.ndarray:
    """Minimum-norm interpolant ``X^T (X X^T)^{-1} y``; ``X`` must have full row rank (n <= d)."""
    A, b = _xy(X, y)
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
    A, b = _xy(X, y)
    n, d = A.shape
    start = _as_vector(w0, d, "w0")
    ts = np.asarray(t, dtype=np.float64)
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


def least_squares_gd(X: object, y: object, w0: object, lr: float, steps: int) -> np.ndarray:
    """Gradient-descent iterates on ``||Xw - y||^2/(2n)``, shape ``(steps + 1, d)``, ``w0`` first."""
    A, b = _xy(X, y)
    w = _as_vector(w0, A.shape[1], "w0").copy()
    lr, steps = _positive(lr, "lr"), _count(steps, "steps")
    out = np.empty((steps + 1, A.shape[1]))
    out[0] = w
    n = len(b)
    for k in range(steps):
        w = w - lr * (A.T @ (A @ w - b)) / n
        out[k + 1] = w
    return out


def span_residual(X: object, w: object) -> np.ndarray:
    """Norm of the part of ``w`` (one vector or rows of vectors) orthogonal to the span of the rows of ``X``."""
    A = _as_matrix(X)
    W = np.asarray(w, dtype=np.float64)
    if W.ndim not in (1, 2) or W.shape[-1] != A.shape[1]:
        raise ValueError(f"w must have shape ({A.shape[1]},) or (m, {A.shape[1]}), got {W.shape}")
    Q, _ = np.linalg.qr(A.T)  # orthonormal basis of the row space (full row rank assumed)
    perp = W - (W @ Q) @ Q.T
    return np.linalg.norm(perp, axis=-1)


# ---------------------------------------------------------------------------------------------
# lazy training: h(w, x) = g(theta1, x) - g(theta2, x), g(theta, x) = a . tanh(B x + c) / sqrt(m)


def centred_init(d: int, m: int, seed: int = 0) -> np.ndarray:
    """Parameters ``w0 = (theta0, theta0)`` of a centred width-``m`` tanh model on ``R^d`` (so ``h(w0, .) = 0``)."""
    d, m = _count(d, "d"), _count(m, "m")
    if d == 0 or m == 0:
        raise ValueError(f"d and m must be positive, got d={d}, m={m}")
    rng = np.random.default_rng(seed)
    theta = np.concatenate([rng.normal(size=m), rng.normal(size=m * d), rng.normal(size=m)])  # a, B, c
    return np.concatenate([theta, theta])


def _split(w: object, d: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The two halves ``theta1, theta2`` of a centred model's parameters, and its width ``m``."""
    v = np.asarray(w, dtype=np.float64)
    if v.ndim != 1 or v.size % (2 * (d + 2)) != 0 or v.size == 0:
        raise ValueError(f"w must be a flat vector of length 2 m (d + 2) for inputs of dimension d={d}, got shape {v.shape}")
    p = v.size // 2
    return v[:p], v[p:], p // (d + 2)


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
    A = _as_matrix(X)
    t1, t2, m = _split(w, A.shape[1])
    return _g_and_jac(t1, A, m)[0] - _g_and_jac(t2, A, m)[0]


def centred_jacobian(w: object, X: object) -> np.ndarray:
    """Jacobian ``dh(w, x_i)/dw``, shape ``(n, len(w))``."""
    A = _as_matrix(X)
    t1, t2, m = _split(w, A.shape[1])
    return np.hstack([_g_and_jac(t1, A, m)[1], -_g_and_jac(t2, A, m)[1]])


@dataclass
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
    A, b = _xy(X, y)
    w = _as_vector(w0, int(np.size(w0)), "w0").copy()
    alpha, lr, steps = _positive(alpha, "alpha"), _positive(lr, "lr"), _count(steps, "steps")
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


# ---------------------------------------------------------------------------------------------
# margins of linear classifiers


def check_labels(y: object, n: int | None = None) -> np.ndarray:
    """``y`` as a float vector with entries in {-1, +1} (and length ``n`` if given)."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    a = np.asarray(y)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {a.shape}")
    if n is not None and a.size != n:
        raise ValueError(f"y must have one label per point: {n} expected, got {a.size}")
    if not np.issubdtype(a.dtype, np.number) or not np.all(np.isin(a, (-1, 1))):
        bad = sorted(set(np.unique(a).tolist()) - {-1, 1})[:5]
        raise ValueError(f"labels y must be -1 or +1, got other values {bad}")
    return a.astype(np.float64)


def _Xy_labels(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    A = _as_matrix(X)
    return A, check_labels(y, A.shape[0])


def is_separable(X: object, y: object) -> bool:
    """True when some ``w`` has ``y_i <w, x_i> >= 1`` for all i (separable by a hyperplane through 0); an LP."""
    A, b = _Xy_labels(X, y)
    Z = b[:, None] * A
    res = linprog(np.zeros(A.shape[1]), A_ub=-Z, b_ub=-np.ones(len(b)), bounds=[(None, None)] * A.shape[1],
                  method="highs")
    return res.status == 0


def hard_margin_svm(X: object, y: object) -> np.ndarray:
    """``argmin ||w||^2 s.t. y_i <w, x_i> >= 1`` (no bias): scipy's SLSQP, then an exact KKT solve on its active set.

    The returned ``w`` satisfies the KKT conditions (feasible; ``w = sum_s alpha_s y_s x_s`` with
    ``alpha >= 0`` on the active constraints), which certify the global optimum of this convex QP.
    """
    A, b = _Xy_labels(X, y)
    Z = b[:, None] * A
    lp = linprog(np.zeros(A.shape[1]), A_ub=-Z, b_ub=-np.ones(len(b)), bounds=[(None, None)] * A.shape[1],
                 method="highs")
    if lp.status != 0:
        raise ValueError("data are not linearly separable by a hyperplane through the origin: no hard-margin SVM "
                         "(and logistic GD has no direction to converge to)")
    res = minimize(lambda w: 0.5 * w @ w, lp.x, jac=lambda w: w, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda w: Z @ w - 1, "jac": lambda w: Z}],
                   options={"ftol": 1e-14, "maxiter": 2000})
    candidates = [res.x] if np.all(np.isfinite(res.x)) else []
    for w in list(candidates):
        S = np.flatnonzero(Z @ w <= 1 + 1e-6 * max(1.0, np.abs(Z @ w).max()))
        if S.size == 0:
            continue
        G = Z[S] @ Z[S].T
        alpha_S = np.linalg.lstsq(G, np.ones(S.size), rcond=None)[0]  # min-norm w with <w, z_s> = 1 on S
        w_kkt = Z[S].T @ alpha_S
        if np.all(alpha_S >= -1e-9 * np.abs(alpha_S).max()) and np.min(Z @ w_kkt) >= 1 - 1e-9 \
                and np.allclose(Z[S] @ w_kkt, 1.0, atol=1e-9):
            return w_kkt
    if res.success and np.min(Z @ res.x) >= 1 - 1e-8:
        return res.x
    raise RuntimeError(f"the SVM QP was not solved to a KKT point (SLSQP: {res.message})")


def support_vectors(X: object, y: object, w: object, *, tol: float = 1e-6) -> np.ndarray:
    """Indices ``i`` with ``y_i <w, x_i> <= 1 + tol`` (the active constraints of the SVM at ``w``)."""
    A, b = _Xy_labels(X, y)
    return np.flatnonzero(b * (A @ _as_vector(w, A.shape[1], "w")) <= 1 + _positive(tol, "tol"))


def svm_dual(X: object, y: object, w: object, *, tol: float = 1e-6) -> np.ndarray:
    """Dual variables ``alpha >= 0`` with ``w = sum_i alpha_i y_i x_i``, zero off the support vectors."""
    A, b = _Xy_labels(X, y)
    S = support_vectors(A, b, w, tol=tol)
    coef, *_ = np.linalg.lstsq((b[S, None] * A[S]).T, _as_vector(w, A.shape[1], "w"), rcond=None)
    out = np.zeros(len(b))
    out[S] = coef
    return out


def logistic_risk(X: object, y: object, w: object) -> float:
    """``(1/n) sum_i log(1 + exp(-y_i <w, x_i>))``, computed without overflow."""
    A, b = _Xy_labels(X, y)
    return float(np.mean(np.logaddexp(0.0, -b * (A @ _as_vector(w, A.shape[1], "w")))))


def logistic_gd(X: object, y: object, lr: float, record: Sequence[int], *, w0: object = None) -> np.ndarray:
    """GD on the logistic risk from ``w0`` (default 0); returns the iterates at the sorted step counts ``record``."""
    A, b = _Xy_labels(X, y)
    lr = _positive(lr, "lr")
    rec = np.asarray(record)
    if rec.ndim != 1 or rec.size == 0 or not np.issubdtype(rec.dtype, np.integer) or np.any(rec < 0) \
            or np.any(np.diff(rec) <= 0):
        raise ValueError("record must be a non-empty strictly increasing sequence of step counts >= 0")
    w = np.zeros(A.shape[1]) if w0 is None else _as_vector(w0, A.shape[1], "w0").copy()
    Z = b[:, None] * A
    ZT, scale = Z.T.copy(), lr / len(b)
    out = np.empty((rec.size, A.shape[1]))
    j = 0
    for k in range(int(rec[-1]) + 1):
        while j < rec.size and rec[j] == k:
            out[j] = w
            j += 1
        if k < rec[-1]:
            w = w + scale * (ZT @ expit(-Z @ w))  # -d/dm log(1 + e^{-m}) = 1 / (1 + e^{m}) = expit(-m)
    return out


def logistic_offset(X: object, y: object, lr: float) -> np.ndarray:
    """The limit ``w~`` of ``w_k - w_hat log k`` for GD with step ``lr`` on the mean logistic risk.

    Plugging ``w_k = w_hat log k + w~`` into the GD step (support vectors only, ``e^{-m}`` tail)
    gives ``(lr / n) exp(-y_s <w~, x_s>) = alpha_s`` for each support vector ``s`` (``alpha`` the SVM
    duals). Needs the support vectors to span ``R^d`` (true for almost all data with d <= #SV).
    """
    A, b = _Xy_labels(X, y)
    lr = _positive(lr, "lr")
    w_hat = hard_margin_svm(A, b)
    alpha = svm_dual(A, b, w_hat)
    S = np.flatnonzero(alpha > 0)
    Z = b[S, None] * A[S]
    if np.linalg.matrix_rank(Z) < A.shape[1]:
        raise ValueError(f"the {len(S)} support vectors do not span R^{A.shape[1]}: the offset is not determined")
    w_tilde, *_ = np.linalg.lstsq(Z, np.log(lr / (len(b) * alpha[S])), rcond=None)
    return w_tilde


def angle(u: object, v: object) -> float:
    """Angle in radians between two non-zero vectors (accurate for small angles)."""
    a, b = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"u and v must be 1-D vectors of the same length, got shapes {a.shape} and {b.shape}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("angle is undefined for a zero vector")
    a, b = a / na, b / nb
    return float(2 * np.arctan2(np.linalg.norm(a - b), np.linalg.norm(a + b)))


# ---------------------------------------------------------------------------------------------
# margins of homogeneous ReLU nets


def _net_data(net: object, X: object, y: object) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor, int]:
    """Checked bias-free scalar net, inputs and labels as tensors, and the degree L (number of layers)."""
    nets.check_relu_net(net, bias_free=True, scalar_output=True)
    Xt = nets.as_input(net, X)
    if Xt.ndim != 2:
        raise ValueError(f"X must have shape (n, d_in), got {tuple(Xt.shape)}")
    yt = torch.as_tensor(check_labels(y, Xt.shape[0]), dtype=Xt.dtype)
    return net, Xt, yt, len(nets.linear_layers(net))


def _margins_and_norm(net: nn.Sequential, Xt: torch.Tensor, yt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Margins ``y_i f(x_i)`` and the squared parameter norm; a zero norm has no normalised margin."""
    q = yt * net(Xt).reshape(-1)
    sq = sum((p * p).sum() for p in net.parameters())
    if not float(sq.detach()) > 0:
        raise ValueError("all weights of net are zero: the normalised margin min_i y_i f(x_i) / ||theta||^L is undefined")
    return q, sq


def normalized_margin(net: nn.Sequential, X: object, y: object) -> float:
    """``min_i y_i f(x_i) / ||theta||^L`` of a bias-free ReLU net with L Linear layers."""
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
    return float(q.min() / sq ** (L / 2))


def _smoothed(q: torch.Tensor, sq: torch.Tensor, L: int) -> torch.Tensor:
    u = torch.nn.functional.softplus(-q).sum()  # n times the mean logistic loss
    # log(e^u - 1) = u + log(1 - e^{-u}): no overflow for large u, accurate for small u
    return -(u + torch.log(-torch.expm1(-u))) / sq ** (L / 2)


def smoothed_margin(net: nn.Sequential, X: object, y: object) -> float:
    """Lyu & Li's smoothed margin ``log(1 / (exp(n R) - 1)) / ||theta||^L`` for the logistic risk R."""
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
        return float(_smoothed(q, sq, L))


@dataclass
class MarginRun:
    """Record of :func:`margin_gd` at every step (index k = after k steps) and parameter snapshots."""

    loss: np.ndarray  # mean logistic risk
    margin: np.ndarray  # normalized margin min_i y_i f(x_i) / ||theta||^L
    smoothed: np.ndarray  # smoothed margin
    layer_sq: np.ndarray  # (steps+1, L) squared Frobenius norms ||W_i||^2
    drift_bound: np.ndarray  # lr^2 * sum_k (||g_i||^2 - ||g_{i+1}||^2), shape (steps+1, L-1)
    flow_derivative: dict[int, float]  # <grad smoothed, -grad R> at the checked steps
    snapshots: dict[int, list[torch.Tensor]]  # parameters at the requested steps


def margin_gd(net: nn.Sequential, X: object, y: object, lr: float, steps: int, *,
              snapshots: Sequence[int] = (), derivative_every: int = 0) -> MarginRun:
    """GD on the mean logistic risk of a bias-free ReLU net (in place); records margins and layer norms.

    ``derivative_every = k > 0`` also records the flow derivative ``<grad smoothed margin, -grad R>``
    every k steps (autograd; positive along gradient flow once ``n R < log 2``, Lyu & Li).
    """
    net, Xt, yt, L = _net_data(net, X, y)
    lr, steps = _positive(lr, "lr"), _count(steps, "steps")
    every = _count(derivative_every, "derivative_every")
    wanted = {_count(s, "snapshots entry") for s in snapshots}
    if any(s > steps for s in wanted):
        raise ValueError(f"snapshots must be steps between 0 and steps={steps}, got {sorted(wanted)}")
    params = [m.weight for m in nets.linear_layers(net)]
    n = Xt.shape[0]
    loss, margin, smooth = (np.empty(steps + 1) for _ in range(3))
    layer_sq, drift = np.empty((steps + 1, L)), np.zeros((steps + 1, L - 1))
    deriv: dict[int, float] = {}
    snaps: dict[int, list[torch.Tensor]] = {}
    for k in range(steps + 1):
        with torch.enable_grad():
            q, sq = _margins_and_norm(net, Xt, yt)
            risk = torch.nn.functional.softplus(-q).mean()
            grads = torch.autograd.grad(risk, params, retain_graph=every > 0 and k % every == 0)
            if every > 0 and k % every == 0:
                sgrads = torch.autograd.grad(_smoothed(q, sq, L), params)
                deriv[k] = float(-sum((a * b).sum() for a, b in zip(sgrads, grads)))
        with torch.no_grad():
            loss[k], margin[k] = float(risk), float(q.min() / sq ** (L / 2))
            smooth[k] = float(_smoothed(q, sq, L))
            layer_sq[k] = [float((p * p).sum()) for p in params]
            if k in wanted:
                snaps[k] = [p.detach().clone() for p in params]
            if k < steps:
                g2 = np.array([float((g * g).sum()) for g in grads])
                drift[k + 1] = drift[k] + lr**2 * (g2[:-1] - g2[1:])
                torch._foreach_add_(params, list(grads), alpha=-lr)
    if not np.all(np.isfinite(loss)):
        raise ValueError(f"gradient descent diverged with lr={lr}; use a smaller step")
    return MarginRun(loss, margin, smooth, layer_sq, drift, deriv, snaps)


def _check_weights(weights: object) -> list[torch.Tensor]:
    """Layer weights of a bias-free ReLU net: a non-empty list of chained 2-D tensors ending in one output."""
    if isinstance(weights, torch.Tensor) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise TypeError("weights must be a non-empty list of 2-D torch tensors [W_1, ..., W_L]")
    ws = list(weights)
    for i, W in enumerate(ws):
        if not isinstance(W, torch.Tensor) or W.ndim != 2:
            raise TypeError(f"weights[{i}] must be a 2-D torch tensor, got {type(W).__name__}")
        if i > 0 and W.shape[1] != ws[i - 1].shape[0]:
            raise ValueError(f"weights[{i}] has {W.shape[1]} inputs but weights[{i - 1}] has {ws[i - 1].shape[0]} outputs")
    if ws[-1].shape[0] != 1:
        raise ValueError(f"the last layer must have one output, got {ws[-1].shape[0]}")
    return ws


def relu_forward(weights: Sequence[torch.Tensor], X: object) -> np.ndarray:
    """Outputs ``W_L relu(... relu(W_1 x))`` of a bias-free ReLU net given by its layer weights, for rows of ``X``."""
    ws = _check_weights(weights)
    A = _as_matrix(X)
    if A.shape[1] != ws[0].shape[1]:
        raise ValueError(f"X must have {ws[0].shape[1]} columns (the net's input size), got shape {A.shape}")
    h = torch.as_tensor(A, dtype=ws[0].dtype)
    with torch.no_grad():
        for i, W in enumerate(ws):
            h = h @ W.T
            if i < len(ws) - 1:
                h = torch.relu(h)
    return h.reshape(-1).numpy()


def decision_grid(weights: Sequence[torch.Tensor], lo: float, hi: float,
                  num: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, F)``: a 2-D-input net's outputs ``F[j, i] = f(xs[i], xs[j])`` on a ``num x num`` grid of a square."""
    ws = _check_weights(weights)
    if ws[0].shape[1] != 2:
        raise ValueError(f"the net must have 2-D inputs for a decision grid, got {ws[0].shape[1]}")
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"need finite lo < hi, got lo={lo}, hi={hi}")
    num = _count(num, "num")
    if num < 2:
        raise ValueError(f"num must be >= 2, got {num}")
    xs = np.linspace(lo, hi, num)
    P = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    return xs, relu_forward(ws, P).reshape(num, num)
