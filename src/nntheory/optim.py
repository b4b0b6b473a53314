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
    """What every piece of a chain may read at step ``t`` (1-based): the raw gradient and the Hessian (or None).

    Parameters
    ----------
    grad : numpy.ndarray of shape (d,)
        The raw gradient ``g`` at the current iterate (the pieces before may already have transformed the
        update ``u``; adaptive scalings read ``g`` here).
    hess : numpy.ndarray of shape (d, d) or None
        The Hessian at the current iterate, for :func:`precondition_by_hessian`; None if not computed.
    t : int
        The number of the update being computed, 1 for the first.
    """
    grad: Array
    hess: Array | None
    t: int


@dataclass(frozen=True)
class Transform:
    """``init(x0) -> state``, ``update(u, state, ctx) -> (u, state)``; ``linear``: linear in (u, state), fixed.

    Neither function mutates its arguments: the state is a tuple of fresh arrays (a chain's, the tuple of its
    pieces' states). Made by the factories below (:func:`scale`, :func:`trace`, ...) and composed by
    :func:`chain`.

    Parameters
    ----------
    name : str
        A readable name, e.g. ``"trace"`` or ``"trace -> scale(-0.1)"`` for a chain.
    init : callable
        ``init(x0) -> state``: the state before the first update, from the starting point ``x0`` (its shape).
    update : callable
        ``update(u, state, ctx) -> (u, state)``: the transformed update and the next state, given the incoming
        update ``u`` and the :class:`Context` ``ctx`` of this step.
    linear : bool, default False
        Whether the map ``(u, state) -> (u, state)`` is linear and the same at every step (scaling, momentum,
        a fixed preconditioner); adaptive scalings are not.

    Examples
    --------
    Heavy-ball momentum from its two pieces: the buffer ``b = 0.9 b + g``, then the step ``-0.1 b``.

    >>> import numpy as np
    >>> from nntheory import optim
    >>> tx = optim.chain(optim.trace(0.9), optim.scale(-0.1))
    >>> tx.name, tx.linear
    ('trace -> scale(-0.1)', True)
    >>> g = np.array([1.0])
    >>> state = tx.init(np.zeros(1))
    >>> for t in (1, 2, 3):
    ...     u, state = tx.update(g, state, optim.Context(g, None, t))
    ...     print(np.round(u, 6).tolist())
    [-0.1]
    [-0.19]
    [-0.271]
    """

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
    """Apply ``transforms`` in order; the state is the tuple of their states.

    Parameters
    ----------
    *transforms : Transform
        The pieces, first applied first; each reads the update the previous one produced.

    Returns
    -------
    Transform
        Named ``"a -> b -> ..."``; linear if every piece is.
    """
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
    """``u -> step * u`` (``scale(-lr)`` ends every optimizer).

    Parameters
    ----------
    step : float
        The factor (not validated); ``-lr`` turns a direction into a descent step.

    Returns
    -------
    Transform
        Stateless and linear, named ``"scale(step)"``.
    """
    return Transform(f"scale({step:g})", _stateless, lambda u, s, ctx: (step * u, s), linear=True)


def scale_by_schedule(schedule: Callable[[int], float]) -> Transform:
    """``u -> schedule(t) * u``: a step size that depends on the step count.

    Parameters
    ----------
    schedule : callable
        ``schedule(t) -> float`` for the step ``t = 1, 2, ...`` (e.g. AdaGrad's ``-lr / (1 + (t - 1) lr_decay)``).

    Returns
    -------
    Transform
        Stateless (``t`` comes from the :class:`Context`); not marked linear, as it changes with ``t``.
    """
    return Transform("scale_by_schedule", _stateless, lambda u, s, ctx: (schedule(ctx.t) * u, s))


