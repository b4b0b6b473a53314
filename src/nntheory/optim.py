"""First- and second-order optimizers on numpy vectors, with torch.optim's update rules and names.

Every optimizer is a small object holding its hyper-parameters, with two methods (in the spirit
of optax): ``init(x0) -> state`` makes the state (a dict of arrays and a step counter), and
``step(x, g, state, h=None) -> (x_next, state_next)`` applies one update to the iterate ``x``
given the gradient ``g`` (and, for Newton only, the Hessian ``h``). ``step`` never mutates its
arguments. ``run(opt, grad, x0, steps)`` loops ``step`` and returns every iterate.

The adaptive methods are written as compositions of two ingredients: a moment estimate
(``ema``, an exponential moving average of ``g`` or ``g**2``, or a running sum) and a
per-coordinate scaling of the step by the root of the second moment. Adam is momentum's first
moment divided by RMSProp's root second moment, both bias-corrected by ``debias``.

HeavyBall, Nesterov, AdaGrad, RMSProp, AdaDelta and Adam reproduce the iterates of
``torch.optim`` (SGD with momentum, SGD with ``nesterov=True``, Adagrad, RMSprop, Adadelta,
Adam, without weight decay) to float64 round-off; the tests check this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from scipy.integrate import solve_ivp

__all__ = [
    "Optimizer",
    "GD",
    "HeavyBall",
    "Nesterov",
    "Newton",
    "AdaGrad",
    "RMSProp",
    "AdaDelta",
    "Adam",
    "run",
    "ema",
    "debias",
    "Problem",
    "quadratic",
    "least_squares",
    "rosenbrock",
    "cauchy_regression",
    "logistic_regression",
    "polyak_parameters",
    "nesterov_parameters",
    "iteration_matrix",
    "quadratic_rate",
    "nesterov_convex",
    "gradient_flow",
    "heavy_ball_flow",
    "nesterov_flow",
]

State = dict[str, Any]
Array = np.ndarray


# ----------------------------------------------------------------------------- argument checks


def _real(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise TypeError if it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _positive(name: str, value: object) -> float:
    v = _real(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    return v


def _nonnegative(name: str, value: object) -> float:
    v = _real(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    return v


def _unit(name: str, value: object) -> float:
    """A decay or momentum coefficient: a real number in [0, 1)."""
    v = _real(name, value)
    if not 0 <= v < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {v!r}")
    return v


def _vector(name: str, value: object, d: int | None = None) -> Array:
    """A finite 1-d float64 array (of length ``d`` if given), as a fresh copy."""
    if value is None or np.iscomplexobj(value):
        raise TypeError(f"{name} must be a 1-d array of real numbers, got {type(value).__name__}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 1-d array of real numbers, got {type(value).__name__}") from err
    if arr.ndim != 1 or (d is not None and arr.shape != (d,)):
        want = "a 1-d array" if d is None else f"shape ({d},)"
        raise ValueError(f"{name} must have {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr}")
    return arr


def _matrix(name: str, value: object, d: int) -> Array:
    """A finite symmetric (d, d) float64 array."""
    if value is None or np.iscomplexobj(value):
        raise TypeError(f"{name} must be a (d, d) array of real numbers, got {type(value).__name__}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a (d, d) array of real numbers, got {type(value).__name__}") from err
    if arr.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr}")
    if not np.allclose(arr, arr.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(arr).max()))):
        raise ValueError(f"{name} must be symmetric (a Hessian), got {arr}")
    return arr


# ----------------------------------------------------------------------------- building blocks


def ema(avg: Array, new: Array, decay: float) -> Array:
    """Exponential moving average ``decay * avg + (1 - decay) * new``."""
    return decay * avg + (1 - decay) * new


def debias(avg: Array, decay: float, t: int) -> Array:
    """Bias-correct an EMA started at zero after ``t`` updates: ``avg / (1 - decay**t)``."""
    return avg / (1 - decay**t)


# ----------------------------------------------------------------------------- optimizers


class Optimizer:
    """An update rule with a small state: ``init(x0) -> state``, ``step(x, g, state, h) -> (x, state)``."""

    needs_hessian = False

    def init(self, x0: Array) -> State:
        """The state before the first step (here: only the step counter)."""
        return {"t": 0}

    def step(self, x: Array, g: Array, state: State, h: Array | None = None) -> tuple[Array, State]:
        """One update of the iterate ``x`` with gradient ``g``; returns the new iterate and state."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class GD(Optimizer):
    """Gradient descent ``x <- x - lr * g`` (torch.optim.SGD without momentum)."""

    def __init__(self, lr: float = 1e-3) -> None:
        self.lr = _positive("lr", lr)

    def step(self, x, g, state, h=None):
        return x - self.lr * g, {"t": state["t"] + 1}


