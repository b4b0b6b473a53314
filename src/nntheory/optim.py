"""First- and second-order optimizers on numpy vectors, built from small gradient transformations.

As in optax, a ``Transform`` has ``init(x0) -> state`` and ``update(updates, state, ctx) -> (updates, state)``,
never mutating its arguments; ``ctx`` holds the raw gradient, the Hessian (or None) and the 1-based step ``t``.
``chain`` composes them. ``GD, HeavyBall, Nesterov, Newton, AdaGrad, RMSProp, AdaDelta, Adam, AMSGrad`` are
frozen dataclasses with torch.optim's keyword names and defaults, each a named chain ending in ``scale(-lr)``,
with ``init(x0)`` and ``update(g, state, h=None) -> (updates, state)`` (then ``x <- x + updates``); ``run`` loops
it. All but Newton reproduce torch.optim's iterates (SGD, with momentum, with ``nesterov=True``, Adagrad,
RMSprop, Adadelta, Adam, Adam with ``amsgrad=True``; no weight decay) to float64 round-off; the tests check this.
No method's state depends on ``lr``, so multiplying an update by a factor is torch's change of learning rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from . import _validate as v

__all__ = [
    "Context", "Transform", "chain", "scale", "scale_by_schedule", "trace", "ema", "bias_correction",
    "scale_by_sum_of_squares", "scale_by_rms", "scale_by_max_rms", "scale_by_unit_correction",
    "precondition_by_hessian", "Optimizer", "OptState", "GD", "HeavyBall", "Nesterov", "Newton", "AdaGrad",
    "RMSProp", "AdaDelta", "Adam", "AMSGrad",
    "run",
]

Array = np.ndarray
State = Any  # a transform's state: a tuple of arrays (a chain's: a tuple of its pieces' states)


# ----------------------------------------------------------------------------- transformations


class Context(NamedTuple):
    """What every piece of a chain may read at step ``t`` (1-based): the raw gradient and the Hessian (or None)."""
    grad: Array
    hess: Array | None
    t: int


@dataclass(frozen=True)
class Transform:
    """``init(x0) -> state``, ``update(u, state, ctx) -> (u, state)``; ``linear``: linear in (u, state), fixed."""

    name: str
    init: Callable[[Array], State]
    update: Callable[[Array, State, Context], tuple[Array, State]]
    linear: bool = False


def _ema(avg: Array, new: Array, decay: float) -> Array:
    return decay * avg + (1 - decay) * new


def _debias(avg: Array, decay: float, t: int) -> Array:
    return avg / (1 - decay**t)


def _buffer(fill: float = 0.0, n: int = 1) -> Callable[[Array], State]:
    return lambda x0: tuple(np.full(np.shape(x0), fill, dtype=np.float64) for _ in range(n))


def _stateless(x0: Array) -> State:  # noqa: ARG001
    return ()


def chain(*transforms: Transform) -> Transform:
    """Apply ``transforms`` in order; the state is the tuple of their states."""
    def init(x0: Array) -> State:
        return tuple(tx.init(x0) for tx in transforms)

    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        out = []
        for tx, s in zip(transforms, state):
            u, s = tx.update(u, s, ctx)
            out.append(s)
        return u, tuple(out)

    return Transform(" -> ".join(tx.name for tx in transforms), init, update, all(tx.linear for tx in transforms))


def scale(step: float) -> Transform:
    """``u -> step * u`` (``scale(-lr)`` ends every optimizer)."""
    return Transform(f"scale({step:g})", _stateless, lambda u, s, ctx: (step * u, s), linear=True)


def scale_by_schedule(schedule: Callable[[int], float]) -> Transform:
    """``u -> schedule(t) * u``: a step size that depends on the step count."""
    return Transform("scale_by_schedule", _stateless, lambda u, s, ctx: (schedule(ctx.t) * u, s))


def trace(momentum: float, *, nesterov: bool = False) -> Transform:
    """Heavy-ball buffer ``b = momentum b + u`` (from 0: ``b = u`` at step 1); output ``b`` or ``u + momentum b``."""
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        b = momentum * state[0] + u
        return (u + momentum * b if nesterov else b), (b,)

    return Transform("nesterov_trace" if nesterov else "trace", _buffer(), update, linear=True)


def ema(decay: float) -> Transform:
    """First moment: the exponential moving average ``m = decay m + (1 - decay) u`` (from 0), as output."""
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        m = _ema(state[0], u, decay)
        return m, (m,)

    return Transform("ema", _buffer(), update, linear=True)


def bias_correction(decay: float) -> Transform:
    """``u -> u / (1 - decay^t)``: undoes the pull towards 0 of an EMA started at 0."""
    return Transform("bias_correction", _stateless, lambda u, s, ctx: (_debias(u, decay, ctx.t), s))


def scale_by_sum_of_squares(initial: float = 0.0, eps: float = 1e-10) -> Transform:
    """AdaGrad's scaling: ``s += g^2`` (raw gradient ``g``, ``s_0 = initial``), ``u -> u / (sqrt(s) + eps)``."""
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        s = state[0] + ctx.grad * ctx.grad
        return u / (np.sqrt(s) + eps), (s,)

    return Transform("scale_by_sum_of_squares", _buffer(initial), update)


