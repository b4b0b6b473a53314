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
    r"""Minimum-norm interpolant ``X^T (X X^T)^{-1} y``; ``X`` must have full row rank (n <= d).

    Of all ``w`` with ``X w = y`` it is the one of least Euclidean norm, :math:`w^\dagger = X^\top (X X^\top)^{-1} y`,
    the only interpolant in the span of the rows of ``X``. Gradient descent or gradient flow on least squares
    started at 0 converges to it (see :func:`~nntheory.implicit_bias.least_squares_flow`).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty, with ``n <= d`` linearly independent rows.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The minimum-norm solution of ``X w = y``.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` not a finite vector of length ``n``, or ``X`` does not
        have full row rank (in particular if ``n > d``).

    Examples
    --------
    Two equations in three unknowns: the minimum-norm interpolant, and gradient descent from 0 reaching it:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib, objectives, optim
    >>> X, y = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), np.array([1.0, 2.0])
    >>> w = ib.min_norm_solution(X, y)
    >>> np.round(w, 6).tolist(), np.round(X @ w, 6).tolist()
    ([0.0, 1.0, 1.0], [1.0, 2.0])
    >>> w_gd = optim.run(optim.GD(lr=0.5), objectives.least_squares(X, y).grad, np.zeros(3), 500)[-1]
    >>> bool(np.allclose(w_gd, w))
    True

    Dependent rows have no such formula:

    >>> ib.min_norm_solution([[1.0, 0.0], [2.0, 0.0]], [1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must have full row rank (independent rows, n <= d) to interpolate, got shape (2, 2) and rank 1
    """
    A, b = v.data(X, y)
    n, d = A.shape
    if n > d or np.linalg.matrix_rank(A) < n:
        raise ValueError(f"X must have full row rank (independent rows, n <= d) to interpolate, got shape {A.shape} "
                         f"and rank {np.linalg.matrix_rank(A)}")
    return A.T @ np.linalg.solve(A @ A.T, b)