class HeavyBall(Optimizer):
    """Polyak's heavy ball ``x+ = x - lr g + momentum (x - x_prev)``, as torch SGD(momentum).

    torch keeps the buffer ``b = momentum * b + g`` (``b = g`` at the first step) and sets
    ``x <- x - lr * b``. torch's default momentum is 0 (plain SGD); here it is 0.9.
    """

    def __init__(self, lr: float = 1e-3, momentum: float = 0.9) -> None:
        self.lr = _positive("lr", lr)
        self.momentum = _unit("momentum", momentum)

    def init(self, x0):
        return {"t": 0, "buf": None}

    def step(self, x, g, state, h=None):
        buf = g.copy() if state["buf"] is None else self.momentum * state["buf"] + g
        return x - self.lr * buf, {"t": state["t"] + 1, "buf": buf}


class Nesterov(Optimizer):
    """Nesterov momentum as torch SGD(momentum, nesterov=True).

    With ``b = momentum * b + g`` the update is ``x <- x - lr (g + momentum b)``. These iterates
    are the look-ahead points ``y_t = x_t + momentum v_t`` of the textbook scheme
    ``v+ = momentum v - lr grad f(x + momentum v)``, ``x+ = x + v+`` (started at ``v_0 = 0``).
    torch has no default momentum for Nesterov (it must be > 0); here it is 0.9.
    """

    def __init__(self, lr: float = 1e-3, momentum: float = 0.9) -> None:
        self.lr = _positive("lr", lr)
        self.momentum = _unit("momentum", momentum)
        if self.momentum == 0:
            raise ValueError("momentum must be > 0 for Nesterov (with 0 it is plain GD), got 0")

    def init(self, x0):
        return {"t": 0, "buf": None}

    def step(self, x, g, state, h=None):
        buf = g.copy() if state["buf"] is None else self.momentum * state["buf"] + g
        return x - self.lr * (g + self.momentum * buf), {"t": state["t"] + 1, "buf": buf}