def scale_by_rms(decay: float, eps: float, *, eps_inside: bool = False, debias: bool = False) -> Transform:
    """RMSProp's ``u -> u / (sqrt(v) + eps)`` (``eps_inside``: ``u / sqrt(v + eps)``), ``v = EMA of g^2``.

    ``g`` is the raw gradient and ``v_0 = 0``; with ``debias``, ``v / (1 - decay^t)`` replaces ``v``.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        v_new = _ema(state[0], ctx.grad * ctx.grad, decay)
        v_hat = _debias(v_new, decay, ctx.t) if debias else v_new
        return u / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps), (v_new,)

    return Transform("scale_by_rms", _buffer(), update)


def scale_by_max_rms(decay: float, eps: float) -> Transform:
    """AMSGrad's ``u -> u / (sqrt(vmax / (1 - decay^t)) + eps)``: ``vmax`` is the running maximum of ``v = EMA of g^2``.

    As torch's ``Adam(amsgrad=True)``: the maximum is taken over the raw (not debiased) ``v``, then debiased at step t.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        v_new = _ema(state[0], ctx.grad * ctx.grad, decay)
        v_max = np.maximum(state[1], v_new)
        return u / (np.sqrt(_debias(v_max, decay, ctx.t)) + eps), (v_new, v_max)

    return Transform("scale_by_max_rms", _buffer(n=2), update)


def scale_by_unit_correction(decay: float, eps: float) -> Transform:
    """AdaDelta's units: ``u -> u sqrt(E[dx^2] + eps)``, then ``E[dx^2] = decay E[dx^2] + (1 - decay) out^2``."""
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        out = u * np.sqrt(state[0] + eps)
        return out, (_ema(state[0], out * out, decay),)

    return Transform("scale_by_unit_correction", _buffer(), update)


def precondition_by_hessian(damping: float = 0.0, allow_indefinite: bool = False) -> Transform:
    """Newton's ``u -> (H + damping I)^{-1} u``, ``H = ctx.hess``; ValueError if None, singular or indefinite."""
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        if ctx.hess is None:
            raise ValueError("Newton needs the Hessian: pass hess=... to run, or h=... to update")
        d = u.shape[0]
        m = v.matrix(ctx.hess, "hessian", (d, d), symmetric=True) + damping * np.eye(d)
        lam = np.linalg.eigvalsh(m)
        # singular relative to its own scale: a tiny but well-conditioned Hessian (1e-13 I) is fine
        if np.abs(lam).min() <= 1e-12 * float(np.abs(lam).max()):
            raise ValueError(f"H + damping I is singular (eigenvalues {lam}) at step {ctx.t - 1}; increase damping")
        if lam.min() <= 0 and not allow_indefinite:
            raise ValueError(f"H + damping I is not positive definite (smallest eigenvalue {lam.min():.3g}) "
                             f"at step {ctx.t - 1}; use damping > {-lam.min():.3g} or allow_indefinite=True")
        return np.linalg.solve(m, u), state

    return Transform("precondition_by_hessian", _stateless, update, linear=True)


# ----------------------------------------------------------------------------- named optimizers


class OptState(NamedTuple):
    """An optimizer's state: the number ``t`` of updates taken and its chain's state."""
    t: int
    inner: State


def _nesterov_momentum(value: object, name: str) -> float:
    """A momentum in (0, 1): with 0, Nesterov's method is plain GD."""
    if (m := v.fraction(value, name)) == 0:
        raise ValueError(f"{name} must be > 0 for Nesterov (with 0 it is plain GD), got 0")
    return m