def trace(momentum: float, *, nesterov: bool = False) -> Transform:
    """Heavy-ball buffer ``b = momentum b + u`` (from 0: ``b = u`` at step 1); output ``b`` or ``u + momentum b``.

    Parameters
    ----------
    momentum : float
        The decay of the buffer (not validated; :class:`HeavyBall` and :class:`Nesterov` check it lies in [0, 1)).
    nesterov : bool, default False
        Output the look-ahead ``u + momentum b`` (torch's ``nesterov=True``) instead of ``b``.

    Returns
    -------
    Transform
        Linear, with the buffer ``b`` (zeros like ``x0``) as its state.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        b = momentum * state[0] + u
        return (u + momentum * b if nesterov else b), (b,)

    return Transform("nesterov_trace" if nesterov else "trace", _buffer(), update, linear=True)


def ema(decay: float) -> Transform:
    """First moment: the exponential moving average ``m = decay m + (1 - decay) u`` (from 0), as output.

    Parameters
    ----------
    decay : float
        The EMA's decay (Adam's ``beta1``), in [0, 1) for a meaningful average (not validated).

    Returns
    -------
    Transform
        Linear, with ``m`` (zeros like ``x0``) as its state.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        m = _ema(state[0], u, decay)
        return m, (m,)

    return Transform("ema", _buffer(), update, linear=True)


def bias_correction(decay: float) -> Transform:
    """``u -> u / (1 - decay^t)``: undoes the pull towards 0 of an EMA started at 0.

    Parameters
    ----------
    decay : float
        The decay of the EMA being corrected (Adam's ``beta1``), in [0, 1) (not validated).

    Returns
    -------
    Transform
        Stateless; the factor depends on ``t``.
    """
    return Transform("bias_correction", _stateless, lambda u, s, ctx: (_debias(u, decay, ctx.t), s))


def scale_by_sum_of_squares(initial: float = 0.0, eps: float = 1e-10) -> Transform:
    """AdaGrad's scaling: ``s += g^2`` (raw gradient ``g``, ``s_0 = initial``), ``u -> u / (sqrt(s) + eps)``.

    Parameters
    ----------
    initial : float, default 0.0
        The starting value of every entry of the accumulator ``s`` (torch's ``initial_accumulator_value``).
    eps : float, default 1e-10
        Added to ``sqrt(s)`` in the denominator.

    Returns
    -------
    Transform
        With the accumulator ``s`` as its state (entrywise, like ``x0``).
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        s = state[0] + ctx.grad * ctx.grad
        return u / (np.sqrt(s) + eps), (s,)

    return Transform("scale_by_sum_of_squares", _buffer(initial), update)


def scale_by_rms(decay: float, eps: float, *, eps_inside: bool = False, debias: bool = False) -> Transform:
    """RMSProp's ``u -> u / (sqrt(v) + eps)`` (``eps_inside``: ``u / sqrt(v + eps)``), ``v = EMA of g^2``.

    ``g`` is the raw gradient and ``v_0 = 0``; with ``debias``, ``v / (1 - decay^t)`` replaces ``v``.

    Parameters
    ----------
    decay : float
        The decay of the EMA of ``g^2`` (RMSProp's ``alpha``, Adam's ``beta2``, AdaDelta's ``rho``).
    eps : float
        Added to ``sqrt(v)`` (or, with ``eps_inside``, to ``v`` under the root).
    eps_inside : bool, default False
        Divide by ``sqrt(v + eps)`` (AdaDelta) instead of ``sqrt(v) + eps``.
    debias : bool, default False
        Divide ``v`` by ``1 - decay^t`` first (Adam).

    Returns
    -------
    Transform
        With ``v`` as its state.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        v_new = _ema(state[0], ctx.grad * ctx.grad, decay)
        v_hat = _debias(v_new, decay, ctx.t) if debias else v_new
        return u / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps), (v_new,)

    return Transform("scale_by_rms", _buffer(), update)