class Newton(Optimizer):
    """Damped Newton ``x <- x - lr (H + damping I)^{-1} g`` (no torch counterpart).

    ``H + damping I`` must be positive definite, else ``step`` raises ValueError (raise
    ``damping`` above ``-lambda_min(H)``). With ``allow_indefinite=True`` an indefinite but
    nonsingular matrix is accepted and the pure Newton step is taken: it heads for the nearest
    critical point of the quadratic model, which may be a saddle or a maximum.
    """

    needs_hessian = True

    def __init__(self, lr: float = 1.0, damping: float = 0.0, allow_indefinite: bool = False) -> None:
        self.lr = _positive("lr", lr)
        self.damping = _nonnegative("damping", damping)
        if not isinstance(allow_indefinite, bool):
            raise TypeError(f"allow_indefinite must be a bool, got {allow_indefinite!r}")
        self.allow_indefinite = allow_indefinite

    def step(self, x, g, state, h=None):
        if h is None:
            raise ValueError("Newton needs the Hessian: pass hess=... to run, or h=... to step")
        m = _matrix("hessian", h, x.shape[0]) + self.damping * np.eye(x.shape[0])
        lam = np.linalg.eigvalsh(m)
        # singular relative to its own scale: a tiny but well-conditioned Hessian (1e-13 I) is fine
        if np.abs(lam).min() <= 1e-12 * float(np.abs(lam).max()):
            raise ValueError(f"H + damping I is singular (eigenvalues {lam}) at step {state['t']}; "
                             "increase damping")
        if lam.min() <= 0 and not self.allow_indefinite:
            raise ValueError(f"H + damping I is not positive definite (smallest eigenvalue {lam.min():.3g}) "
                             f"at step {state['t']}; use damping > {-lam.min():.3g} or allow_indefinite=True")
        return x - self.lr * np.linalg.solve(m, g), {"t": state["t"] + 1}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011) as torch.optim.Adagrad: ``s += g^2``, ``x -= lr_t g / (sqrt(s) + eps)``.

    ``lr_t = lr / (1 + (t - 1) lr_decay)`` at step ``t = 1, 2, ...``.
    """

    def __init__(self, lr: float = 1e-2, lr_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        self.lr = _positive("lr", lr)
        self.lr_decay = _nonnegative("lr_decay", lr_decay)
        self.initial_accumulator_value = _nonnegative("initial_accumulator_value", initial_accumulator_value)
        self.eps = _nonnegative("eps", eps)

    def init(self, x0):
        return {"t": 0, "sum": np.full(np.shape(x0), self.initial_accumulator_value, dtype=np.float64)}

    def step(self, x, g, state, h=None):
        t = state["t"] + 1
        s = state["sum"] + g * g  # second moment: a running sum
        lr_t = self.lr / (1 + (t - 1) * self.lr_decay)
        return x - lr_t * (g / (np.sqrt(s) + self.eps)), {"t": t, "sum": s}


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012) as torch.optim.RMSprop: ``v = ema(v, g^2, alpha)``, ``x -= lr g / (sqrt(v) + eps)``."""

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8) -> None:
        self.lr = _positive("lr", lr)
        self.alpha = _unit("alpha", alpha)
        self.eps = _nonnegative("eps", eps)

    def init(self, x0):
        return {"t": 0, "v": np.zeros(np.shape(x0))}

    def step(self, x, g, state, h=None):
        v = ema(state["v"], g * g, self.alpha)  # second moment
        return x - self.lr * (g / (np.sqrt(v) + self.eps)), {"t": state["t"] + 1, "v": v}