def _betas(value: object, name: str) -> tuple[float, float]:
    """A pair of decay coefficients in [0, 1)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    return v.fraction(value[0], f"{name}[0]"), v.fraction(value[1], f"{name}[1]")


@dataclass(frozen=True)
class Optimizer:
    """A named chain with frozen hyper-parameters, checked on creation by ``_checks`` (field -> check)."""

    needs_hessian: ClassVar[bool] = False
    _checks: ClassVar[dict[str, Callable[[object, str], object]]] = {}
    _tx: Transform = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, check in self._checks.items():
            object.__setattr__(self, name, check(getattr(self, name), name))
        object.__setattr__(self, "_tx", self.transform())

    def transform(self) -> Transform:
        """The chain of transformations that makes this method."""
        raise NotImplementedError

    def init(self, x0: Array) -> OptState:
        """The state before the first update."""
        return OptState(0, self._tx.init(np.asarray(x0, dtype=np.float64)))

    def update(self, g: Array, state: OptState, h: Array | None = None) -> tuple[Array, OptState]:
        """The updates ``u`` (the step is ``x <- x + u``) for gradient ``g`` (and Hessian ``h``), and the next state."""
        t = state.t + 1
        u, inner = self._tx.update(g, state.inner, Context(g, h, t))
        return u, OptState(t, inner)


@dataclass(frozen=True)
class GD(Optimizer):
    """Gradient descent ``x <- x - lr g`` (torch.optim.SGD without momentum)."""

    _checks = {"lr": v.positive}
    lr: float = 1e-3

    def transform(self) -> Transform:
        return chain(scale(-self.lr))


@dataclass(frozen=True)
class HeavyBall(Optimizer):
    """Polyak's heavy ball ``x+ = x - lr g + momentum (x - x_prev)``, as torch SGD(momentum) (default 0 there, 0.9 here).

    torch's form: ``x <- x - lr b``, ``b = momentum b + g`` (``b = g`` at the first step).
    """

    _checks = {"lr": v.positive, "momentum": v.fraction}
    lr: float = 1e-3
    momentum: float = 0.9

    def transform(self) -> Transform:
        return chain(trace(self.momentum), scale(-self.lr))


@dataclass(frozen=True)
class Nesterov(Optimizer):
    """Nesterov momentum, torch SGD(momentum, nesterov=True): ``x <- x - lr (g + momentum b)``, ``b = momentum b + g``.

    The iterates are the look-ahead points ``y_t = x_t + momentum v_t`` of the textbook scheme
    ``v+ = momentum v - lr grad f(x + momentum v)``, ``x+ = x + v+``, ``v_0 = 0``. Momentum must be > 0 (ours: 0.9).
    """

    _checks = {"lr": v.positive, "momentum": _nesterov_momentum}
    lr: float = 1e-3
    momentum: float = 0.9

    def transform(self) -> Transform:
        return chain(trace(self.momentum, nesterov=True), scale(-self.lr))


@dataclass(frozen=True)
class Newton(Optimizer):
    """Damped Newton ``x <- x - lr (H + damping I)^{-1} g`` (no torch counterpart).

    ``H + damping I`` must be positive definite, else ValueError (use ``damping > -lambda_min(H)``). With
    ``allow_indefinite=True`` a nonsingular indefinite matrix gives the pure Newton step, which heads for the
    nearest critical point of the quadratic model: maybe a saddle or a maximum.
    """

    needs_hessian: ClassVar[bool] = True
    _checks = {"lr": v.positive, "damping": v.nonnegative, "allow_indefinite": v.boolean}
    lr: float = 1.0
    damping: float = 0.0
    allow_indefinite: bool = False

    def transform(self) -> Transform:
        return chain(precondition_by_hessian(self.damping, self.allow_indefinite), scale(-self.lr))


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011) as torch.optim.Adagrad: ``s += g^2``, ``x -= lr_t g / (sqrt(s) + eps)``.

    ``lr_t = lr / (1 + (t - 1) lr_decay)`` at step ``t = 1, 2, ...`` is a schedule.
    """

    _checks = {"lr": v.positive, "lr_decay": v.nonnegative, "initial_accumulator_value": v.nonnegative,
               "eps": v.nonnegative}
    lr: float = 1e-2
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-10

    def transform(self) -> Transform:
        lr, decay = self.lr, self.lr_decay
        return chain(scale_by_sum_of_squares(self.initial_accumulator_value, self.eps),
                     scale_by_schedule(lambda t: -lr / (1 + (t - 1) * decay)))