def scale_by_max_rms(decay: float, eps: float) -> Transform:
    """AMSGrad's ``u -> u / (sqrt(vmax / (1 - decay^t)) + eps)``: ``vmax`` is the running maximum of ``v = EMA of g^2``.

    As torch's ``Adam(amsgrad=True)``: the maximum is taken over the raw (not debiased) ``v``, then debiased at step t.

    Parameters
    ----------
    decay : float
        The decay of the EMA of ``g^2`` (Adam's ``beta2``).
    eps : float
        Added to the square root in the denominator.

    Returns
    -------
    Transform
        With ``(v, vmax)`` as its state.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        v_new = _ema(state[0], ctx.grad * ctx.grad, decay)
        v_max = np.maximum(state[1], v_new)
        return u / (np.sqrt(_debias(v_max, decay, ctx.t)) + eps), (v_new, v_max)

    return Transform("scale_by_max_rms", _buffer(n=2), update)


def scale_by_unit_correction(decay: float, eps: float) -> Transform:
    """AdaDelta's units: ``u -> u sqrt(E[dx^2] + eps)``, then ``E[dx^2] = decay E[dx^2] + (1 - decay) out^2``.

    Parameters
    ----------
    decay : float
        The decay of the EMA of the squared output (AdaDelta's ``rho``).
    eps : float
        Added to ``E[dx^2]`` under the root (AdaDelta's ``eps_dx``).

    Returns
    -------
    Transform
        With ``E[dx^2]`` (from 0) as its state.
    """
    def update(u: Array, state: State, ctx: Context) -> tuple[Array, State]:
        out = u * np.sqrt(state[0] + eps)
        return out, (_ema(state[0], out * out, decay),)

    return Transform("scale_by_unit_correction", _buffer(), update)


def precondition_by_hessian(damping: float = 0.0, allow_indefinite: bool = False) -> Transform:
    """Newton's ``u -> (H + damping I)^{-1} u``, ``H = ctx.hess``; ValueError if None, singular or indefinite.

    Singular means relative to its own scale: the smallest eigenvalue of ``H + damping I`` in absolute value is
    at most ``1e-12`` times the largest.

    Parameters
    ----------
    damping : float, default 0.0
        Added to the diagonal of the Hessian (not validated here; :class:`Newton` checks it is ``>= 0``).
    allow_indefinite : bool, default False
        Accept a nonsingular indefinite ``H + damping I`` (the pure Newton step towards a saddle or maximum).

    Returns
    -------
    Transform
        Stateless and linear in ``u`` (for a fixed Hessian). Its ``update`` raises ``ValueError`` if
        ``ctx.hess`` is None, is not a finite symmetric ``(d, d)`` matrix, or ``H + damping I`` is singular or
        (unless ``allow_indefinite``) not positive definite; ``TypeError`` if it is not an array of real numbers.
    """
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
    """An optimizer's state: the number ``t`` of updates taken and its chain's state.

    Parameters
    ----------
    t : int
        Number of updates taken so far (0 after :meth:`Optimizer.init`).
    inner : tuple
        The state of the optimizer's chain of transformations (a tuple of tuples of arrays: momentum buffers,
        moving averages, ...).
    """
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
    """A named chain with frozen hyper-parameters, checked on creation by ``_checks`` (field -> check).

    The base class of :class:`GD`, :class:`HeavyBall`, ..., :class:`AMSGrad`. A subclass declares its
    hyper-parameters as dataclass fields and ``transform()``; the constructor checks every field (a
    ``TypeError`` for a wrong type, a ``ValueError`` for a value out of range) and builds the chain once.
    ``needs_hessian`` (a class attribute) says whether :func:`run` must pass the Hessian.
    """

    needs_hessian: ClassVar[bool] = False
    _checks: ClassVar[dict[str, Callable[[object, str], object]]] = {}
    _tx: Transform = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, check in self._checks.items():
            object.__setattr__(self, name, check(getattr(self, name), name))
        object.__setattr__(self, "_tx", self.transform())

    def transform(self) -> Transform:
        """The chain of transformations that makes this method.

        Returns
        -------
        Transform
            A fresh chain ending in ``scale(-lr)`` (or a schedule), e.g.
            ``ema -> bias_correction -> scale_by_rms -> scale(-0.001)`` for :class:`Adam`.
        """
        raise NotImplementedError

    def init(self, x0: Array) -> OptState:
        """The state before the first update.

        Parameters
        ----------
        x0 : array_like of shape (d,)
            The starting point; only its shape is used (the buffers are zeros, or AdaGrad's initial value, of that
            shape). Not validated: :func:`run` checks it.

        Returns
        -------
        OptState
            ``t = 0`` and the chain's initial state.
        """
        return OptState(0, self._tx.init(np.asarray(x0, dtype=np.float64)))

    def update(self, g: Array, state: OptState, h: Array | None = None) -> tuple[Array, OptState]:
        """The updates ``u`` (the step is ``x <- x + u``) for gradient ``g`` (and Hessian ``h``), and the next state.

        Pure: ``state`` is not modified. Use it for a loop of your own (e.g. minibatches); :func:`run` wraps it.

        Parameters
        ----------
        g : numpy.ndarray of shape (d,)
            The gradient at the current iterate (float64; not validated here).
        state : OptState
            The state returned by :meth:`init` or by the previous call.
        h : numpy.ndarray of shape (d, d) or None, default None
            The Hessian at the current iterate: required by :class:`Newton`, ignored by the others.

        Returns
        -------
        u : numpy.ndarray of shape (d,)
            The update: the new iterate is ``x + u``.
        state : OptState
            The next state (``t`` increased by 1).

        Raises
        ------
        ValueError
            For :class:`Newton`, if ``h`` is None, not symmetric, or ``h + damping I`` is singular or (without
            ``allow_indefinite``) not positive definite.

        Examples
        --------
        >>> import numpy as np
        >>> from nntheory import optim
        >>> opt = optim.GD(lr=0.1)
        >>> state = opt.init(np.zeros(2))
        >>> u, state = opt.update(np.array([1.0, -2.0]), state)
        >>> u.tolist(), state.t
        ([-0.1, 0.2], 1)
        """
        t = state.t + 1
        u, inner = self._tx.update(g, state.inner, Context(g, h, t))
        return u, OptState(t, inner)


@dataclass(frozen=True)
class GD(Optimizer):
    r"""Gradient descent ``x <- x - lr g`` (torch.optim.SGD without momentum).

    On a quadratic with Hessian eigenvalue :math:`\lambda` the error along that eigenvector contracts by
    :math:`1 - \eta\lambda` per step: a contraction for :math:`0 < \eta < 2/\lambda`.

    Parameters
    ----------
    lr : float, default 1e-3
        The step size :math:`\eta`, ``> 0`` and finite.

    Raises
    ------
    TypeError
        If ``lr`` is not a real number.
    ValueError
        If ``lr`` is not positive and finite.

    Examples
    --------
    On :math:`f(x) = x^2/2` (:math:`\lambda = 1`) the factor is :math:`1 - \eta`: a step size below
    :math:`2/\lambda` contracts, one above it oscillates with growing amplitude.

    >>> import numpy as np
    >>> from nntheory import optim
    >>> optim.GD(lr=0.5)
    GD(lr=0.5)
    >>> for lr in (0.5, 2.5):
    ...     print(np.round(optim.run(optim.GD(lr=lr), lambda x: x, [1.0], 3)[:, 0], 6).tolist())
    [1.0, 0.5, 0.25, 0.125]
    [1.0, -1.5, 2.25, -3.375]
    """

    _checks = {"lr": v.positive}
    lr: float = 1e-3

    def transform(self) -> Transform:
        return chain(scale(-self.lr))


@dataclass(frozen=True)
class HeavyBall(Optimizer):
    r"""Polyak's heavy ball ``x+ = x - lr g + momentum (x - x_prev)``, as torch SGD(momentum) (default 0 there, 0.9 here).

    torch's form: ``x <- x - lr b``, ``b = momentum b + g`` (``b = g`` at the first step).

    Parameters
    ----------
    lr : float, default 1e-3
        The step size :math:`\eta`, ``> 0`` and finite.
    momentum : float, default 0.9
        The momentum coefficient, in [0, 1) (0: plain gradient descent).

    Raises
    ------
    TypeError
        If ``lr`` or ``momentum`` is not a real number.
    ValueError
        If ``lr`` is not positive and finite, or ``momentum`` is outside [0, 1).

    Examples
    --------
    On :math:`f(x) = x^2/2` from 1, the iterates satisfy ``x2 = x1 - lr g1 + momentum (x1 - x0)``:
    ``0.72 = 0.9 - 0.09 + 0.9 (0.9 - 1)``.

    >>> import numpy as np
    >>> from nntheory import optim
    >>> xs = optim.run(optim.HeavyBall(lr=0.1, momentum=0.9), lambda x: x, [1.0], 3)
    >>> np.round(xs[:, 0], 6).tolist()
    [1.0, 0.9, 0.72, 0.486]
    """

    _checks = {"lr": v.positive, "momentum": v.fraction}
    lr: float = 1e-3
    momentum: float = 0.9

    def transform(self) -> Transform:
        return chain(trace(self.momentum), scale(-self.lr))


@dataclass(frozen=True)
class Nesterov(Optimizer):
    r"""Nesterov momentum, torch SGD(momentum, nesterov=True): ``x <- x - lr (g + momentum b)``, ``b = momentum b + g``.

    The iterates are the look-ahead points ``y_t = x_t + momentum v_t`` of the textbook scheme
    ``v+ = momentum v - lr grad f(x + momentum v)``, ``x+ = x + v+``, ``v_0 = 0``. Momentum must be > 0 (ours: 0.9).

    Parameters
    ----------
    lr : float, default 1e-3
        The step size :math:`\eta`, ``> 0`` and finite.
    momentum : float, default 0.9
        The momentum coefficient, in (0, 1).

    Raises
    ------
    TypeError
        If ``lr`` or ``momentum`` is not a real number.
    ValueError
        If ``lr`` is not positive and finite, or ``momentum`` is outside (0, 1).
    """

    _checks = {"lr": v.positive, "momentum": _nesterov_momentum}
    lr: float = 1e-3
    momentum: float = 0.9

    def transform(self) -> Transform:
        return chain(trace(self.momentum, nesterov=True), scale(-self.lr))


@dataclass(frozen=True)
class Newton(Optimizer):
    r"""Damped Newton ``x <- x - lr (H + damping I)^{-1} g`` (no torch counterpart).

    ``H + damping I`` must be positive definite, else ValueError (use ``damping > -lambda_min(H)``). With
    ``allow_indefinite=True`` a nonsingular indefinite matrix gives the pure Newton step, which heads for the
    nearest critical point of the quadratic model: maybe a saddle or a maximum.

    Needs the Hessian: pass ``hess=`` to :func:`run`, or ``h=`` to :meth:`Optimizer.update`. With ``lr = 1`` on
    a strongly convex quadratic it reaches the minimizer in one step.

    Parameters
    ----------
    lr : float, default 1.0
        The step size, ``> 0`` and finite (1: the pure Newton step).
    damping : float, default 0.0
        The Levenberg-Marquardt damping added to the Hessian's diagonal, ``>= 0``.
    allow_indefinite : bool, default False
        Accept a nonsingular indefinite ``H + damping I``.

    Raises
    ------
    TypeError
        If ``lr`` or ``damping`` is not a real number, or ``allow_indefinite`` is not a bool.
    ValueError
        If ``lr`` is not positive and finite, or ``damping`` is negative or not finite.

    Examples
    --------
    One step on :math:`f(x) = \tfrac12 x^\top A x - b^\top x` lands on :math:`A^{-1} b`; an indefinite
    Hessian is refused:

    >>> import numpy as np
    >>> from nntheory import optim
    >>> A, b = np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0])
    >>> xs = optim.run(optim.Newton(), lambda x: A @ x - b, np.zeros(2), 1, hess=lambda x: A)
    >>> np.round(xs[1], 6).tolist(), np.round(np.linalg.solve(A, b), 6).tolist()
    ([0.2, 0.6], [0.2, 0.6])
    >>> optim.run(optim.Newton(), lambda x: x, np.ones(2), 1, hess=lambda x: np.diag([1.0, -1.0]))
    Traceback (most recent call last):
    ...
    ValueError: H + damping I is not positive definite (smallest eigenvalue -1) at step 0; ...
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

    Parameters
    ----------
    lr : float, default 1e-2
        The step size, ``> 0`` and finite.
    lr_decay : float, default 0.0
        The decay of the step size over the steps, ``>= 0`` (0: constant).
    initial_accumulator_value : float, default 0.0
        The starting value of the sum of squared gradients ``s``, ``>= 0``.
    eps : float, default 1e-10
        Added to ``sqrt(s)`` in the denominator, ``>= 0`` (0 divides by zero where a gradient entry has always
        been 0; :func:`run` reports the non-finite iterate).

    Raises
    ------
    TypeError
        If a hyper-parameter is not a real number.
    ValueError
        If ``lr`` is not positive, or another hyper-parameter is negative, or one is not finite.

    Examples
    --------
    The first step moves every coordinate by ``lr``, whatever the curvature (here 1e-3 and 1e3):

    >>> import numpy as np
    >>> from nntheory import optim
    >>> xs = optim.run(optim.AdaGrad(lr=0.5), lambda x: np.array([1e-3, 1e3]) * x, [1.0, 1.0], 1)
    >>> np.round(xs[1], 6).tolist()
    [0.5, 0.5]
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
    """RMSProp (Tieleman & Hinton 2012) as torch.optim.RMSprop: ``x -= lr g / (sqrt(v) + eps)``, v = EMA of g^2.

    Parameters
    ----------
    lr : float, default 1e-2
        The step size, ``> 0`` and finite.
    alpha : float, default 0.99
        The decay of the EMA ``v`` of the squared gradients, in [0, 1).
    eps : float, default 1e-8
        Added to ``sqrt(v)`` in the denominator, ``>= 0``.

    Raises
    ------
    TypeError
        If a hyper-parameter is not a real number.
    ValueError
        If ``lr`` is not positive, ``alpha`` is outside [0, 1), ``eps`` is negative, or one is not finite.
    """

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

    Parameters
    ----------
    lr : float, default 1.0
        A factor on the step, ``> 0`` and finite (torch's addition; the paper has none, i.e. 1).
    rho : float, default 0.9
        The decay of both moving averages, in [0, 1).
    eps : float, default 1e-6
        Added to ``E[g^2]`` under the root of the denominator, ``>= 0``.
    eps_dx : float or None, default None
        Added to ``E[dx^2]`` under the root of the numerator, ``>= 0``; None: ``eps``.

    Raises
    ------
    TypeError
        If a hyper-parameter is not a real number (``eps_dx``: nor None).
    ValueError
        If ``lr`` is not positive, ``rho`` is outside [0, 1), ``eps`` or ``eps_dx`` is negative, or one is
        not finite.
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

    Parameters
    ----------
    lr : float, default 1e-3
        The step size, ``> 0`` and finite.
    betas : tuple of float, default (0.9, 0.999)
        ``(beta1, beta2)``: the decays of the EMAs of ``g`` and ``g^2``, each in [0, 1). Any pair (a list, say)
        is stored as a tuple of floats.
    eps : float, default 1e-8
        Added to ``sqrt(v^)`` in the denominator, ``>= 0``.
    amsgrad : bool, default False
        Use the running maximum of ``v`` (AMSGrad).

    Raises
    ------
    TypeError
        If ``betas`` is not a pair, a hyper-parameter is not a real number, or ``amsgrad`` is not a bool.
    ValueError
        If ``lr`` is not positive, a beta is outside [0, 1), ``eps`` is negative, or one is not finite.

    Examples
    --------
    The first step has ``m^ = g`` and ``v^ = g^2``, so it moves every coordinate by about ``lr`` against the sign of
    its gradient, however small or large:

    >>> import numpy as np
    >>> from nntheory import optim
    >>> opt = optim.Adam(lr=0.01)
    >>> u, state = opt.update(np.array([1e-3, -5.0, 200.0]), opt.init(np.zeros(3)))
    >>> np.round(u, 6).tolist()
    [-0.01, 0.01, -0.01]
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
    """AMSGrad (Reddi, Kale, Kumar 2018) under its own name: torch's ``Adam(amsgrad=True)``.

    Parameters
    ----------
    lr : float, default 1e-3
        The step size, ``> 0`` and finite.
    betas : tuple of float, default (0.9, 0.999)
        ``(beta1, beta2)``, each in [0, 1).
    eps : float, default 1e-8
        Added to the square root in the denominator, ``>= 0``.
    amsgrad : bool, default True
        Must be True (it is what makes AMSGrad); use :class:`Adam` for False.

    Raises
    ------
    TypeError
        As :class:`Adam`.
    ValueError
        As :class:`Adam`, or if ``amsgrad`` is False.
    """

    _checks = {**Adam._checks, "amsgrad": _true}
    amsgrad: bool = True


# ----------------------------------------------------------------------------- the loop


def run(opt: Optimizer, grad: Callable[[Array], Array], x0: Array, steps: int, *,
        hess: Callable[[Array], Array] | None = None, lr_schedule: Callable[[int], float] | None = None,
        project: Callable[[Array], Array] | None = None) -> Array:
    r"""Iterates ``x_0, ..., x_steps`` of ``opt`` from ``x0``, as an array of shape ``(steps + 1, d)``.

    ``lr_schedule(t)`` multiplies the update of step ``t = 1, 2, ...`` (torch's ``LambdaLR``); ``project`` maps each
    new iterate onto a feasible set (projected methods, e.g. ``lambda x: np.clip(x, -1, 1)``).

    Each step is ``x <- project(x + lr_schedule(t) u)`` with ``(u, state) = opt.update(grad(x), state, hess(x))``.
    The callables receive a copy of ``x``.

    Parameters
    ----------
    opt : Optimizer
        The method, e.g. ``GD(lr=0.1)`` (any optimizer of this module).
    grad : callable
        ``grad(x) -> array of shape (d,)``: the gradient (or a subgradient) at ``x``; must be finite.
    x0 : array_like of shape (d,)
        The starting point, finite.
    steps : int
        Number of steps, ``>= 0``.
    hess : callable or None, default None
        ``hess(x) -> array of shape (d, d)``: the Hessian, required for :class:`Newton` (ignored by the others).
    lr_schedule : callable or None, default None
        ``lr_schedule(t) -> float``: a factor on the update of step ``t = 1, 2, ...``; None: 1.
    project : callable or None, default None
        ``project(x) -> array of shape (d,)``: applied to each new iterate; None: no projection.

    Returns
    -------
    numpy.ndarray of shape (steps + 1, d)
        The iterates, ``x0`` first.

    Raises
    ------
    TypeError
        If ``opt`` is not an optimizer of this module, ``grad`` (or a given ``hess``, ``lr_schedule``,
        ``project``) is not callable, ``steps`` is not an int, ``x0`` or an output is not an array of real
        numbers, or ``lr_schedule(t)`` is not a real number.
    ValueError
        If ``opt`` needs the Hessian and ``hess`` is None, ``steps < 0``, ``x0`` is not a finite vector,
        ``grad(x)`` or ``project(x)`` is not a finite vector of length ``d``, ``lr_schedule(t)`` is not finite,
        an iterate is not finite (divergence), or :class:`Newton`'s Hessian is unusable (see
        :func:`precondition_by_hessian`).

    Examples
    --------
    Gradient descent on :math:`f(x) = \tfrac12 (x_1^2 + 4 x_2^2)` contracts each coordinate by
    :math:`1 - \eta\lambda` per step: 0.9 and 0.6 for :math:`\eta = 0.1`:

    >>> import numpy as np
    >>> from nntheory import optim
    >>> lam = np.array([1.0, 4.0])
    >>> xs = optim.run(optim.GD(lr=0.1), lambda x: lam * x, [1.0, 1.0], 20)
    >>> xs.shape
    (21, 2)
    >>> np.round(xs[1:4], 6).tolist()
    [[0.9, 0.6], [0.81, 0.36], [0.729, 0.216]]
    >>> np.round(xs[20] / xs[19], 6).tolist()
    [0.9, 0.6]
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