class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012) as torch.optim.Adadelta (which adds ``lr``, default 1.0).

    ``v = ema(v, g^2, rho)``, ``dx = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = ema(u, dx^2, rho)``,
    ``x -= lr dx``: the step carries the units of ``x`` (an RMS of past steps) like a Newton step.
    """

    def __init__(self, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6) -> None:
        self.lr = _positive("lr", lr)
        self.rho = _unit("rho", rho)
        self.eps = _nonnegative("eps", eps)

    def init(self, x0):
        return {"t": 0, "v": np.zeros(np.shape(x0)), "u": np.zeros(np.shape(x0))}

    def step(self, x, g, state, h=None):
        v = ema(state["v"], g * g, self.rho)  # second moment of gradients
        dx = np.sqrt(state["u"] + self.eps) / np.sqrt(v + self.eps) * g
        u = ema(state["u"], dx * dx, self.rho)  # second moment of steps
        return x - self.lr * dx, {"t": state["t"] + 1, "v": v, "u": u}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) as torch.optim.Adam: momentum's first moment over RMSProp's root second moment.

    ``m = ema(m, g, beta1)``, ``v = ema(v, g^2, beta2)``, both debiased, ``x -= lr m^ / (sqrt(v^) + eps)``.
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr = _positive("lr", lr)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_unit("betas[0]", betas[0]), _unit("betas[1]", betas[1]))
        self.eps = _nonnegative("eps", eps)

    def init(self, x0):
        return {"t": 0, "m": np.zeros(np.shape(x0)), "v": np.zeros(np.shape(x0))}

    def step(self, x, g, state, h=None):
        (b1, b2), t = self.betas, state["t"] + 1
        m = ema(state["m"], g, b1)  # first moment (momentum)
        v = ema(state["v"], g * g, b2)  # second moment (RMSProp)
        direction = debias(m, b1, t) / (np.sqrt(debias(v, b2, t)) + self.eps)  # scaling
        return x - self.lr * direction, {"t": t, "m": m, "v": v}


# ----------------------------------------------------------------------------- the loop


def run(opt: Optimizer, grad: Callable[[Array], Array], x0: Array, steps: int, *,
        hess: Callable[[Array], Array] | None = None) -> Array:
    """Iterates ``x_0, ..., x_steps`` of ``opt`` from ``x0``, as an array of shape ``(steps + 1, d)``."""
    if not isinstance(opt, Optimizer):
        raise TypeError(f"opt must be an nntheory.optim optimizer (e.g. GD(lr=0.1)), got {type(opt).__name__}")
    if not callable(grad):
        raise TypeError(f"grad must be callable x -> gradient array, got {type(grad).__name__}")
    if hess is not None and not callable(hess):
        raise TypeError(f"hess must be callable x -> Hessian array, got {type(hess).__name__}")
    if opt.needs_hessian and hess is None:
        raise ValueError(f"{type(opt).__name__} needs the Hessian: pass hess=callable")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    x = _vector("x0", x0)
    d = x.shape[0]
    xs = np.empty((int(steps) + 1, d))
    xs[0] = x
    state = opt.init(x)
    for t in range(int(steps)):
        g = _vector(f"grad(x) at step {t}", grad(x.copy()), d)
        h = None if not opt.needs_hessian else hess(x.copy())
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # reported just below
            x, state = opt.step(x, g, state, h)
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{type(opt).__name__} produced a non-finite iterate at step {t + 1} "
                             "(diverging step size, or eps=0 with a zero gradient)")
        xs[t + 1] = x
    return xs


# ----------------------------------------------------------------------------- test problems


class Problem(NamedTuple):
    """An objective with its gradient, Hessian, a global Hessian-norm bound ``beta`` (or None) and ``f_min``."""

    f: Callable[[Array], float]
    grad: Callable[[Array], Array]
    hess: Callable[[Array], Array]
    beta: float | None
    f_min: float | None


def quadratic(A: Array) -> Problem:
    """``f(x) = x^T A x / 2`` for a symmetric ``A``; ``beta = ||A||_2``, ``f_min = 0`` if ``A`` is PSD."""
    A = np.array(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    A = _matrix("A", A, A.shape[0])
    lam = np.linalg.eigvalsh(A)
    f_min = 0.0 if lam.min() >= 0 else None
    return Problem(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, lambda x: A.copy(),
                   float(np.abs(lam).max()), f_min)


def least_squares(X: Array, y: Array) -> Problem:
    """``f(w) = ||X w - y||^2 / (2 n)``; ``beta = lambda_max(X^T X) / n``."""
    X, y = np.array(X, dtype=np.float64), np.array(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    n = X.shape[0]
    H = X.T @ X / n
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    f = lambda w: float(np.sum((X @ w - y) ** 2)) / (2 * n)  # noqa: E731
    return Problem(f, lambda w: X.T @ (X @ w - y) / n, lambda w: H.copy(),
                   float(np.linalg.eigvalsh(H).max()), f(w_star))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    """Rosenbrock's banana ``(a - x)^2 + b (y - x^2)^2`` on R^2 (minimum 0 at ``(a, a^2)``; no global beta)."""
    a, b = _real("a", a), _positive("b", b)

    def f(z):
        return float((a - z[0]) ** 2 + b * (z[1] - z[0] ** 2) ** 2)

    def grad(z):
        x, y = z
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    def hess(z):
        x, y = z
        return np.array([[2 - 4 * b * (y - 3 * x**2), -4 * b * x], [-4 * b * x, 2 * b]])

    return Problem(f, grad, hess, None, 0.0)


