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
    r"""Polyak's heavy-ball ``(lr, momentum)`` for eigenvalues in [mu, L]: rate (sqrt kappa - 1)/(sqrt kappa + 1).

    :math:`\eta = 4 / (\sqrt{L} + \sqrt{\mu})^2` and momentum
    :math:`((\sqrt{L} - \sqrt{\mu}) / (\sqrt{L} + \sqrt{\mu}))^2`, with ``kappa = L / mu``: on a quadratic whose
    Hessian has its spectrum in [mu, L] heavy ball then contracts by ``(sqrt kappa - 1)/(sqrt kappa + 1)`` per step
    (asymptotically), the optimum over both parameters. Not a guarantee beyond quadratics: see
    :func:`nntheory.objectives.lessard`.

    Parameters
    ----------
    mu : float
        Strong-convexity constant: the smallest Hessian eigenvalue, ``> 0``.
    L : float
        Smoothness constant beta: the largest Hessian eigenvalue, ``>= mu``.

    Returns
    -------
    lr : float
        The step size ``eta`` (a ``numpy.float64``).
    momentum : float
        The momentum coefficient, in [0, 1) (a ``numpy.float64``).

    Raises
    ------
    TypeError
        If ``mu`` or ``L`` is not a real number.
    ValueError
        If ``mu`` or ``L`` is not positive and finite, or ``mu > L``.

    Examples
    --------
    For ``kappa = 100`` the rate is ``9/11``, against ``99/101`` for gradient descent with its best step:

    >>> import numpy as np
    >>> from nntheory import optim, rates
    >>> lr, momentum = rates.polyak_parameters(1.0, 100.0)
    >>> round(float(lr), 6), round(float(momentum), 6)
    (0.033058, 0.669421)
    >>> A = np.diag([1.0, 100.0])
    >>> round(rates.quadratic_rate(optim.HeavyBall(lr, momentum), A), 6), round(9 / 11, 6)
    (0.818182, 0.818182)
    """
    mu, L = _mu_L(mu, L)
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2


def nesterov_parameters(mu: float, L: float) -> tuple[float, float]:
    """Nesterov's ``(lr, momentum) = (1/L, (sqrt kappa - 1)/(sqrt kappa + 1))`` for mu-strongly convex, L-smooth f.

    With ``kappa = L / mu``. These give Nesterov's guarantee ``f(x_t) - f* <= (1 - 1/sqrt(kappa))^t`` times a constant
    on every mu-strongly convex, L-smooth f; on a quadratic with eigenvalues ``mu`` and ``L`` the contraction factor
    per step is ``1 - 1/sqrt(kappa)``.

    Parameters
    ----------
    mu : float
        Strong-convexity constant: the smallest Hessian eigenvalue, ``> 0``.
    L : float
        Smoothness constant beta: the largest Hessian eigenvalue, ``>= mu``.

    Returns
    -------
    lr : float
        The step size ``1 / L``.
    momentum : float
        The momentum coefficient, in [0, 1) (a ``numpy.float64``).

    Raises
    ------
    TypeError
        If ``mu`` or ``L`` is not a real number.
    ValueError
        If ``mu`` or ``L`` is not positive and finite, or ``mu > L``.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import optim, rates
    >>> lr, momentum = rates.nesterov_parameters(1.0, 100.0)
    >>> round(float(lr), 6), round(float(momentum), 6)
    (0.01, 0.818182)
    >>> round(rates.quadratic_rate(optim.Nesterov(lr, momentum), np.diag([1.0, 100.0])), 6)
    0.9
    """
    mu, L = _mu_L(mu, L)
    return 1 / L, (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))