@dataclass(frozen=True)
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012) as torch.optim.RMSprop: ``x -= lr g / (sqrt(v) + eps)``, v = EMA of g^2."""

    _checks = {"lr": v.positive, "alpha": v.fraction, "eps": v.nonnegative}
    lr: float = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8

    def transform(self) -> Transform:
        return chain(scale_by_rms(self.alpha, self.eps), scale(-self.lr))


@dataclass(frozen=True)
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012) as torch.optim.Adadelta (which adds ``lr``, default 1.0).

    ``dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g``, ``x -= lr dx``: RMS scaling with eps inside
    the root, then the unit correction. ``eps_dx`` (default: ``eps``, as in the paper and torch) is the eps of
    the numerator, which has the units of ``x^2`` while the denominator's has those of ``g^2``.
    """

    _checks = {"lr": v.positive, "rho": v.fraction, "eps": v.nonnegative,
               "eps_dx": lambda e, name: None if e is None else v.nonnegative(e, name)}
    lr: float = 1.0
    rho: float = 0.9
    eps: float = 1e-6
    eps_dx: float | None = None

    def transform(self) -> Transform:
        eps_dx = self.eps if self.eps_dx is None else self.eps_dx
        return chain(scale_by_rms(self.rho, self.eps, eps_inside=True),
                     scale_by_unit_correction(self.rho, eps_dx), scale(-self.lr))


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) as torch.optim.Adam: momentum + RMSProp + bias correction.

    ``x -= lr m^ / (sqrt(v^) + eps)`` with ``m^``, ``v^`` the debiased EMAs of ``g`` and ``g^2`` (decays ``betas``).
    ``amsgrad=True`` replaces ``v`` by its running maximum (``scale_by_max_rms``; Reddi et al. 2018).
    """

    _checks = {"lr": v.positive, "betas": _betas, "eps": v.nonnegative, "amsgrad": v.boolean}
    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    amsgrad: bool = False

    def transform(self) -> Transform:
        b1, b2 = self.betas
        rms = scale_by_max_rms(b2, self.eps) if self.amsgrad else scale_by_rms(b2, self.eps, debias=True)
        return chain(ema(b1), bias_correction(b1), rms, scale(-self.lr))


def _true(value: object, name: str) -> bool:
    """AMSGrad is Adam with ``amsgrad=True``; False is plain ``Adam``."""
    if not v.boolean(value, name):
        raise ValueError(f"{name} must be True for AMSGrad (use Adam for amsgrad=False)")
    return True


@dataclass(frozen=True)
class AMSGrad(Adam):
    """AMSGrad (Reddi, Kale, Kumar 2018) under its own name: torch's ``Adam(amsgrad=True)``."""

    _checks = {**Adam._checks, "amsgrad": _true}
    amsgrad: bool = True


# ----------------------------------------------------------------------------- the loop


def run(opt: Optimizer, grad: Callable[[Array], Array], x0: Array, steps: int, *,
        hess: Callable[[Array], Array] | None = None, lr_schedule: Callable[[int], float] | None = None,
        project: Callable[[Array], Array] | None = None) -> Array:
    """Iterates ``x_0, ..., x_steps`` of ``opt`` from ``x0``, as an array of shape ``(steps + 1, d)``.

    ``lr_schedule(t)`` multiplies the update of step ``t = 1, 2, ...`` (torch's ``LambdaLR``); ``project`` maps each
    new iterate onto a feasible set (projected methods, e.g. ``lambda x: np.clip(x, -1, 1)``).
    """
    if not isinstance(opt, Optimizer):
        raise TypeError(f"opt must be an nntheory.optim optimizer (e.g. GD(lr=0.1)), got {type(opt).__name__}")
    v.function(grad, "grad", "x -> gradient array")
    for f, name, what in ((hess, "hess", "x -> Hessian array"), (lr_schedule, "lr_schedule", "t -> factor"),
                          (project, "project", "x -> x projected")):
        if f is not None:
            v.function(f, name, what)
    if opt.needs_hessian and hess is None:
        raise ValueError(f"{type(opt).__name__} needs the Hessian: pass hess=callable")
    steps = v.integer(steps, "steps", least=0)
    x = v.vector(x0, "x0")
    d, state = x.shape[0], opt.init(x)
    xs = np.empty((steps + 1, d))
    xs[0] = x
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # reported just below
        for t in range(steps):
            g = v.vector(grad(x.copy()), f"grad(x) at step {t}", d)
            u, state = opt.update(g, state, None if not opt.needs_hessian else hess(x.copy()))
            x = x + (u if lr_schedule is None else v.real(lr_schedule(t + 1), "lr_schedule(t)") * u)
            if project is not None:
                x = v.vector(project(x), f"project(x) at step {t + 1}", d)
            if not np.all(np.isfinite(x)):
                raise ValueError(f"{type(opt).__name__} produced a non-finite iterate at step {t + 1} "
                                 "(diverging step size, or eps=0 with a zero gradient)")
            xs[t + 1] = x
    return xs