def least_squares_flow(X: object, y: object, w0: object, t: object) -> np.ndarray:
    r"""Gradient flow on ``||Xw - y||^2/(2n)`` from ``w0`` at time(s) ``t`` (closed form; ``t = inf`` is the limit).

    In the right singular basis of ``X = U S V^T`` each coordinate relaxes on its own:
    ``a_k(t) = a_k* + (a_k(0) - a_k*) exp(-s_k^2 t / n)`` with ``a_k* = (U^T y)_k / s_k``; the
    component of ``w0`` orthogonal to the rows of ``X`` never moves. Returns shape ``(d,)`` for a
    scalar ``t``, else ``(len(t), d)``.

    The flow is :math:`\dot w = -X^\top (X w - y) / n`. Its limit is the least-squares solution nearest to ``w0``:
    the minimum-norm (least-squares) solution plus the part of ``w0`` orthogonal to the rows; from ``w0 = 0``,
    :func:`min_norm_solution`. ``X`` need not have full rank (directions with a zero singular value do not move).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty. Any shape and rank.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    w0 : array_like of shape (d,)
        Starting point of the flow; finite.
    t : float or array_like of shape (T,)
        Time or times at which to evaluate, each ``>= 0``, in any order; ``np.inf`` gives the limit.

    Returns
    -------
    numpy.ndarray of shape (d,) or (T, d)
        ``w(t)``, one row per time when ``t`` is an array.

    Raises
    ------
    TypeError
        If ``X``, ``y`` or ``w0`` is not an array of real numbers.
    ValueError
        If ``X``, ``y``, ``w0`` have the wrong shape or non-finite entries, or ``t`` has more than one dimension,
        a NaN or a negative time.

    Examples
    --------
    From ``w0 = e_1``, the flow keeps ``w0``'s component along the null direction ``(1, -1, 1) / sqrt(3)`` of
    ``X`` (its distance to the row space stays ``1/sqrt(3)``) and converges to the minimum-norm interpolant
    ``(0, 1, 1)`` plus that component:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> X, y = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), np.array([1.0, 2.0])
    >>> W = ib.least_squares_flow(X, y, [1.0, 0.0, 0.0], [0.0, 1.0, np.inf])
    >>> np.round(W[1:], 4).tolist()
    [[0.8655, 0.5179, 0.6524], [0.3333, 0.6667, 1.3333]]
    >>> np.round(ib.span_residual(X, W), 4).tolist()
    [0.5774, 0.5774, 0.5774]
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
    """Norm of the part of ``w`` (one vector or rows of vectors) orthogonal to the span of the rows of ``X``.

    Gradient descent on least squares moves only inside that span, so the residual of its iterates stays that
    of the start (0 from ``w0 = 0``).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty. The rows may be linearly dependent: the row space's basis comes
        from a singular value decomposition, keeping the singular values above round-off.
    w : array_like of shape (d,) or (m, d)
        One vector, or ``m`` vectors as rows; finite.

    Returns
    -------
    numpy.float64 or numpy.ndarray of shape (m,)
        ``||w - P w||`` with ``P`` the orthogonal projection onto the row space of ``X``: a scalar for one vector,
        one norm per row otherwise.

    Raises
    ------
    TypeError
        If ``X`` or ``w`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, or ``w`` is not finite of shape ``(d,)`` or ``(m, d)``.
    """
    A = v.matrix(X, "X")
    W = v.array(w, "w")
    if W.ndim not in (1, 2) or W.shape[-1] != A.shape[1]:
        raise ValueError(f"w must have shape ({A.shape[1]},) or (m, {A.shape[1]}), got {W.shape}")
    _, sv, Vt = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(A.shape) * np.finfo(float).eps)) if sv.size and sv[0] > 0 else 0
    Q = Vt[:rank].T  # orthonormal basis of the row space (dependent rows allowed)
    perp = W - (W @ Q) @ Q.T
    return np.linalg.norm(perp, axis=-1)


# ---------------------------------------------------------------------------------------------
# lazy training: h(w, x) = g(theta1, x) - g(theta2, x), g(theta, x) = a . tanh(B x + c) / sqrt(m)


def centred_init(d: int, m: int, seed: int = 0) -> np.ndarray:
    """Parameters ``w0 = (theta0, theta0)`` of a centred width-``m`` tanh model on ``R^d`` (so ``h(w0, .) = 0``).

    The model is ``h(w, x) = g(theta1, x) - g(theta2, x)`` with ``g(theta, x) = a . tanh(B x + c) / sqrt(m)`` and
    ``theta = (a, B.ravel(), c)``; ``a``, ``B`` (row-major, shape ``(m, d)``) and ``c`` are drawn i.i.d. standard
    normal, once, and both halves get the same draw.

    Parameters
    ----------
    d : int
        Input dimension, ``>= 1``.
    m : int
        Width (number of tanh units of each half), ``>= 1``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` (a non-negative int; not checked here, numpy rejects others).

    Returns
    -------
    numpy.ndarray of shape (2 m (d + 2),)
        ``(theta0, theta0)``, with ``theta0 = (a, B.ravel(), c)`` of length ``m (d + 2)``.

    Raises
    ------
    TypeError
        If ``d`` or ``m`` is not an int.
    ValueError
        If ``d < 1`` or ``m < 1``.
    """
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
    """``h(w, x_i) = g(theta1, x_i) - g(theta2, x_i)`` for every row ``x_i`` of ``X``.

    Here ``g(theta, x) = a . tanh(B x + c) / sqrt(m)`` with ``theta = (a, B.ravel(), c)`` (see :func:`centred_init`);
    the width ``m`` is read off the length of ``w``.

    Parameters
    ----------
    w : array_like of shape (2 m (d + 2),)
        Parameters ``(theta1, theta2)``, as from :func:`centred_init`; finite.
    X : array_like of shape (n, d)
        Inputs (rows); finite, non-empty.

    Returns
    -------
    numpy.ndarray of shape (n,)
        The outputs ``h(w, x_i)``; all 0 at a centred start.

    Raises
    ------
    TypeError
        If ``w`` or ``X`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, or ``w`` is not a finite, non-empty flat vector whose length
        is a multiple of ``2 (d + 2)``.

    Examples
    --------
    A centred start outputs 0 everywhere, while its Jacobian (the lazy regime's features) is not 0:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> w0 = ib.centred_init(2, 3, seed=0)
    >>> X = np.array([[0.5, -1.0], [2.0, 0.0]])
    >>> w0.shape, np.abs(ib.centred_model(w0, X)).max().item()
    ((24,), 0.0)
    >>> J = ib.centred_jacobian(w0, X)
    >>> J.shape, bool(np.linalg.matrix_rank(J) == 2)
    ((2, 24), True)
    """
    A = v.matrix(X, "X")
    t1, t2, m = _split(w, A.shape[1])
    return _g_and_jac(t1, A, m)[0] - _g_and_jac(t2, A, m)[0]


def centred_jacobian(w: object, X: object) -> np.ndarray:
    """Jacobian ``dh(w, x_i)/dw``, shape ``(n, len(w))``.

    Row ``i`` is the gradient in ``w`` of :func:`centred_model`'s output at ``x_i`` (its second half is minus the first
    half's formula, evaluated at ``theta2``). At ``w0`` it defines the tangent kernel ``K = J J^T / n`` of lazy
    training.

    Parameters
    ----------
    w : array_like of shape (2 m (d + 2),)
        Parameters ``(theta1, theta2)``, as from :func:`centred_init`; finite.
    X : array_like of shape (n, d)
        Inputs (rows); finite, non-empty.

    Returns
    -------
    numpy.ndarray of shape (n, 2 m (d + 2))
        ``J[i, j] = dh(w, x_i) / dw_j``.

    Raises
    ------
    TypeError
        If ``w`` or ``X`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, or ``w`` is not a finite, non-empty flat vector whose length
        is a multiple of ``2 (d + 2)``.
    """
    A = v.matrix(X, "X")
    t1, t2, m = _split(w, A.shape[1])
    return np.hstack([_g_and_jac(t1, A, m)[1], -_g_and_jac(t2, A, m)[1]])


@dataclass(frozen=True)
class LazyRun:
    """Record of :func:`lazy_gd`: times, risks, distances, for the model and its linearisation.

    Every array but ``kernel_eig``, ``w`` and ``u`` has one entry per step ``k = 0, ..., steps``.

    Parameters
    ----------
    t : numpy.ndarray of shape (steps + 1,)
        Times ``k lr`` of the iterates.
    risk : numpy.ndarray of shape (steps + 1,)
        Risk ``||alpha h(w_k) - y||^2 / (2n)`` of the model along gradient descent.
    risk_lin : numpy.ndarray of shape (steps + 1,)
        Risk of the linearised model ``alpha (h(w0) + J0 (u_k - w0))`` along its own gradient descent.
    movement : numpy.ndarray of shape (steps + 1,)
        ``||w_k - w0||``: how far the parameters have moved.
    dist_lin : numpy.ndarray of shape (steps + 1,)
        ``||w_k - u_k||``: distance between the model's and the linearisation's parameters.
    kernel_eig : numpy.ndarray of shape (steps + 1, 2)
        Smallest and largest eigenvalue of the tangent kernel ``K(w_k) = J(w_k) J(w_k)^T / n`` (without ``alpha^2``).
    w : numpy.ndarray of shape (p,)
        Final parameters of the model.
    u : numpy.ndarray of shape (p,)
        Final parameters of the linearised model.
    """

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

    Both runs take ``steps`` steps ``w <- w - lr alpha J(w)^T (alpha h(w) - y) / n`` (``J0`` fixed for the
    linearisation). With ``lr`` of order ``1 / alpha^2`` the risk decays at a rate independent of ``alpha``, while the
    parameters move by ``O(1 / alpha)`` and stay ``O(1 / alpha^2)`` from the linearisation's (Chizat, Oyallon and
    Bach's lazy regime).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Inputs (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    w0 : array_like of shape (2 m (d + 2),)
        Start ``(theta1, theta2)``, e.g. from :func:`centred_init`; finite.
    alpha : float
        Output scale ``alpha > 0`` of the model ``alpha h(w, x)``.
    lr : float
        Step size ``eta > 0``; stable up to about ``1 / (alpha^2 lambda_max(K))``.
    steps : int
        Number of steps, ``>= 0``.
    centred : bool, default True
        Require ``h(w0, x_i) = 0`` for every row (up to ``1e-12``); False allows any start.

    Returns
    -------
    LazyRun
        Times, both risks, the movement, the distance between the two runs, the tangent kernel's extreme eigenvalues
        at every step, and the final parameters of both runs.

    Raises
    ------
    TypeError
        If ``X``, ``y`` or ``w0`` is not an array of real numbers, ``alpha`` or ``lr`` not a real number, ``steps``
        not an int, or ``centred`` not a bool.
    ValueError
        If the arrays have the wrong shapes or non-finite entries (``w0``'s length must be a multiple of
        ``2 (d + 2)``), ``alpha`` or ``lr`` is not positive and finite, ``steps < 0``, ``centred`` is True and
        ``h(w0) != 0``, or either run diverges.

    Examples
    --------
    Ten times the scale (and ``lr = 1 / alpha^2``): the same risk decrease, a tenth of the movement, and a hundredth
    of the distance to the linearised run:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    >>> w0 = ib.centred_init(2, 50, seed=0)
    >>> runs = {a: ib.lazy_gd(X, y, w0, a, 1 / a**2, 200) for a in (10.0, 100.0)}
    >>> [(round(float(r.risk[0]), 4), f"{r.risk[-1]:.1e}") for r in runs.values()]
    [(0.7396, '9.0e-07'), (0.7396, '9.1e-07')]
    >>> [round(float(a * r.movement[-1]), 2) for a, r in runs.items()]
    [2.21, 2.21]
    >>> [f"{r.dist_lin[-1]:.1e}" for r in runs.values()]
    ['3.9e-03', '3.9e-05']
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
    """``argmin ||beta||_1 s.t. X beta = y`` (basis pursuit), as a linear program in ``beta = p - m``, ``p, m >= 0``.

    The program is solved by ``scipy.optimize.linprog`` (HiGHS). When the minimum-l1 interpolant is not unique the
    solver returns one of them (a vertex); :func:`l1_certificate` tells when it is unique. It is the limit of
    :func:`diagonal_limit` as ``alpha -> 0``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.

    Returns
    -------
    numpy.ndarray of shape (d,)
        An interpolant ``beta`` of least l1 norm.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` not a finite vector of length ``n``, or ``X beta = y``
        has no solution.
    """
    A, b = v.data(X, y)
    d = A.shape[1]
    res = linprog(np.ones(2 * d), A_eq=np.hstack([A, -A]), b_eq=b, bounds=[(0, None)] * (2 * d), method="highs")
    if res.status != 0:
        raise ValueError(f"X beta = y has no solution (linprog: {res.message})")
    return res.x[:d] - res.x[d:]


def hyperbolic_potential(beta: object, alpha: float) -> float:
    r"""``Q_alpha(beta) = alpha^2 sum_i phi(beta_i / alpha^2)``, ``phi(z) = 2 - sqrt(4 + z^2) + z arcsinh(z / 2)``.

    Woodworth et al.'s potential: gradient flow on the diagonal network from ``u = v = alpha`` converges to the
    interpolant that minimises it (:func:`diagonal_limit`). Since ``phi(z) = z^2 / 4 + O(z^4)``,
    :math:`Q_\alpha(\beta) \approx \|\beta\|_2^2 / (4\alpha^2)` for large ``alpha``; for small ``alpha``,
    :math:`Q_\alpha(\beta) \approx \|\beta\|_1 \log(1/\alpha^2)`.

    Parameters
    ----------
    beta : array_like of shape (d,)
        The predictor; finite.
    alpha : float
        Initialisation scale ``alpha > 0``.

    Returns
    -------
    float
        ``Q_alpha(beta) >= 0`` (0 only at ``beta = 0``).

    Raises
    ------
    TypeError
        If ``beta`` is not an array of real numbers or ``alpha`` not a real number.
    ValueError
        If ``beta`` is not a finite 1-D array, or ``alpha`` is not positive and finite.

    Examples
    --------
    At a large scale the potential is the squared l2 norm over ``4 alpha^2``:

    >>> from nntheory import implicit_bias as ib
    >>> round(4 * 100.0**2 * ib.hyperbolic_potential([1.0, -2.0], 100.0), 6)
    5.0
    """
    z = v.array(beta, "beta", ndim=1) / v.positive(alpha, "alpha") ** 2
    return float(alpha**2 * np.sum(2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2)))


def diagonal_limit(X: object, y: object, alpha: float, *, tol: float = 1e-12) -> np.ndarray:
    """``argmin Q_alpha(beta) s.t. X beta = y``, by Newton's method on the concave dual.

    The minimiser has ``phi'(beta_i / alpha^2) = arcsinh(beta_i / (2 alpha^2)) = (X^T nu)_i``, i.e.
    ``beta = 2 alpha^2 sinh(X^T nu)``, with ``nu`` the maximiser of ``<nu, y> - 2 alpha^2 sum cosh(X^T nu)``.

    This is the limit of gradient flow on the diagonal network ``beta = u*u - v*v`` from ``u = v = alpha``
    (Woodworth et al. 2020): close to :func:`min_norm_solution` for large ``alpha`` and to :func:`min_l1_solution`
    as ``alpha -> 0``, at the speed :func:`l1_certificate` gives. Newton's method (with Armijo backtracking) stops
    when ``||X beta - y|| <= tol max(1, ||y||)``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty, with linearly independent rows (the Newton system is singular
        otherwise).
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    alpha : float
        Initialisation scale ``alpha > 0``.
    tol : float, default 1e-12
        Relative tolerance on the interpolation residual, ``> 0``.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The minimiser ``beta`` of ``Q_alpha`` over the interpolants.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, or ``alpha`` or ``tol`` not a real number.
    ValueError
        If ``X`` is not a non-empty finite 2-D array with linearly independent rows, ``y`` not a finite vector of
        length ``n``, or ``alpha`` or ``tol`` is not positive and finite.
    RuntimeError
        If Newton's method has not converged after 200 iterations.

    Examples
    --------
    Here the minimum-l1 interpolant is ``e_1`` and its certificate has ``omega_star = 1/2``, so the limit approaches it
    like ``alpha^(2 (1 - 1/2)) = alpha``; a large scale gives the minimum-l2 interpolant instead:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> X, y = np.array([[2.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, 1.0]]), np.array([2.0, 0.0])
    >>> b1 = ib.min_l1_solution(X, y)
    >>> np.round(b1, 6).tolist()
    [1.0, 0.0, 0.0, 0.0]
    >>> bool(np.allclose(ib.diagonal_limit(X, y, 10.0), ib.min_norm_solution(X, y), atol=1e-4))
    True
    >>> for alpha in (0.1, 0.01, 0.001):
    ...     print(alpha, f"{np.abs(ib.diagonal_limit(X, y, alpha) - b1).max():.4f}")
    0.1 0.0941
    0.01 0.0099
    0.001 0.0010
    """
    A, b = v.data(X, y)
    a2 = v.positive(alpha, "alpha") ** 2
    if np.linalg.matrix_rank(A) < A.shape[0]:
        raise ValueError(f"X must have linearly independent rows (rank {np.linalg.matrix_rank(A)} < n = {A.shape[0]}): "
                         "the interpolants' dual Newton system is singular otherwise")
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

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite, not all 0.
    tol : float, default 1e-9
        Relative threshold below which a coordinate of ``beta_l1`` counts as 0, ``> 0``.

    Returns
    -------
    xi : numpy.ndarray of shape (n,)
        The certificate: ``X^T xi`` equals the signs of ``beta_l1`` on its support.
    omega_star : float
        ``max_{i not in S} |(X^T xi)_i|``, the least possible; ``< 1`` certifies uniqueness.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, or ``tol`` not a real number.
    ValueError
        If ``X`` or ``y`` is malformed, ``X beta = y`` has no solution, ``tol`` is not positive and finite,
        ``y = 0``, ``beta_l1`` has no zero coordinate, or no ``xi`` attains the signs on the support.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> X, y = np.array([[2.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, 1.0]]), np.array([2.0, 0.0])
    >>> xi, omega = ib.l1_certificate(X, y)
    >>> round(omega, 6), np.round(np.abs(X.T @ xi), 4).tolist()
    (0.5, [1.0, 0.5, 0.5, 0.0])
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
    """Record of :func:`diagonal_gd`, one row per scale ``alpha``.

    Parameters
    ----------
    beta : numpy.ndarray of shape (len(alphas), d)
        The predictor ``u*u - v*v`` after the last step, one row per ``alpha``.
    residual : numpy.ndarray of shape (len(alphas),)
        ``||X beta - y||`` after the last step.
    movement : numpy.ndarray of shape (len(alphas),)
        ``||(u, v) - (alpha 1, alpha 1)||``: how far the parameters moved from their start.
    """

    beta: np.ndarray  # (len(alphas), d): the predictor u*u - v*v after the last step
    residual: np.ndarray  # ||X beta - y|| after the last step
    movement: np.ndarray  # ||(u, v) - (alpha, alpha)||: how far the parameters moved


def diagonal_gd(X: object, y: object, alphas: object, lr: object, steps: int) -> DiagonalRun:
    """GD on ``||X (u*u - v*v) - y||^2 / (2n)`` from ``u = v = alpha`` (all ones times alpha), for each alpha at once.

    ``lr`` is one step size or one per alpha.

    The step is ``u <- u - 2 lr u * g``, ``v <- v + 2 lr v * g`` with ``g = X^T (X beta - y) / n``. Gradient descent's
    limit tends to :func:`diagonal_limit` (the flow's) as ``lr -> 0``; a finite ``lr`` shifts it by about ``O(lr)``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    alphas : array_like of shape (k,)
        Initialisation scales, each ``> 0``.
    lr : float or array_like of shape (k,)
        Step size(s) ``> 0``: one for all scales, or one per scale.
    steps : int
        Number of steps, ``>= 0``.

    Returns
    -------
    DiagonalRun
        Final predictors, residuals and parameter movements, one row per scale.

    Raises
    ------
    TypeError
        If ``X``, ``y``, ``alphas`` or ``lr`` is not an array of real numbers, or ``steps`` not an int.
    ValueError
        If the arrays have the wrong shapes or non-finite entries, an ``alpha`` or a step size is not ``> 0``,
        ``steps < 0``, or gradient descent diverges.

    Examples
    --------
    Gradient descent interpolates, and its limit's distance to the flow's halves with the step size:

    >>> import numpy as np
    >>> from nntheory import implicit_bias as ib
    >>> X, y = np.array([[2.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, 1.0]]), np.array([2.0, 0.0])
    >>> flow = np.array([ib.diagonal_limit(X, y, a) for a in (1.0, 0.1)])
    >>> for lr in (0.02, 0.01):
    ...     run = ib.diagonal_gd(X, y, [1.0, 0.1], lr, 10000)
    ...     print(lr, np.round(np.abs(run.beta - flow).max(axis=1), 4).tolist(), bool(run.residual.max() < 1e-12))
    0.02 [0.0012, 0.0032] True
    0.01 [0.0006, 0.0016] True
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
