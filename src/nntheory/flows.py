"""Continuous-time limits of the optimizers: gradient flow and the heavy-ball and Nesterov ODEs.

Each takes ``grad`` (numpy vector -> numpy vector), a start ``x0`` and the times ``t`` (starting
at 0, strictly increasing) and returns the solution at those times, shape ``(len(t), d)``, from
``scipy.integrate.solve_ivp``. The second-order equations start at rest (``x'(0) = 0``); with
``velocity=True`` they return the pair ``(x, x')`` of such arrays.
``max_nfev`` bounds the number of gradient evaluations: once it is spent the solver stops with a
ValueError that says how far in time it got (a right-hand side that jumps, as for ReLU networks,
can make an adaptive solver crawl).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from . import _validate as v

__all__ = ["gradient_flow", "heavy_ball_flow", "nesterov_flow"]

Array = np.ndarray
METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


class _Spent(Exception):
    """Raised inside the right-hand side when the evaluation budget is spent."""


def _times(t: Array) -> Array:
    t = v.vector(t, "t")
    if t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t must start at 0 and increase strictly")
    return t


def _solve(rhs: Callable[[float, Array], Array], z0: Array, t: Array, *, rtol: float, atol: float,
           method: str, max_nfev: int | None) -> Array:
    """``solve_ivp`` of ``z' = rhs(s, z)`` at the times ``t`` (checked), with an optional budget; rows are z(t)."""
    t = _times(t)
    rtol, atol = v.positive(rtol, "rtol"), v.positive(atol, "atol")
    v.choice(method, "method", METHODS)
    fun, reached = rhs, [0.0]
    if max_nfev is not None:  # count only when asked: an unbounded solve is solve_ivp itself
        budget, calls = v.integer(max_nfev, "max_nfev", least=1), [0]

        def fun(s: float, z: Array) -> Array:
            calls[0] += 1
            if calls[0] > budget:
                raise _Spent()
            reached[0] = max(reached[0], s)
            return rhs(s, z)

    try:
        sol = solve_ivp(fun, (0.0, float(t[-1])), z0, t_eval=t, method=method, rtol=rtol, atol=atol)
    except _Spent:
        raise ValueError(f"solve_ivp reached only t = {reached[0]:.6g} of T = {t[-1]:g} after "
                         f"max_nfev = {max_nfev} gradient evaluations") from None
    if not sol.success:  # pragma: no cover - smooth problems on short horizons
        raise ValueError(f"ODE solver failed: {sol.message}")
    return sol.y.T


def gradient_flow(grad: Callable[[Array], Array], x0: Array, t: Array, *, rtol: float = 1e-10,
                  atol: float = 1e-12, method: str = "DOP853", max_nfev: int | None = None) -> Array:
    """Gradient flow ``x' = -grad f(x)`` from ``x0`` at the times ``t`` (starting at 0); shape ``(len(t), d)``.

    Its discretisation with time step ``lr`` is gradient descent: ``x_k`` approximates ``x(k lr)``.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of shape (d,)``: the gradient of f at a numpy vector ``x`` (the right-hand side of the ODE).
    x0 : array_like of shape (d,)
        Starting point; finite.
    t : array_like of shape (T,)
        Output times: finite, starting at 0 and strictly increasing, at least two of them.
    rtol : float, default 1e-10
        Relative tolerance of ``solve_ivp``, ``> 0``.
    atol : float, default 1e-12
        Absolute tolerance of ``solve_ivp``, ``> 0``.
    method : str, default "DOP853"
        The ``solve_ivp`` method: one of "RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA".
    max_nfev : int or None, default None
        Budget of right-hand-side (gradient) evaluations, ``>= 1``; None: unbounded.

    Returns
    -------
    numpy.ndarray of shape (T, d)
        Row ``i`` is ``x(t[i])``; row 0 is ``x0``.

    Raises
    ------
    TypeError
        If ``grad`` is not callable, ``x0`` or ``t`` is not an array of real numbers, ``rtol`` or ``atol`` not a real
        number, or ``max_nfev`` not an int or None.
    ValueError
        If ``x0`` or ``t`` is not a finite vector, ``t`` does not start at 0 or does not increase strictly,
        ``rtol`` or ``atol`` is not positive and finite, ``method`` is not one of the six, ``max_nfev < 1``,
        the budget ``max_nfev`` is spent before ``t[-1]`` (the message says how far the solver got), or the solver
        fails.

    Examples
    --------
    On ``f(x) = (x_1^2 + 3 x_2^2) / 2`` each coordinate decays like ``exp(-lambda_i t)``:

    >>> import numpy as np
    >>> from nntheory import flows
    >>> x = flows.gradient_flow(lambda x: np.array([1.0, 3.0]) * x, [1.0, 1.0], [0.0, 1.0, 2.0])
    >>> np.round(x, 6).tolist()
    [[1.0, 1.0], [0.367879, 0.049787], [0.135335, 0.002479]]
    >>> np.round(np.exp(-2.0 * np.array([1.0, 3.0])), 6).tolist()
    [0.135335, 0.002479]

    A stiff problem on a long horizon with a small budget stops with a message:

    >>> flows.gradient_flow(lambda x: 100.0 * x, [1.0], [0.0, 100.0], max_nfev=50)
    Traceback (most recent call last):
    ...
    ValueError: solve_ivp reached only t = ... of T = 100 after max_nfev = 50 gradient evaluations
    """
    v.function(grad, "grad", "x -> gradient array")
    x0 = v.vector(x0, "x0")
    return _solve(lambda s, x: -grad(x), x0, t, rtol=rtol, atol=atol, method=method, max_nfev=max_nfev)


