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
    """Gradient flow ``x' = -grad f(x)`` from ``x0`` at the times ``t`` (starting at 0); shape ``(len(t), d)``."""
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
    """
    a = v.nonnegative(damping, "damping")
    return _second_order(grad, x0, t, lambda s: a, lambda x: -grad(x), velocity, rtol=rtol, atol=atol,
                         method=method, max_nfev=max_nfev)


def nesterov_flow(grad: Callable[[Array], Array], x0: Array, t: Array, *, rtol: float = 1e-10,
                  atol: float = 1e-12, method: str = "DOP853", max_nfev: int | None = None,
                  velocity: bool = False) -> Array | tuple[Array, Array]:
    """Su-Boyd-Candes ODE ``x'' + (3/t) x' + grad f(x) = 0``, at rest at ``x0``; shape ``(len(t), d)`` (or ``(x, x')``).

    At ``t = 0`` the limit ``x''(0) = -grad f(x0) / 4`` replaces the singular friction term.
    """
    return _second_order(grad, x0, t, lambda s: 3.0 / s, lambda x: -grad(x) / 4, velocity, rtol=rtol, atol=atol,
                         method=method, max_nfev=max_nfev)