def cauchy_regression(X: Array, y: Array) -> Problem:
    """Robust regression ``f(w) = mean log(1 + (x_i^T w - y_i)^2)``: smooth, non-convex, ``f >= 0``.

    ``rho(r) = log(1 + r^2)`` has ``|rho''| <= 2``, so ``||hess f|| <= 2 lambda_max(X^T X) / n = beta``.
    ``f_min`` is reported as the lower bound 0 (the true minimum is not known in closed form).
    """
    X, y = np.array(X, dtype=np.float64), np.array(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    n = X.shape[0]

    def f(w):
        return float(np.mean(np.log1p((X @ w - y) ** 2)))

    def grad(w):
        r = X @ w - y
        return X.T @ (2 * r / (1 + r**2)) / n

    def hess(w):
        r = X @ w - y
        return (X.T * (2 * (1 - r**2) / (1 + r**2) ** 2)) @ X / n

    return Problem(f, grad, hess, 2 * float(np.linalg.eigvalsh(X.T @ X).max()) / n, 0.0)


def logistic_regression(X: Array, y: Array, *, l2: float = 0.0) -> Problem:
    """``f(w) = mean log(1 + exp(-y_i x_i^T w)) + l2 ||w||^2 / 2`` for labels ``y_i`` in {-1, +1}.

    Convex, ``l2``-strongly convex, and ``beta = lambda_max(X^T X) / (4 n) + l2`` (the logistic
    loss has second derivative at most 1/4). ``f_min`` is None (no closed form).
    """
    X, y = np.array(X, dtype=np.float64), np.array(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must hold labels -1 and +1")
    l2 = _nonnegative("l2", l2)
    n, d = X.shape

    def f(w):
        return float(np.mean(np.logaddexp(0.0, -y * (X @ w)))) + l2 / 2 * float(w @ w)

    def grad(w):
        return X.T @ (-y / (1 + np.exp(y * (X @ w)))) / n + l2 * w

    def hess(w):
        p = 1 / (1 + np.exp(-y * (X @ w)))
        return (X.T * (p * (1 - p))) @ X / n + l2 * np.eye(d)

    return Problem(f, grad, hess, float(np.linalg.eigvalsh(X.T @ X).max()) / (4 * n) + l2, None)


# ----------------------------------------------------------------------------- rates on quadratics


def _mu_L(mu: float, L: float) -> tuple[float, float]:
    mu, L = _positive("mu", mu), _positive("L", L)
    if mu > L:
        raise ValueError(f"need mu <= L, got mu={mu}, L={L}")
    return mu, L


def polyak_parameters(mu: float, L: float) -> tuple[float, float]:
    """Polyak's heavy-ball ``(lr, momentum)`` for eigenvalues in [mu, L]: rate (sqrt k - 1)/(sqrt k + 1)."""
    mu, L = _mu_L(mu, L)
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2


def nesterov_parameters(mu: float, L: float) -> tuple[float, float]:
    """Nesterov's ``(lr, momentum) = (1/L, (sqrt k - 1)/(sqrt k + 1))`` for mu-strongly convex, L-smooth f."""
    mu, L = _mu_L(mu, L)
    return 1 / L, (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))


def iteration_matrix(opt: Optimizer, A: Array) -> Array:
    """The linear map of GD / HeavyBall / Nesterov on ``f = x^T A x / 2``: on ``x`` (GD) or ``(x_t, x_{t-1})``."""
    A = np.array(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    A = _matrix("A", A, A.shape[0])
    d = A.shape[0]
    eye, zero = np.eye(d), np.zeros((d, d))
    if type(opt) is GD:
        return eye - opt.lr * A
    if type(opt) is HeavyBall:  # x+ = (1 + m) x - lr A x - m x_prev
        m = opt.momentum
        return np.block([[(1 + m) * eye - opt.lr * A, -m * eye], [eye, zero]])
    if type(opt) is Nesterov:  # torch iterate y+ = (I - lr A)((1 + m) y - m y_prev)
        m, B = opt.momentum, eye - opt.lr * A
        return np.block([[(1 + m) * B, -m * B], [eye, zero]])
    raise TypeError(f"iteration_matrix needs GD, HeavyBall or Nesterov, got {type(opt).__name__}")


def quadratic_rate(opt: Optimizer, A: Array) -> float:
    """Asymptotic contraction factor per step on ``x^T A x / 2``: the spectral radius of ``iteration_matrix``."""
    return float(np.abs(np.linalg.eigvals(iteration_matrix(opt, A))).max())


# ----------------------------------------------------------------------------- continuous time


def nesterov_convex(grad: Callable[[Array], Array], x0: Array, steps: int, *, lr: float) -> Array:
    """Nesterov's method for convex f with momentum ``(k-1)/(k+2)`` (Su, Boyd, Candes 2016): iterates ``x_k``.

    ``x_k = y_{k-1} - lr grad f(y_{k-1})``, ``y_k = x_k + (k - 1)/(k + 2) (x_k - x_{k-1})``, ``y_0 = x_0``.
    """
    lr = _positive("lr", lr)
    if not callable(grad):
        raise TypeError(f"grad must be callable, got {type(grad).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    x = _vector("x0", x0)
    xs = np.empty((int(steps) + 1, x.shape[0]))
    xs[0] = y = x
    for k in range(1, int(steps) + 1):
        x_new = y - lr * _vector(f"grad(y) at step {k}", grad(y.copy()), x.shape[0])
        y = x_new + (k - 1) / (k + 2) * (x_new - x)
        xs[k] = x = x_new
    return xs


def _times(t: Array) -> Array:
    t = _vector("t", t)
    if t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t must start at 0 and increase strictly")
    return t


def _second_order(grad, x0, t, friction: Callable[[float], float], accel0: Callable[[Array], Array]) -> Array:
    """Solve ``x'' + friction(t) x' + grad f(x) = 0`` with ``x(0) = x0``, ``x'(0) = 0``; rows are x(t)."""
    x0, t = _vector("x0", x0), _times(t)
    d = x0.shape[0]

    def rhs(s, z):
        x, v = z[:d], z[d:]
        a = accel0(x) if s == 0 else -friction(s) * v - grad(x)
        return np.concatenate([v, a])

    sol = solve_ivp(rhs, (0.0, float(t[-1])), np.concatenate([x0, np.zeros(d)]), t_eval=t,
                    method="DOP853", rtol=1e-10, atol=1e-12)
    if not sol.success:  # pragma: no cover - smooth problems on short horizons
        raise ValueError(f"ODE solver failed: {sol.message}")
    return sol.y[:d].T


def gradient_flow(grad: Callable[[Array], Array], x0: Array, t: Array) -> Array:
    """Gradient flow ``x' = -grad f(x)`` from ``x0`` at the times ``t`` (starting at 0); shape ``(len(t), d)``."""
    x0, t = _vector("x0", x0), _times(t)
    sol = solve_ivp(lambda s, x: -grad(x), (0.0, float(t[-1])), x0, t_eval=t, method="DOP853",
                    rtol=1e-10, atol=1e-12)
    if not sol.success:  # pragma: no cover
        raise ValueError(f"ODE solver failed: {sol.message}")
    return sol.y.T


def heavy_ball_flow(grad: Callable[[Array], Array], x0: Array, t: Array, *, damping: float) -> Array:
    """Heavy-ball ODE ``x'' + damping x' + grad f(x) = 0``, at rest at ``x0``; shape ``(len(t), d)``.

    Heavy ball with ``lr = h^2`` and ``momentum = 1 - damping h`` is its discretisation with time step ``h``.
    """
    a = _nonnegative("damping", damping)
    return _second_order(grad, x0, t, lambda s: a, lambda x: -grad(x))


def nesterov_flow(grad: Callable[[Array], Array], x0: Array, t: Array) -> Array:
    """Su-Boyd-Candes ODE ``x'' + (3/t) x' + grad f(x) = 0``, at rest at ``x0``; shape ``(len(t), d)``.

    At ``t = 0`` the limit ``x''(0) = -grad f(x0) / 4`` replaces the singular friction term.
    """
    return _second_order(grad, x0, t, lambda s: 3.0 / s, lambda x: -grad(x) / 4)