def _second_order(grad: Callable[[Array], Array], x0: Array, t: Array, friction: Callable[[float], float],
                  accel0: Callable[[Array], Array], velocity: object, **options: object) -> Array | tuple[Array, Array]:
    """Solve ``x'' + friction(t) x' + grad f(x) = 0`` with ``x(0) = x0``, ``x'(0) = 0``; rows are x(t) (and x'(t))."""
    v.function(grad, "grad", "x -> gradient array")
    x0 = v.vector(x0, "x0")
    velocity = v.boolean(velocity, "velocity")
    d = x0.shape[0]

    def rhs(s: float, z: Array) -> Array:
        x, vel = z[:d], z[d:]
        a = accel0(x) if s == 0 else -friction(s) * vel - grad(x)
        return np.concatenate([vel, a])

    z = _solve(rhs, np.concatenate([x0, np.zeros(d)]), t, **options)
    return (z[:, :d], z[:, d:]) if velocity else z[:, :d]


def heavy_ball_flow(grad: Callable[[Array], Array], x0: Array, t: Array, *, damping: float, rtol: float = 1e-10,
                    atol: float = 1e-12, method: str = "DOP853", max_nfev: int | None = None,
                    velocity: bool = False) -> Array | tuple[Array, Array]:
    """Heavy-ball ODE ``x'' + damping x' + grad f(x) = 0``, at rest at ``x0``; shape ``(len(t), d)`` (or ``(x, x')``).

    Heavy ball with ``lr = h^2`` and ``momentum = 1 - damping h`` is its discretisation with time step ``h``.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of shape (d,)``: the gradient of f at a numpy vector ``x`` (the right-hand side of the ODE).
    x0 : array_like of shape (d,)
        Starting point; finite.
    t : array_like of shape (T,)
        Output times: finite, starting at 0 and strictly increasing, at least two of them.
    damping : float
        Friction coefficient ``a >= 0`` of ``x'' + a x' + grad f(x) = 0`` (0: no friction, energy is conserved).
    rtol : float, default 1e-10
        Relative tolerance of ``solve_ivp``, ``> 0``.
    atol : float, default 1e-12
        Absolute tolerance of ``solve_ivp``, ``> 0``.
    method : str, default "DOP853"
        The ``solve_ivp`` method: one of "RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA".
    max_nfev : int or None, default None
        Budget of right-hand-side (gradient) evaluations, ``>= 1``; None: unbounded.
    velocity : bool, default False
        Also return the velocity ``x'(t)``.

    Returns
    -------
    numpy.ndarray of shape (T, d)
        ``x(t[i])`` in row ``i``; with ``velocity=True``, the pair ``(x, x')`` of two such arrays.

    Raises
    ------
    TypeError
        If ``grad`` is not callable, ``x0`` or ``t`` is not an array of real numbers, ``damping``, ``rtol`` or ``atol``
        not a real number, ``max_nfev`` not an int or None, or ``velocity`` not a bool.
    ValueError
        If ``x0`` or ``t`` is not a finite vector, ``t`` does not start at 0 or does not increase strictly,
        ``damping`` is negative or not finite, ``rtol`` or ``atol`` is not positive and finite, ``method`` is not one
        of the six, ``max_nfev < 1``, the budget ``max_nfev`` is spent before ``t[-1]`` (the message says how far
        the solver got), or the solver fails.

    Examples
    --------
    On ``f(x) = x^2 / 2`` the damping 2 is critical: ``x(t) = (1 + t) e^{-t}`` and ``x'(t) = -t e^{-t}``:

    >>> import numpy as np
    >>> from nntheory import flows
    >>> t = np.array([0.0, 1.0, 2.0])
    >>> x, xdot = flows.heavy_ball_flow(lambda x: x, [1.0], t, damping=2.0, velocity=True)
    >>> np.round(x[:, 0], 6).tolist(), np.round((1 + t) * np.exp(-t), 6).tolist()
    ([1.0, 0.735759, 0.406006], [1.0, 0.735759, 0.406006])
    >>> np.round(xdot[1:, 0], 6).tolist(), np.round(-t[1:] * np.exp(-t[1:]), 6).tolist()
    ([-0.367879, -0.270671], [-0.367879, -0.270671])
    """
    a = v.nonnegative(damping, "damping")
    return _second_order(grad, x0, t, lambda s: a, lambda x: -grad(x), velocity, rtol=rtol, atol=atol,
                         method=method, max_nfev=max_nfev)