def iteration_matrix(opt: Optimizer, A: Array) -> Array:
    """The linear map of one step of ``opt`` on ``f = x^T A x / 2``, on ``(x, state arrays)``, probed on basis vectors.

    Needs a chain of linear pieces (GD, HeavyBall, Nesterov, Newton), else TypeError. GD and Newton have no
    state (a ``(d, d)`` matrix); momentum adds its buffer ``b`` (``(2d, 2d)``).

    The state is stacked as ``(x, b)``, ``b`` being torch's momentum buffer (``b <- momentum b + g``, then
    ``x <- x - lr b`` for heavy ball). Column ``j`` is the image of the ``j``-th basis vector, so
    ``z_{t+1} = M z_t`` and the iterates contract at the rate of ``M``'s spectral radius (:func:`quadratic_rate`).
    The minimiser is ``x* = 0``, which loses no generality: on ``(x - x*)^T A (x - x*) / 2`` the errors obey the
    same map.

    Parameters
    ----------
    opt : nntheory.optim.Optimizer
        The method, e.g. ``optim.HeavyBall(lr, momentum)``; a linear one (GD, HeavyBall, Nesterov, Newton).
    A : array_like of shape (d, d)
        The Hessian: a finite, symmetric, non-empty matrix (need not be positive definite).

    Returns
    -------
    numpy.ndarray of shape (D, D)
        ``M`` with ``D = d`` for methods without state and ``D = 2 d`` with a momentum buffer.

    Raises
    ------
    TypeError
        If ``opt`` is not an ``nntheory.optim`` optimizer, or is not linear (AdaGrad, RMSProp, AdaDelta, Adam, ...),
        or ``A`` is not an array of real numbers.
    ValueError
        If ``A`` is not a finite, non-empty, symmetric square matrix.

    Examples
    --------
    Heavy ball on ``f(x) = 2 x^2 / 2`` with ``lr = 0.1``, ``momentum = 0.5``: from ``(x, b) = (1, 0)`` the gradient is
    2, the buffer becomes 2 and ``x`` becomes 0.8; adaptive methods are not linear:

    >>> import numpy as np
    >>> from nntheory import optim, rates
    >>> np.round(rates.iteration_matrix(optim.HeavyBall(lr=0.1, momentum=0.5), [[2.0]]), 6).tolist()
    [[0.8, -0.05], [2.0, 0.5]]
    >>> rates.iteration_matrix(optim.Adam(lr=0.1), [[2.0]])
    Traceback (most recent call last):
    ...
    TypeError: iteration_matrix needs a linear method (GD, HeavyBall, Nesterov, Newton), got Adam = ...
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
    """Asymptotic contraction factor per step on ``x^T A x / 2``: the spectral radius of ``iteration_matrix``.

    The error after ``t`` steps shrinks like ``rate^t`` (up to a factor polynomial in ``t`` when ``M`` is not
    diagonalisable); ``rate >= 1`` means no convergence.

    Parameters
    ----------
    opt : nntheory.optim.Optimizer
        A linear method (GD, HeavyBall, Nesterov, Newton).
    A : array_like of shape (d, d)
        The Hessian: a finite, symmetric, non-empty matrix.

    Returns
    -------
    float
        The spectral radius of ``iteration_matrix(opt, A)`` (see :func:`iteration_matrix`).

    Raises
    ------
    TypeError
        If ``opt`` is not a linear ``nntheory.optim`` optimizer, or ``A`` not an array of real numbers.
    ValueError
        If ``A`` is not a finite, non-empty, symmetric square matrix.

    Examples
    --------
    Gradient descent contracts each eigendirection by ``1 - lr lambda``: on eigenvalues 1 and 100, ``lr = 0.01``
    gives ``max(0.99, 0) = 0.99``; the best step ``2 / (mu + L)`` gives ``(kappa - 1) / (kappa + 1) = 99/101``:

    >>> import numpy as np
    >>> from nntheory import optim, rates
    >>> A = np.diag([1.0, 100.0])
    >>> [round(rates.quadratic_rate(optim.GD(lr=lr), A), 6) for lr in (0.01, 2 / 101)]
    [0.99, 0.980198]
    """
    return float(np.abs(np.linalg.eigvals(iteration_matrix(opt, A))).max())


def chebyshev(grad: Callable[[Array], Array], x0: Array, steps: int, *, mu: float, L: float) -> Array:
    """The Chebyshev method for a Hessian spectrum in [mu, L]: iterates ``x_0..x_steps``, shape ``(steps + 1, d)``.

    On ``f = (x - x*)^T A (x - x*) / 2`` its error is ``P_t(A)(x_0 - x*)`` with ``P_t(lam) = T_t(u(lam)) / T_t(sigma)``,
    ``u(lam) = (L + mu - 2 lam) / (L - mu)``, ``sigma = u(0)`` and ``T_t`` the Chebyshev polynomial: of all
    polynomials of degree t with ``P(0) = 1`` the one with the smallest maximum on [mu, L]. The three-term recursion is
    ``x_1 = x_0 - g grad f(x_0)``, ``x_{t+1} = w_{t+1} (x_t - g grad f(x_t)) + (1 - w_{t+1}) x_{t-1}`` with
    ``g = 2 / (L + mu)``, ``w_2 = 2 sigma^2 / (2 sigma^2 - 1)`` and ``w_{t+1} = 1 / (1 - w_t / (4 sigma^2))``.
    (Not a chain: its coefficients change with t. They tend to heavy ball with Polyak's parameters.)

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of shape (d,)``, the gradient of f; called once per step, on a copy of the iterate.
    x0 : array_like of shape (d,)
        Starting point; finite.
    steps : int
        Number of steps ``t``, ``>= 0``.
    mu : float
        Lower end of the Hessian's spectrum, ``> 0``.
    L : float
        Upper end of the Hessian's spectrum (the smoothness constant beta), ``> mu``.

    Returns
    -------
    numpy.ndarray of shape (steps + 1, d)
        The iterates ``x_0, ..., x_steps``.

    Raises
    ------
    TypeError
        If ``grad`` is not callable, ``mu`` or ``L`` not a real number, ``steps`` not an int, ``x0`` not an array of
        real numbers, or ``grad`` returns no array of real numbers.
    ValueError
        If ``mu`` or ``L`` is not positive and finite, ``mu >= L``, ``steps < 0``, ``x0`` is not a finite vector,
        or ``grad`` returns an array of the wrong shape or with non-finite entries.

    Examples
    --------
    On a quadratic with eigenvalues 1, 5.5 and 10 the error polynomial equioscillates: after 10 steps each
    coordinate of ``x_0 = (1, 1, 1)`` is multiplied by ``+-1 / T_10(11/9)``, the least possible maximum on [1, 10]:

    >>> import numpy as np
    >>> from nntheory import rates
    >>> lam = np.array([1.0, 5.5, 10.0])
    >>> xs = rates.chebyshev(lambda x: lam * x, np.ones(3), 10, mu=1.0, L=10.0)
    >>> xs.shape, np.round(xs[-1], 6).tolist()
    ((11, 3), [0.002863, -0.002863, 0.002863])
    >>> round(float(1 / np.cosh(10 * np.arccosh(11 / 9))), 6)
    0.002863
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

    For convex f with an ``L``-Lipschitz gradient and ``lr <= 1/L``, Su, Boyd and Candes's bound is
    ``f(x_k) - f* <= 2 ||x_0 - x*||^2 / (lr (k + 1)^2)``; its limit as ``lr -> 0`` is
    :func:`nntheory.flows.nesterov_flow` in the time ``t = k sqrt(lr)``.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of shape (d,)``, the gradient of f; called once per step, at ``y``, on a copy.
    x0 : array_like of shape (d,)
        Starting point; finite.
    steps : int
        Number of steps, ``>= 0``.
    lr : float
        Step size ``eta > 0`` (at most ``1/L`` for the guarantee).

    Returns
    -------
    numpy.ndarray of shape (steps + 1, d)
        The iterates ``x_0, ..., x_steps``.

    Raises
    ------
    TypeError
        If ``grad`` is not callable, ``lr`` not a real number, ``steps`` not an int, ``x0`` not an array of real
        numbers, or ``grad`` returns no array of real numbers.
    ValueError
        If ``lr`` is not positive and finite, ``steps < 0``, ``x0`` is not a finite vector, or ``grad`` returns an
        array of the wrong shape or with non-finite entries.

    Examples
    --------
    On an ill-conditioned quadratic (``L = 1``, ``f* = 0``, ``||x_0 - x*||^2 = 2``) the bound holds at every step,
    and 100 steps beat gradient descent's by four orders of magnitude:

    >>> import numpy as np
    >>> from nntheory import objectives, optim, rates
    >>> q = objectives.quadratic(np.diag([1.0, 0.01]))
    >>> xs = rates.nesterov_convex(q.grad, [1.0, 1.0], 100, lr=1.0)
    >>> gap = np.array([q.f(x) for x in xs])
    >>> bool(np.all(gap <= 2 * 2.0 / (1.0 * (np.arange(101) + 1) ** 2)))
    True
    >>> f"{gap[-1]:.1e}", f"{q.f(optim.run(optim.GD(lr=1.0), q.grad, [1.0, 1.0], 100)[-1]):.1e}"
    ('5.1e-08', '6.7e-04')
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
