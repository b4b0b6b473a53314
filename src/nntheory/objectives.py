"""The book's objectives in one place, each with its value, gradient and Hessian on numpy vectors.

``Problem`` holds ``f``, ``grad``, ``hess``, a global smoothness constant ``L`` (also ``beta``; a Lipschitz constant
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
    """An objective ``f`` with ``grad`` and ``hess``, its smoothness constant ``L`` (or None) and ``f_min`` (or None).

    Built by this module's functions; the three callables take a numpy vector ``x`` of shape ``(d,)``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the objective.
    grad : callable
        ``grad(x) -> array of shape (d,)``, its gradient.
    hess : callable
        ``hess(x) -> array of shape (d, d)``, its Hessian (where it exists; see each constructor).
    L : float or None
        A global smoothness constant beta: ``||grad f(x) - grad f(x')|| <= L ||x - x'||`` for all ``x, x'``; None
        where the gradient is not globally Lipschitz.
    f_min : float or None
        The minimum value ``f*`` (or a stated lower bound, see :func:`cauchy_regression`); None when unknown or not
        attained.
    """

    f: Callable[[Array], float]
    grad: Callable[[Array], Array]
    hess: Callable[[Array], Array]
    L: float | None
    f_min: float | None

    @property
    def beta(self) -> float | None:
        """The smoothness constant under the book's name beta (the same number as ``L``)."""
        return self.L


def quadratic(A: object) -> Problem:
    """``f(x) = x^T A x / 2`` for a symmetric ``A``; ``L = ||A||_2``, ``f_min = 0`` if ``A`` is PSD (else None).

    ``grad f(x) = A x`` and ``hess f = A``: gradient descent multiplies the component of ``x`` along an eigenvector of
    eigenvalue ``lambda`` by ``1 - lr lambda`` per step.

    Parameters
    ----------
    A : array_like of shape (d, d)
        A finite, non-empty, symmetric matrix (up to a relative tolerance of 1e-8).

    Returns
    -------
    Problem
        ``L = max |lambda_i(A)|``; ``f_min = 0`` when every eigenvalue is ``>= 0``, else None (f is unbounded below).

    Raises
    ------
    TypeError
        If ``A`` is not an array of real numbers.
    ValueError
        If ``A`` is not a finite, non-empty, symmetric square matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import objectives, optim
    >>> q = objectives.quadratic(np.diag([1.0, 10.0]))
    >>> q.L, q.f_min, q.f(np.array([1.0, 1.0]))
    (10.0, 0.0, 5.5)
    >>> np.round(optim.run(optim.GD(lr=0.1), q.grad, [1.0, 1.0], 3), 6).tolist()
    [[1.0, 1.0], [0.9, 0.0], [0.81, 0.0], [0.729, 0.0]]
    >>> objectives.quadratic([[0.0, 1.0], [1.0, 0.0]]).f_min is None
    True
    """
    A = v.matrix(A, "A", symmetric=True)
    lam = np.linalg.eigvalsh(A)
    return Problem(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, lambda x: A.copy(),
                   float(np.abs(lam).max()), 0.0 if lam.min() >= 0 else None)


def least_squares(X: object, y: object, *, mean: bool = True) -> Problem:
    """``f(w) = ||X w - y||^2 / (2n)`` (``mean=False``: ``/ 2``, no average); ``L = lambda_max(X^T X) / n`` (or ``/ 1``).

    ``grad f(w) = X^T (X w - y) / n`` and ``hess f = X^T X / n``; ``f_min`` is computed from a least-squares solution
    (``numpy.linalg.lstsq``).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    mean : bool, default True
        Average over the ``n`` rows (True) or sum them (False).

    Returns
    -------
    Problem
        With ``L`` the largest eigenvalue of the Hessian and ``f_min`` the least value (0 when ``X w = y`` is solvable).

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, or ``mean`` is not a bool.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, or ``y`` not a finite vector of length ``n``.

    Examples
    --------
    Fitting a line through three points: gradient descent with ``lr = 1/L`` reaches the least-squares line:

    >>> import numpy as np
    >>> from nntheory import objectives, optim
    >>> X, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 2.0])
    >>> p = objectives.least_squares(X, y)
    >>> round(p.L, 6), round(p.f_min, 6)
    (2.387426, 0.027778)
    >>> w = optim.run(optim.GD(lr=1 / p.L), p.grad, np.zeros(2), 200)[-1]
    >>> np.round(w, 6).tolist(), bool(abs(p.f(w) - p.f_min) < 1e-12)
    ([1.166667, 0.5], True)
    """
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

    ``grad f(w) = -mean_i y_i x_i sigmoid(-y_i <x_i, w>) + l2 w``, computed without overflow.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Labels, each -1 or +1, one per row of ``X``.
    l2 : float, default 0.0
        Ridge coefficient ``>= 0`` (the strong-convexity constant mu it adds).

    Returns
    -------
    Problem
        With ``L = lambda_max(X^T X) / (4n) + l2`` and ``f_min = None``.

    Raises
    ------
    TypeError
        If ``X`` is not an array of real numbers, ``y`` not numeric, or ``l2`` not a real number.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` is not a 1-D array of ``n`` labels in {-1, +1}, or
        ``l2`` is negative or not finite.

    Examples
    --------
    On separable data the loss starts at ``log 2``, tends to 0 under gradient descent, and the norm of ``w`` grows
    without bound (about ``log t``):

    >>> import numpy as np
    >>> from nntheory import objectives, optim
    >>> X, y = np.array([[1.0, 2.0], [2.0, 1.0], [-1.0, -1.0]]), np.array([1.0, 1.0, -1.0])
    >>> p = objectives.logistic(X, y)
    >>> round(p.f(np.zeros(2)), 6), round(p.L, 6), p.f_min
    (0.693147, 0.916667, None)
    >>> ws = optim.run(optim.GD(lr=1 / p.L), p.grad, np.zeros(2), 1000)
    >>> [f"{p.f(w):.1e}" for w in ws[[10, 100, 1000]]]
    ['2.8e-02', '3.6e-03', '4.1e-04']
    >>> np.round(np.linalg.norm(ws[[10, 100, 1000]], axis=1), 2).tolist()
    [2.02, 3.32, 4.78]
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
    """Rosenbrock's banana ``(a - x)^2 + b (y - x^2)^2`` on R^2 (minimum 0 at ``(a, a^2)``; no global ``L``).

    Parameters
    ----------
    a : float, default 1.0
        Location of the minimum ``(a, a^2)``; any finite real.
    b : float, default 100.0
        Steepness of the valley's walls, ``> 0``; the Hessian at the minimum has condition number growing with ``b``.

    Returns
    -------
    Problem
        On vectors of shape ``(2,)``, with ``L = None`` and ``f_min = 0``.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a real number.
    ValueError
        If ``a`` is not finite, or ``b`` is not positive and finite.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import objectives
    >>> r = objectives.rosenbrock()
    >>> z = np.array([1.0, 1.0])
    >>> r.f(z), r.hess(z).tolist(), r.L
    (0.0, [[802.0, -400.0], [-400.0, 200.0]], None)
    """
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

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.

    Returns
    -------
    Problem
        With ``L = 2 lambda_max(X^T X) / n`` and ``f_min = 0`` (a lower bound, attained only if ``X w = y`` is
        solvable).

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, or ``y`` not a finite vector of length ``n``.
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
    """Fraction of rows with ``sign(<x_i, w>) != y_i`` (a score of exactly 0 counts as an error).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Labels, each -1 or +1, one per row of ``X``.
    w : array_like of shape (d,)
        The linear classifier's weights; finite.

    Returns
    -------
    float
        The error rate, in [0, 1].

    Raises
    ------
    TypeError
        If ``X`` or ``w`` is not an array of real numbers, or ``y`` not numeric.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` not ``n`` labels in {-1, +1}, or ``w`` not a finite
        vector of length ``d``.

    Examples
    --------
    At ``w = 0`` every score is 0, so every point counts as misclassified; ``w = (-1, 2)`` scores the second point 0:

    >>> from nntheory import objectives
    >>> X, y = [[1.0, 2.0], [2.0, 1.0], [-1.0, -1.0]], [1, 1, -1]
    >>> objectives.classification_error(X, y, [0.0, 0.0]), objectives.classification_error(X, y, [1.0, 1.0])
    (1.0, 0.0)
    >>> round(objectives.classification_error(X, y, [-1.0, 2.0]), 6)
    0.333333
    """
    X, y = v.data(X, y, classes=True)
    return float(np.mean(np.sign(X @ v.vector(w, "w", X.shape[1])) != y))


def nesterov_worst_case(d: int, mu: float, L: float) -> Problem:
    """Nesterov's worst quadratic in R^d: ``(L - mu)/8 (x_1^2 + sum (x_i - x_{i+1})^2 + x_d^2 - 2 x_1) + mu |x|^2 / 2``.

    Its Hessian ``(L - mu)/4 T + mu I`` (``T`` = tridiag(-1, 2, -1)) has eigenvalues in (mu, L), so it is
    mu-strongly convex and L-smooth; ``grad f(x) = H x - (L - mu)/4 e_1``. ``f_min`` is computed by a solve.

    Started at 0, any method whose iterates stay in the span of the past gradients (GD, heavy ball, Nesterov) has
    ``x_t`` supported on the first ``t`` coordinates, which gives the lower bound on first-order methods while
    ``t < d``.

    Parameters
    ----------
    d : int
        Dimension, ``>= 2``.
    mu : float
        Strong-convexity constant, ``> 0``.
    L : float
        Smoothness constant beta, ``> mu``.

    Returns
    -------
    Problem
        With the given ``L`` and the exact ``f_min``.

    Raises
    ------
    TypeError
        If ``d`` is not an int, or ``mu`` or ``L`` not a real number.
    ValueError
        If ``d < 2``, ``mu`` or ``L`` is not positive and finite, or ``mu >= L``.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import objectives
    >>> p = objectives.nesterov_worst_case(5, 1.0, 10.0)
    >>> np.round(np.linalg.eigvalsh(p.hess(np.zeros(5))), 4).tolist()
    [1.6029, 3.25, 5.5, 7.75, 9.3971]
    >>> round(p.f_min, 6)
    -0.58382
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

    Returns
    -------
    Problem
        In any dimension (the callables act coordinatewise), with ``L = 8`` and ``f_min = 0``.
    """

    def f(x: Array) -> float:
        return float(np.sum(x**2 + 3 * np.sin(x) ** 2))

    return Problem(f, lambda x: 2 * x + 3 * np.sin(2 * x), lambda x: np.diag(2 + 6 * np.cos(2 * x)), 8.0, 0.0)


def lessard() -> Problem:
    """Lessard, Recht and Packard's 1-D function: ``f'`` is ``25x`` below 1, ``x + 24`` on [1, 2), ``25x - 24`` above.

    ``f'`` is continuous, piecewise linear with slopes 25, 1, 25, so f is 1-strongly convex and 25-smooth (``L = 25``)
    but not twice differentiable at 1 and 2; ``f(0) = 0 = f_min``. Heavy ball with Polyak's parameters for
    ``mu = 1, L = 25`` cycles on it. ``hess`` is the slope of the piece (the right derivative at a kink).

    Returns
    -------
    Problem
        On vectors of shape ``(1,)`` (its callables raise ValueError on other shapes, TypeError on non-numbers), with
        ``L = 25`` and ``f_min = 0``.

    Examples
    --------
    Heavy ball with Polyak's parameters, which are optimal on quadratics with the same mu and L, does not converge:
    it settles on a cycle of period 3:

    >>> import numpy as np
    >>> from nntheory import objectives, optim, rates
    >>> p = objectives.lessard()
    >>> xs = optim.run(optim.HeavyBall(*rates.polyak_parameters(1.0, 25.0)), p.grad, [3.3], 400)
    >>> np.round(xs[-6:, 0], 4).tolist()
    [2.1159, 0.6465, -1.8024, 2.1159, 0.6465, -1.8024]
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

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    width : int
        Number of hidden units ``m >= 1``; ``theta`` then has ``m (d + 1)`` entries.

    Returns
    -------
    Problem
        On vectors ``theta`` of shape ``(width (d + 1),)`` (its callables raise ValueError on other lengths), with
        ``L = None`` and ``f_min = None``.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, or ``width`` not an int.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` not a finite vector of length ``n``, or ``width < 1``.
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

    The returned function is stateful: each call draws fresh rows from one generator seeded once with ``seed``, so
    the same seed reproduces the same sequence of batches. Each draw is an unbiased estimate of
    ``least_squares(X, y).grad(w)``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    batch : int
        Batch size ``B >= 1`` (rows drawn uniformly with replacement per call and per replica).
    seed : int
        Seed of the generator, ``>= 0`` (keyword-only, required).
    replicas : int, default 1
        Number ``R >= 1`` of independent runs stacked in one argument.

    Returns
    -------
    callable
        ``grad(w) -> array of shape (R d,)`` for ``w`` of shape ``(R d,)``; it raises ValueError for another length.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, or ``batch``, ``seed`` or ``replicas`` not an int.
    ValueError
        If ``X`` is not a non-empty finite 2-D array, ``y`` not a finite vector of length ``n``, ``batch < 1``,
        ``seed < 0`` or ``replicas < 1``.

    Examples
    --------
    Two calls give two different batches; a new gradient with the same seed replays them:

    >>> import numpy as np
    >>> from nntheory import objectives
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5 * rng.normal(size=50)
    >>> g = objectives.minibatch_gradient(X, y, 5, seed=0)
    >>> first, second = g(np.zeros(2)), g(np.zeros(2))
    >>> bool(np.array_equal(first, second))
    False
    >>> bool(np.array_equal(first, objectives.minibatch_gradient(X, y, 5, seed=0)(np.zeros(2))))
    True
    >>> objectives.minibatch_gradient(X, y, 5, seed=0, replicas=3)(np.zeros(6)).shape
    (6,)
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

    Here ``f = least_squares(X, y)``, ``H = X^T X / n``, ``w*`` the minimum-norm least-squares solution,
    ``S_t = E e_t e_t^T`` and ``E f(w_t) - f_min = tr(H S_t) / 2``. No sampling is involved: the expectation is exact.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    lr : float
        Step size ``eta > 0``.
    batch : int
        Batch size ``B >= 1``: rows drawn uniformly with replacement at each step.
    w0 : array_like of shape (d,)
        Starting point; finite.
    steps : int
        Number of steps, ``>= 0``.

    Returns
    -------
    numpy.ndarray of shape (steps + 1,)
        ``E f(w_t) - f_min`` for ``t = 0, ..., steps``.

    Raises
    ------
    TypeError
        If ``X``, ``y`` or ``w0`` is not an array of real numbers, ``lr`` not a real number, or ``batch`` or
        ``steps`` not an int.
    ValueError
        If the arrays have the wrong shapes or non-finite entries, ``lr`` is not positive and finite, ``batch < 1``
        or ``steps < 0``.

    Examples
    --------
    The exact mean against 2000 simulated runs of SGD (batch 1) from :func:`minibatch_gradient`:

    >>> import numpy as np
    >>> from nntheory import objectives, optim
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5 * rng.normal(size=50)
    >>> exact = objectives.sgd_excess_risk(X, y, 0.1, 1, np.zeros(2), 200)
    >>> p, sgd = objectives.least_squares(X, y), objectives.minibatch_gradient(X, y, 1, seed=0, replicas=2000)
    >>> W = optim.run(optim.GD(lr=0.1), sgd, np.zeros(4000), 200)[-1].reshape(2000, 2)
    >>> round(float(exact[-1]), 4), round(float(np.mean([p.f(w) for w in W]) - p.f_min), 4)
    (0.0119, 0.0118)
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

    For small ``lr`` the floor is about ``lr / (4 batch)`` times ``tr(C')``, with ``C'`` the covariance of the
    rows' gradients at ``w*``: proportional to ``lr / batch``. It is 0 when the data are interpolated
    (``X w* = y``).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.
    lr : float
        Step size ``eta > 0``.
    batch : int
        Batch size ``B >= 1``: rows drawn uniformly with replacement at each step.

    Returns
    -------
    float
        ``lim_t E f(w_t) - f_min`` (independent of the start).

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers, ``lr`` not a real number, or ``batch`` not an int.
    ValueError
        If ``X`` or ``y`` is malformed, ``lr`` is not positive and finite, ``batch < 1``, or SGD with these ``lr``
        and ``batch`` is not mean-square stable on the data.

    Examples
    --------
    The floor shrinks about tenfold with a tenth of the step or ten times the batch, and it is where
    :func:`sgd_excess_risk` settles:

    >>> import numpy as np
    >>> from nntheory import objectives
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5 * rng.normal(size=50)
    >>> [round(objectives.sgd_noise_floor(X, y, lr, B), 6) for lr, B in ((0.1, 1), (0.1, 10), (0.01, 1))]
    [0.011921, 0.001063, 0.001015]
    >>> round(float(objectives.sgd_excess_risk(X, y, 0.1, 1, np.zeros(2), 200)[-1]), 6)
    0.011921
    >>> objectives.sgd_noise_floor(X, y, 2.0, 1)
    Traceback (most recent call last):
    ...
    ValueError: SGD with lr=2.0, batch=1 is not mean-square stable on this problem
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