def nesterov_flow(grad: Callable[[Array], Array], x0: Array, t: Array, *, rtol: float = 1e-10,
                  atol: float = 1e-12, method: str = "DOP853", max_nfev: int | None = None,
                  velocity: bool = False) -> Array | tuple[Array, Array]:
    """Su-Boyd-Candes ODE ``x'' + (3/t) x' + grad f(x) = 0``, at rest at ``x0``; shape ``(len(t), d)`` (or ``(x, x')``).

    At ``t = 0`` the limit ``x''(0) = -grad f(x0) / 4`` replaces the singular friction term.

    It is the limit of Nesterov's method for convex functions (:func:`nntheory.rates.nesterov_convex`) with
    step ``lr -> 0``, in the time ``t = k sqrt(lr)``; along it ``f(x(t)) - f* <= 2 ||x0 - x*||^2 / t^2``.

    Parameters
    ----------
    grad : callable
        ``grad(x) -> array of shape (d,)``: the gradient of f at a numpy vector ``x`` (the right-hand side of the ODE).
    x0 : array_like of shape (d,)
        Starting point; finite.
    t : array_like of shape (T,)
        Output times: finite, starting at 0 and strictly increasing, at least two of them.
    rtol : float, default 1e-10
        Relative tolerance of ``solve_ivp``, ``> 0``.
    atol : float, default 1e-12
        Absolute tolerance of ``solve_ivp``, ``> 0``.
    method : str, default "DOP853"
        The ``solve_ivp`` method: one of "RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA".
    max_nfev : int or None, default None
        Budget of right-hand-side (gradient) evaluations, ``>= 1``; None: unbounded.
    velocity : bool, default False
        Also return the velocity ``x'(t)``.

    Returns
    -------
    numpy.ndarray of shape (T, d)
        ``x(t[i])`` in row ``i``; with ``velocity=True``, the pair ``(x, x')`` of two such arrays.

    Raises
    ------
    TypeError
        If ``grad`` is not callable, ``x0`` or ``t`` is not an array of real numbers, ``rtol`` or ``atol`` not a real
        number, ``max_nfev`` not an int or None, or ``velocity`` not a bool.
    ValueError
        If ``x0`` or ``t`` is not a finite vector, ``t`` does not start at 0 or does not increase strictly,
        ``rtol`` or ``atol`` is not positive and finite, ``method`` is not one of the six, ``max_nfev < 1``,
        the budget ``max_nfev`` is spent before ``t[-1]`` (the message says how far the solver got), or the solver
        fails.

    Examples
    --------
    On ``f(x) = x^2 / 2`` from 1 the solution is ``x(t) = 2 J_1(t) / t`` (``J_1`` a Bessel function): it oscillates
    and decays like ``t^(-3/2)``:

    >>> import numpy as np
    >>> from scipy.special import j1
    >>> from nntheory import flows
    >>> t = np.array([0.0, 2.0, 5.0, 10.0])
    >>> np.round(flows.nesterov_flow(lambda x: x, [1.0], t)[:, 0], 6).tolist()
    [1.0, 0.576725, -0.131032, 0.008695]
    >>> np.round(2 * j1(t[1:]) / t[1:], 6).tolist()
    [0.576725, -0.131032, 0.008695]
    """
    return _second_order(grad, x0, t, lambda s: 3.0 / s, lambda x: -grad(x) / 4, velocity, rtol=rtol, atol=atol,
                         method=method, max_nfev=max_nfev)
