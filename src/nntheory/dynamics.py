"""Gradient descent and gradient flow on bias-free ReLU and linear networks, with per-layer norm tracking.

A network is a ``torch.nn.Sequential``: either a bias-free ReLU net (alternating ``nn.Linear`` and
``nn.ReLU``, as built by :func:`nntheory.nets.relu_net`) or a bias-free deep *linear* net (only
``nn.Linear`` layers, as built by :func:`nntheory.nets.linear_net`). Both are 1-homogeneous in each layer, which is
what the balancing results need. The loss is always the quadratic risk

    R(W_1, ..., W_L) = 1/(2n) sum_k ||F(x_k) - y_k||^2,

and the training loops work on plain float64 numpy weight lists with a hand-written backward pass
(a few lines, checked against torch autograd in the tests) because that is ~5x faster than autograd
at these sizes. Trained nets are returned as new ``nn.Sequential`` objects; inputs are never mutated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import _validate as v
from . import flows, nets

try:  # ships with scikit-learn; one BLAS thread is much faster for these small matrices
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

__all__ = [
    "Trajectory",
    "Factorization",
    "loss_and_grads",
    "layer_sq_norms",
    "roundoff_scale",
    "sharpness",
    "neuron_balance",
    "linear_invariants",
    "rescale_layers",
    "balance_layers",
    "teacher_data",
    "train_gd",
    "gradient_flow",
    "factorization_gd",
    "SHARPNESS_TOL",
]

Weights = list[np.ndarray]
#: Default relative tolerance ``tol`` of :func:`sharpness`'s Lanczos iterations (the Ritz value's residual).
SHARPNESS_TOL = 1e-10
_RULES = {"bias_free": True, "linear": True}  # the balancing results: bias-free ReLU or deep linear nets


def _one_thread(fn: Callable) -> Callable:
    """Run ``fn`` with one BLAS thread (at these sizes threads only add contention); overflow is
    not warned about because the loops check the loss and raise a clear error when it is not finite."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(1) if threadpool_limits is not None else nullcontext(), \
                np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _check_data(ws: Weights, X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Inputs as ``(n, d_in)`` and targets as ``(n, d_out)`` float64 arrays matching the weights."""
    d_in, d_out = ws[0].shape[1], ws[-1].shape[0]
    X = v.matrix(X, "X", (None, d_in))
    y = v.array(y, "y")
    if y.ndim == 1 and d_out == 1:
        y = y[:, None]
    if y.shape != (X.shape[0], d_out):
        raise ValueError(f"y must have shape ({X.shape[0]}, {d_out}) to match X and the net's output, got {y.shape}")
    return X, y


# --------------------------------------------------------------------------- forward and backward


def loss_and_grads(
    ws: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, *, relu: bool = True
) -> tuple[float, Weights]:
    r"""Quadratic risk ``1/(2n) sum ||F(x_k) - y_k||^2`` and its gradient per layer (relu'(0) = 0, like torch).

    A hand-written backward pass, no validation (this runs in the training loops); biases are not supported.

    Parameters
    ----------
    ws : sequence of numpy.ndarray
        Weight matrices ``[W_1, ..., W_L]``, ``W_i`` of shape ``(d_i, d_{i-1})``, float64.
    X : numpy.ndarray of shape (n, d_0)
        Inputs, one per row.
    y : numpy.ndarray of shape (n, d_L)
        Targets, one row per input. Must be 2-D: a vector ``(n,)`` would broadcast against the
        ``(n, 1)`` outputs without an error and give a wrong risk.
    relu : bool, default True
        ReLU net (``True``) or deep linear net (``False``).

    Returns
    -------
    loss : float
        :math:`R(W_1, \dots, W_L) = \frac{1}{2n}\sum_k \|F(x_k) - y_k\|^2`.
    grads : list of numpy.ndarray
        :math:`\partial R/\partial W_i`, each of the shape of :math:`W_i`.

    Raises
    ------
    ValueError
        If ``y``'s shape is not the outputs' shape ``(n, d_L)`` (a vector of targets for one output must be
        passed as a column).

    Examples
    --------
    A teacher's own weights have risk 0:

    >>> from nntheory import dynamics as dyn
    >>> X, y, teacher = dyn.teacher_data([3, 4, 1], 20, seed=0, return_teacher=True)
    >>> loss, grads = dyn.loss_and_grads(teacher, X, y)
    >>> loss, [g.shape for g in grads]
    (0.0, [(4, 3), (1, 4)])
    """
    out, zs = nets.forward(ws, X, relu=relu, keep=True)
    if np.shape(y) != out.shape:  # a (n,) target would broadcast against (n, 1) outputs into an (n, n) residual
        raise ValueError(f"y must have the outputs' shape (n, d_L) = {out.shape}, got {np.shape(y)}")
    hs = [X] + [np.maximum(z, 0.0) if relu else z for z in zs]  # each layer's input
    n = X.shape[0]
    r = out - y
    loss = 0.5 * float(np.sum(r * r)) / n
    grads: Weights = [np.empty(0)] * len(ws)
    delta = r / n  # dR/dz for the last layer
    for i in range(len(ws) - 1, -1, -1):
        grads[i] = delta.T @ hs[i]
        if i > 0:
            delta = delta @ ws[i]
            if relu:
                delta = delta * (zs[i - 1] > 0)
    return loss, grads


# --------------------------------------------------------------------------- the balanced quantities


def _ws(net_or_ws: object) -> Weights:
    return nets.weights(net_or_ws, **_RULES) if isinstance(net_or_ws, nn.Module) else nets.as_weights(net_or_ws)


def layer_sq_norms(net: nn.Sequential | Sequence[np.ndarray]) -> np.ndarray:
    r"""Squared Frobenius norms ``||W_i||_F^2`` of every layer (a net or a list of weight matrices).

    Parameters
    ----------
    net : torch.nn.Sequential or sequence of array_like
        A bias-free ReLU net or deep linear net, or its weight matrices ``[W_1, ..., W_L]`` (2-D arrays that chain).

    Returns
    -------
    numpy.ndarray of shape (L,)
        :math:`\|W_1\|_F^2, \dots, \|W_L\|_F^2`.

    Raises
    ------
    TypeError
        If ``net`` is neither such a network nor a non-empty list of real 2-D arrays.
    ValueError
        If the net has biases or non-finite parameters, or the matrices are empty, non-finite or do not chain.
    """
    return np.array([float(np.sum(w * w)) for w in _ws(net)])


def _roundoff_scale(abs_ws: Weights, abs_X: np.ndarray, abs_y: np.ndarray) -> float:
    a = nets.forward(abs_ws, abs_X, relu=False)  # a_i = |W_L| ... |W_1| |x_i|, one row per input
    return float(np.sum((a + abs_y) * a)) / abs_X.shape[0]


def roundoff_scale(net: nn.Sequential | Sequence[np.ndarray], X: object, y: object) -> float:
    r"""``rho_bar(w) = 1/n sum_i <a_i + |y_i|, a_i>``, ``a_i = |W_L|...|W_1||x_i|``: the absolute-value version of
    ``rho(w) = <W_h, dR/dW_h>``, which bounds its rounding error (by ``gamma_nu rho_bar(w)``, ``nu`` roundings in a
    chain).

    By homogeneity, for every layer ``h``,
    :math:`\rho(w) = \langle W_h, \partial R/\partial W_h\rangle = \frac1n\sum_i \langle F(x_i) - y_i, F(x_i)\rangle`;
    ``rho_bar`` replaces every matrix and vector by its entrywise absolute value (and the ReLUs by the
    identity), so :math:`|\rho(w)| \le \bar\rho(w)`.

    Parameters
    ----------
    net : torch.nn.Sequential or sequence of array_like
        A bias-free ReLU net or deep linear net, or its weight matrices ``[W_1, ..., W_L]`` (2-D arrays that chain).
    X : array_like of shape (n, d_in)
        Inputs, one per row; finite, ``d_in`` the net's input width.
    y : array_like of shape (n, d_out) or (n,)
        Targets, one row per input (a vector when ``d_out = 1``); finite.

    Returns
    -------
    float
        :math:`\bar\rho(w) \ge 0`.

    Raises
    ------
    TypeError
        If ``net`` is neither such a network nor a non-empty list of real 2-D arrays, or ``X`` or ``y``
        is not an array of real numbers.
    ValueError
        If the net has biases or non-finite parameters, the matrices are empty, non-finite or do not
        chain, or ``X`` or ``y`` is not finite
        or does not have the shapes ``(n, d_in)`` and ``(n, d_out)``.
    """
    ws = _ws(net)
    X, y = _check_data(ws, X, y)
    return _roundoff_scale([np.abs(w) for w in ws], np.abs(X), np.abs(y))


def neuron_balance(net: nn.Sequential | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per hidden unit: incoming minus outgoing squared norm ``||W_h[k,:]||^2 - ||W_{h+1}[:,k]||^2``.

    Gradient flow conserves every entry on bias-free ReLU and linear nets (each unit is 1-homogeneous
    in its incoming and outgoing weights).

    Parameters
    ----------
    net : torch.nn.Sequential or sequence of array_like
        A bias-free ReLU net or deep linear net, or its weight matrices ``[W_1, ..., W_L]`` (2-D arrays that chain).

    Returns
    -------
    list of numpy.ndarray
        ``L - 1`` vectors, the ``h``-th of length ``d_h`` (the width of hidden layer ``h``).

    Raises
    ------
    TypeError
        If ``net`` is neither such a network nor a non-empty list of real 2-D arrays.
    ValueError
        If the net has biases or non-finite parameters, or the matrices are empty, non-finite or do not chain.
    """
    ws = _ws(net)
    return [np.sum(ws[h] ** 2, axis=1) - np.sum(ws[h + 1] ** 2, axis=0) for h in range(len(ws) - 1)]


def linear_invariants(net: nn.Sequential | Sequence[np.ndarray]) -> list[np.ndarray]:
    r"""``W_h W_h^T - W_{h+1}^T W_{h+1}`` for each hidden layer (conserved by gradient flow on linear nets).

    On a ReLU net only the diagonal is conserved (it is :func:`neuron_balance`).

    Parameters
    ----------
    net : torch.nn.Sequential or sequence of array_like
        A bias-free ReLU net or deep linear net, or its weight matrices ``[W_1, ..., W_L]`` (2-D arrays that chain).

    Returns
    -------
    list of numpy.ndarray
        ``L - 1`` symmetric matrices, the ``h``-th of shape ``(d_h, d_h)``.

    Raises
    ------
    TypeError
        If ``net`` is neither such a network nor a non-empty list of real 2-D arrays.
    ValueError
        If the net has biases or non-finite parameters, or the matrices are empty, non-finite or do not chain.

    Examples
    --------
    Gradient flow on a deep linear net keeps :math:`W_1 W_1^\top - W_2^\top W_2` fixed:

    >>> import numpy as np
    >>> from nntheory import dynamics as dyn, nets
    >>> lin = nets.linear_net([2, 3, 1], seed=0)
    >>> X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, -1.0, 0.5])
    >>> flow = dyn.gradient_flow(lin, X, y, T=1.0, n_eval=3)
    >>> np.round(flow.loss, 4).tolist()
    [0.6356, 0.3006, 0.1668]
    >>> change = dyn.linear_invariants(flow.net)[0] - dyn.linear_invariants(lin)[0]
    >>> bool(np.abs(change).max() < 1e-9)
    True
    """
    ws = _ws(net)
    return [ws[h] @ ws[h].T - ws[h + 1].T @ ws[h + 1] for h in range(len(ws) - 1)]


def rescale_layers(net: nn.Sequential, factors: Sequence[float]) -> nn.Sequential:
    r"""A copy of ``net`` with layer ``i`` multiplied by ``factors[i] > 0`` (the output scales by their product).

    Since the ReLU is positively homogeneous, :math:`F(x; c_1 W_1, \dots, c_L W_L) = (\prod_i c_i) F(x; W)`;
    with :math:`\prod_i c_i = 1` the function is unchanged while the layer norms move.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net or deep linear net.
    factors : sequence of float
        One finite factor ``> 0`` per Linear layer (``L`` of them).

    Returns
    -------
    torch.nn.Sequential
        A new float64 network; ``net`` is unchanged.

    Raises
    ------
    TypeError
        If ``net`` is not such a network, ``factors`` is not a sequence, or a factor is not a real number.
    ValueError
        If ``factors`` does not have length ``L``, a factor is not finite and ``> 0``, or the net has biases or
        non-finite weights.

    Examples
    --------
    >>> import torch
    >>> from nntheory import dynamics as dyn, nets
    >>> net = nets.relu_net([3, 4, 1], seed=1)
    >>> x = torch.tensor([[1.0, -1.0, 2.0]], dtype=torch.float64)
    >>> torch.allclose(dyn.rescale_layers(net, [4.0, 0.5])(x), 2 * net(x))    # 4 * 0.5 = 2
    True
    """
    ws = nets.weights(net, **_RULES)
    if isinstance(factors, (str, bytes)) or not isinstance(factors, (Sequence, np.ndarray)):
        raise TypeError(f"factors must be a sequence of {len(ws)} positive numbers, one per layer, got {factors!r}")
    if len(factors) != len(ws):
        raise ValueError(f"factors must be a sequence of {len(ws)} positive numbers, one per layer, got {factors!r}")
    fs = [v.positive(f, f"factors[{i}]") for i, f in enumerate(factors)]
    return nets.with_weights(net, [f * w for f, w in zip(fs, ws)])


def balance_layers(net: nn.Sequential) -> nn.Sequential:
    r"""Rescale the layers to equal Frobenius norms with product of factors 1, so the function is unchanged.

    Layer ``i`` is multiplied by :math:`c_i = \bar r / \|W_i\|_F` with :math:`\bar r` the geometric mean of
    the layer norms, so every layer ends with norm :math:`\bar r` and :math:`\prod_i c_i = 1`.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net or deep linear net whose layers are all non-zero.

    Returns
    -------
    torch.nn.Sequential
        A new float64 network computing the same function (up to rounding).

    Raises
    ------
    TypeError
        If ``net`` is not such a network.
    ValueError
        If a layer is zero, or the net has biases or non-finite weights.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from nntheory import dynamics as dyn, nets
    >>> net = nets.relu_net([3, 4, 1], seed=1)
    >>> np.round(dyn.layer_sq_norms(net), 4).tolist()
    [3.8449, 0.6103]
    >>> bal = dyn.balance_layers(net)
    >>> np.round(dyn.layer_sq_norms(bal), 4).tolist()
    [1.5318, 1.5318]
    >>> x = torch.tensor([[1.0, -1.0, 2.0]], dtype=torch.float64)
    >>> torch.allclose(bal(x), net(x))
    True
    """
    norms = np.sqrt(layer_sq_norms(net))
    if np.any(norms == 0):
        raise ValueError("balance_layers needs every layer to be non-zero")
    target = float(np.exp(np.mean(np.log(norms))))  # geometric mean: the product of factors is exactly 1
    return rescale_layers(net, list(target / norms))


def teacher_data(widths: Sequence[int], n: int, *, seed: int = 0, return_teacher: bool = False
                 ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, Weights]:
    r"""``n`` Gaussian inputs and the outputs of a random bias-free ReLU teacher (He scale), from one numpy seed.

    With ``return_teacher`` also the teacher's weight matrices: a global minimizer (risk 0) of the student of the
    same widths on these data.

    Inputs are standard normal; teacher weights :math:`W_i` have entries :math:`N(0, 2/d_{i-1})`. The teacher
    is drawn from ``numpy.random.default_rng(seed)``, so it is not ``relu_net(widths, seed=seed)``.

    Parameters
    ----------
    widths : sequence of int
        Teacher (and student) widths ``[d_in, h_1, ..., d_out]``: at least 2 ints, each ``>= 1``.
    n : int
        Number of data points, ``>= 1``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` (passed on unchecked; a non-negative int).
    return_teacher : bool, default False
        Also return the teacher's weights.

    Returns
    -------
    X : numpy.ndarray of shape (n, d_in)
        The inputs.
    y : numpy.ndarray of shape (n, d_out)
        The teacher's outputs :math:`F_{\mathrm{teacher}}(x_k)`.
    teacher : list of numpy.ndarray
        Only with ``return_teacher=True``: ``[W_1, ..., W_L]``.

    Raises
    ------
    TypeError
        If ``n`` is not an int, ``widths`` not a sequence of ints, or ``return_teacher`` not a bool.
    ValueError
        If ``n < 1``, or ``widths`` has fewer than 2 entries or one below 1 (numpy raises its own
        ``ValueError`` for a negative ``seed``).

    Examples
    --------
    >>> from nntheory import dynamics as dyn
    >>> X, y = dyn.teacher_data([3, 4, 1], 20, seed=0)
    >>> X.shape, y.shape
    ((20, 3), (20, 1))
    """
    n = v.integer(n, "n", least=1)
    widths = v.int_list(widths, "widths", least=1, min_len=2)
    return_teacher = v.boolean(return_teacher, "return_teacher")
    rng = np.random.default_rng(seed)  # a numpy stream: the teacher is not any torch-seeded relu_net
    X = rng.standard_normal((n, widths[0]))
    teacher = [rng.standard_normal((b, a)) * (2.0 / a) ** 0.5 for a, b in zip(widths[:-1], widths[1:])]
    y = nets.forward(teacher, X)
    return (X, y, teacher) if return_teacher else (X, y)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Trajectory:
    r"""Quantities recorded along a run, one row per recorded time; ``net`` is the final network.

    Returned by :func:`train_gd` and :func:`gradient_flow`; ``k`` is the number of recorded times and
    ``L`` the number of layers.

    Parameters
    ----------
    t : numpy.ndarray of shape (k,)
        Recorded times: ``step * lr`` for gradient descent, flow time for gradient flow.
    loss : numpy.ndarray of shape (k,)
        Quadratic risk :math:`R = \frac{1}{2n}\sum_k \|F(x_k) - y_k\|^2` at those times.
    sq_norms : numpy.ndarray of shape (k, L)
        :math:`\|W_i(t)\|_F^2` per layer.
    grad_sq_norms : numpy.ndarray of shape (k, L)
        :math:`\|\partial R/\partial W_i\|_F^2` at the recorded weights.
    dist_sq : numpy.ndarray of shape (k, L)
        :math:`\|W_i(t) - W_i(0)\|_F^2`.
    balance : list of numpy.ndarray
        One ``(k, d_h)`` array per hidden layer ``h``: incoming minus outgoing squared norm of each
        hidden unit (:func:`neuron_balance`).
    net : torch.nn.Sequential
        The network at the last recorded time (a new float64 net).
    grad_sq_cum : numpy.ndarray of shape (k, L) or None, default None
        Gradient descent only: :math:`\sum_{s < t/\eta} \|\partial R/\partial W_i(s)\|_F^2`, the squared
        gradient norms summed over the steps before each recorded one; ``None`` for gradient flow.
    info : dict, default {}
        Run details: for :func:`train_gd` ``lr``, ``steps`` (taken), ``stopped``, ``grad_sq_sum`` (per-entry
        sums of squared gradients, one array per layer) and, if tracked, ``roundoff_scale``; for
        :func:`gradient_flow` ``nfev``, ``rtol``, ``atol``, ``method``.
    """

    t: np.ndarray  # times: step * lr for gradient descent, flow time for gradient flow
    loss: np.ndarray  # (k,)
    sq_norms: np.ndarray  # (k, L): ||W_i(t)||_F^2
    grad_sq_norms: np.ndarray  # (k, L): ||dR/dW_i||_F^2 at the recorded weights
    dist_sq: np.ndarray  # (k, L): ||W_i(t) - W_i(0)||_F^2
    balance: list[np.ndarray]  # per hidden layer, (k, width): incoming minus outgoing squared norm
    net: nn.Sequential
    grad_sq_cum: np.ndarray | None = None  # (k, L): sum over the steps before t of ||dR/dW_i||_F^2 (descent only)
    info: dict = field(default_factory=dict)

    @property
    def diffs(self) -> np.ndarray:
        r"""``||W_i(t)||^2 - ||W_i(0)||^2`` per layer, shape (k, L): the theorem says the columns agree.

        Under gradient flow on a bias-free ReLU or linear net,
        :math:`\frac{d}{dt}\|W_i\|_F^2 = -2\langle W_i, \partial R/\partial W_i\rangle` is the same for every layer,
        so the columns agree up to the solver's tolerance; under gradient descent they differ by
        :math:`\eta^2` times the differences of ``grad_sq_cum``'s columns.

        Returns
        -------
        numpy.ndarray of shape (k, L)
            ``sq_norms - sq_norms[0]``.
        """
        return self.sq_norms - self.sq_norms[:1]


def _record(rows: dict, ws: Weights, w0: Weights, loss: float, grads: Weights, t: float) -> None:
    rows["t"].append(t)
    rows["loss"].append(loss)
    rows["sq_norms"].append(layer_sq_norms(ws))
    rows["grad_sq_norms"].append([float(np.sum(g * g)) for g in grads])
    rows["dist_sq"].append([float(np.sum((w - v) ** 2)) for w, v in zip(ws, w0)])
    rows["balance"].append(neuron_balance(ws))


def _trajectory(rows: dict, net: nn.Sequential, ws: Weights, info: dict) -> Trajectory:
    n_hidden = len(ws) - 1
    cum = np.array(rows["grad_sq_cum"]) if rows.get("grad_sq_cum") else None
    return Trajectory(
        t=np.array(rows["t"]),
        loss=np.array(rows["loss"]),
        sq_norms=np.array(rows["sq_norms"]),
        grad_sq_norms=np.array(rows["grad_sq_norms"]),
        dist_sq=np.array(rows["dist_sq"]),
        balance=[np.array([b[h] for b in rows["balance"]]) for h in range(n_hidden)],
        net=nets.with_weights(net, ws),
        info=info,
        grad_sq_cum=cum,
    )


@_one_thread
def train_gd(net: nn.Sequential, X: object, y: object, *, lr: float, steps: int, every: int = 1,
             stop_loss: float | None = None, track_roundoff: bool = False) -> Trajectory:
    r"""Full-batch gradient descent ``W_i <- W_i - lr dR/dW_i`` for ``steps`` steps, recording every ``every``.

    With ``stop_loss`` the run stops at the first step whose loss is at most ``stop_loss`` (recorded;
    ``info["steps"]``
    is then the number of steps taken). With ``track_roundoff`` ``info["roundoff_scale"]`` holds
    :func:`roundoff_scale` at the weights of every step, the first ``info["steps"] + 1`` of them.

    The recorded steps are ``0, every, 2 every, ...`` and the last one. Since
    :math:`\langle W_i, \partial R/\partial W_i\rangle` is the same for every layer, each step changes
    :math:`\|W_i\|_F^2` by the same amount up to :math:`\eta^2\|\partial R/\partial W_i\|_F^2`, so the columns of
    ``diffs - lr**2 * grad_sq_cum`` agree exactly (up to rounding).

    Parameters
    ----------
    net : torch.nn.Sequential
        The initial network, a bias-free ReLU net or deep linear net (not modified).
    X : array_like of shape (n, d_in)
        Inputs, one per row; finite, ``d_in`` the net's input width.
    y : array_like of shape (n, d_out) or (n,)
        Targets, one row per input (a vector when ``d_out = 1``); finite.
    lr : float
        Step size eta, finite ``> 0``.
    steps : int
        Number of steps, ``>= 1``.
    every : int, default 1
        Record every ``every``-th step (the first and last are always recorded), ``>= 1``.
    stop_loss : float, optional
        Stop at the first step whose risk is ``<= stop_loss`` (finite ``>= 0``); default ``None``, never.
    track_roundoff : bool, default False
        Also record :func:`roundoff_scale` at every step in ``info["roundoff_scale"]``.

    Returns
    -------
    Trajectory
        The recorded quantities, with times ``step * lr``, ``grad_sq_cum`` filled in, the final ``net``,
        and ``info`` with ``lr``, ``steps``, ``stopped``, ``grad_sq_sum`` (and ``roundoff_scale``).

    Raises
    ------
    TypeError
        If ``net`` is not such a network, or an argument has the wrong type (``steps``/``every`` not ints,
        ``track_roundoff`` not a bool, ``X``/``y`` not arrays of reals, ...).
    ValueError
        If the net has biases or non-finite weights, ``lr <= 0``, ``steps < 1``, ``every < 1``,
        ``stop_loss < 0``, the loss becomes non-finite (divergence: the step size is too large),
        or ``X`` or ``y`` is not finite
        or does not have the shapes ``(n, d_in)`` and ``(n, d_out)``.

    Examples
    --------
    On a single linear layer the risk is a quadratic with Hessian :math:`X^\top X/n = \mathrm{diag}(2, 0.5)`,
    and with ``y = 0`` each step multiplies the weight along an eigenvector of eigenvalue lambda by
    :math:`1 - \eta\lambda`:

    >>> import numpy as np
    >>> from nntheory import dynamics as dyn, nets
    >>> net = nets.relu_net([2, 1], seed=0)
    >>> X, y = np.array([[2.0, 0.0], [0.0, 1.0]]), np.zeros(2)
    >>> run = dyn.train_gd(net, X, y, lr=0.25, steps=3)
    >>> ratio = nets.weights(run.net, linear=True)[0] / nets.weights(net, linear=True)[0]
    >>> np.round(ratio, 6).tolist()                 # (1 - 0.25 * 2)**3, (1 - 0.25 * 0.5)**3
    [[0.125, 0.669922]]
    >>> run.t.tolist()
    [0.0, 0.25, 0.5, 0.75]

    On a ReLU net the layers' squared norms drift by the same amount, up to the exact :math:`\eta^2` term:

    >>> X, y = dyn.teacher_data([3, 4, 1], 20, seed=0)
    >>> run = dyn.train_gd(nets.relu_net([3, 4, 1], seed=1), X, y, lr=0.05, steps=200, every=50)
    >>> np.round(run.loss, 4).tolist()
    [3.7689, 0.0576, 0.0412, 0.035, 0.0305]
    >>> np.round(run.diffs[-1], 4).tolist()
    [2.5843, 2.6578]
    >>> np.round((run.diffs - 0.05**2 * run.grad_sq_cum)[-1], 6).tolist()
    [2.525307, 2.525307]
    """
    relu = nets.check_net(net, **_RULES)
    lr, steps, every = v.positive(lr, "lr"), v.integer(steps, "steps", least=1), v.integer(every, "every", least=1)
    stop_loss = None if stop_loss is None else v.nonnegative(stop_loss, "stop_loss")
    track_roundoff = v.boolean(track_roundoff, "track_roundoff")
    ws = nets.weights(net, **_RULES)
    X, y = _check_data(ws, X, y)
    abs_X, abs_y = np.abs(X), np.abs(y)
    w0 = [w.copy() for w in ws]
    rows: dict = {k: [] for k in ("t", "loss", "sq_norms", "grad_sq_norms", "dist_sq", "balance", "grad_sq_cum")}
    g2_sum = [np.zeros_like(w) for w in ws]  # sum over steps of the squared gradient entries
    cum = np.zeros(len(ws))  # the same, summed per layer: the drift identity at every recorded step
    scales: list[float] = []
    taken, stopped = steps, False
    for step in range(steps + 1):
        loss, grads = loss_and_grads(ws, X, y, relu=relu)
        if not np.isfinite(loss):
            raise ValueError(f"gradient descent diverged at step {step} (loss {loss}); use a smaller lr than {lr}")
        if track_roundoff:
            scales.append(_roundoff_scale([np.abs(w) for w in ws], abs_X, abs_y))
        stop = stop_loss is not None and loss <= stop_loss
        if step % every == 0 or step == steps or stop:
            _record(rows, ws, w0, loss, grads, step * lr)
            rows["grad_sq_cum"].append(cum.copy())
        if stop:
            taken, stopped = step, True
            break
        if step < steps:
            ws = [w - lr * g for w, g in zip(ws, grads)]
            for s, g in zip(g2_sum, grads):
                s += g * g
            cum += [float(np.sum(g * g)) for g in grads]
    info = {"lr": lr, "steps": taken, "grad_sq_sum": g2_sum, "stopped": stopped}
    if track_roundoff:
        info["roundoff_scale"] = np.array(scales)
    return _trajectory(rows, net, ws, info)


@_one_thread
def sharpness(net: nn.Sequential | Sequence[np.ndarray], X: object, y: object, *, layer: int | None = None,
              relu: bool | None = None, tol: float = SHARPNESS_TOL, seed: int = 0) -> float:
    r"""Largest eigenvalue of the Hessian of the quadratic risk at the net's weights (``layer=h``: of its diagonal
    block for ``W_{h+1}``, 0-based), by Lanczos (``scipy.sparse.linalg.eigsh``, relative tolerance ``tol``) on exact
    Hessian-vector products (autograd; relu''= 0 off the kinks). ``relu`` is needed only for a list of weights.

    When the Hessian (block) has at most 64 rows it is formed densely and diagonalized exactly; ``tol``
    and ``seed`` are then unused. Gradient descent with step size eta is stable near a minimum only if
    :math:`\eta < 2/\lambda_{\max}`.

    Parameters
    ----------
    net : torch.nn.Sequential or sequence of array_like
        A bias-free ReLU net or deep linear net, or its weight matrices ``[W_1, ..., W_L]`` (2-D arrays that chain).
    X : array_like of shape (n, d_in)
        Inputs, one per row; finite, ``d_in`` the net's input width.
    y : array_like of shape (n, d_out) or (n,)
        Targets, one row per input (a vector when ``d_out = 1``); finite.
    layer : int, optional
        0-based layer index ``h`` in ``[0, L - 1]``: the sharpness of the block
        :math:`\partial^2 R/\partial W_{h+1}^2`;
        default ``None``, the whole Hessian.
    relu : bool, optional
        Whether a list of weights is a ReLU net (``True``) or a linear net (``False``); required then, and
        ignored for a network (whose layers decide).
    tol : float, default SHARPNESS_TOL (1e-10)
        Relative tolerance of the Lanczos iterations, finite ``> 0``.
    seed : int, default 0
        Seed of the Lanczos start vector, an int ``>= 0``.

    Returns
    -------
    float
        :math:`\lambda_{\max}(\nabla^2 R)` (or of the block).

    Raises
    ------
    TypeError
        If ``net`` is a list of weights and ``relu`` is ``None`` or not a bool; if ``net``, ``X``, ``y``,
        ``tol``, ``seed`` or ``layer`` has the wrong type.
    ValueError
        If ``tol <= 0``, ``seed < 0``, ``layer`` is outside ``[0, L - 1]``, the net has biases or non-finite
        weights, or ``X`` or ``y`` is not finite
        or does not have the shapes ``(n, d_in)`` and ``(n, d_out)``.

    Examples
    --------
    For a single linear layer the risk is a quadratic with Hessian :math:`X^\top X / n`:

    >>> import numpy as np
    >>> from nntheory import dynamics as dyn, nets
    >>> X = np.array([[2.0, 0.0], [0.0, 1.0]])          # X^T X / n = diag(2, 0.5)
    >>> round(dyn.sharpness(nets.relu_net([2, 1]), X, np.zeros(2)), 6)
    2.0
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    if isinstance(net, nn.Module):
        relu = nets.check_net(net, **_RULES)
    elif relu is None:
        raise TypeError("relu must be True or False when net is a list of weight matrices")
    else:
        relu = v.boolean(relu, "relu")
    ws = _ws(net)
    X, y = _check_data(ws, X, y)
    tol, seed = v.positive(tol, "tol"), v.integer(seed, "seed", least=0)
    if layer is not None:
        layer = v.integer(layer, "layer", least=0, most=len(ws) - 1)
    sizes = [w.size for w in ws]
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        flat = torch.tensor(np.concatenate([w.ravel() for w in ws]), requires_grad=True)
        W = [p.reshape(w.shape) for p, w in zip(torch.split(flat, sizes), ws)]
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        out = nets.forward(W, Xt, relu=relu)
        risk = 0.5 * torch.sum((out - yt) ** 2) / X.shape[0]
        (g,) = torch.autograd.grad(risk, flat, create_graph=True)
        lo = 0 if layer is None else int(sum(sizes[:layer]))
        hi = flat.numel() if layer is None else lo + sizes[layer]

        def hvp(vec: np.ndarray) -> np.ndarray:
            full = torch.zeros(flat.numel(), dtype=torch.float64)
            full[lo:hi] = torch.from_numpy(np.ascontiguousarray(vec, dtype=np.float64).ravel())
            (hv,) = torch.autograd.grad(g, flat, full, retain_graph=True)
            return hv[lo:hi].numpy().copy()

        dim = hi - lo
        if dim <= 64:  # small: the dense Hessian (block), column by column, and all its eigenvalues
            H = np.column_stack([hvp(e) for e in np.eye(dim)])
            return float(np.linalg.eigvalsh((H + H.T) / 2)[-1])
        op = LinearOperator((dim, dim), matvec=hvp, dtype=np.float64)
        start = np.random.default_rng(seed).standard_normal(dim)
        return float(eigsh(op, k=1, which="LA", tol=tol, v0=start, return_eigenvectors=False)[0])
    finally:
        torch.set_num_threads(n_threads)


@_one_thread
def gradient_flow(
    net: nn.Sequential,
    X: object,
    y: object,
    *,
    T: float,
    n_eval: int = 101,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    method: str = "DOP853",
    max_nfev: int = 200_000,
) -> Trajectory:
    """Gradient flow ``dW/dt = -dR/dW`` on ``[0, T]`` (``flows.gradient_flow``), recorded at ``n_eval`` times.

    The right-hand side of a ReLU net jumps where a pre-activation changes sign, and the flow can
    slide along such a surface; an adaptive solver then crawls. After ``max_nfev`` gradient
    evaluations this raises a ``ValueError`` that says how far it got, instead of running for hours.

    Parameters
    ----------
    net : torch.nn.Sequential
        The initial network, a bias-free ReLU net or deep linear net (not modified).
    X : array_like of shape (n, d_in)
        Inputs, one per row; finite, ``d_in`` the net's input width.
    y : array_like of shape (n, d_out) or (n,)
        Targets, one row per input (a vector when ``d_out = 1``); finite.
    T : float
        Final time, finite ``> 0``.
    n_eval : int, default 101
        Number of equally spaced recording times in ``[0, T]`` (both ends included), ``>= 2``.
    rtol : float, default 1e-10
        Relative tolerance of ``scipy.integrate.solve_ivp``, finite ``> 0``.
    atol : float, default 1e-12
        Absolute tolerance of ``solve_ivp``, finite ``> 0``.
    method : str, default "DOP853"
        ``solve_ivp`` method: one of ``"RK45"``, ``"RK23"``, ``"DOP853"``, ``"Radau"``, ``"BDF"``, ``"LSODA"``.
    max_nfev : int, default 200000
        Budget of gradient evaluations, ``>= 1`` (``None`` removes it).

    Returns
    -------
    Trajectory
        The recorded quantities at the times ``linspace(0, T, n_eval)``, the final ``net``
        (``grad_sq_cum`` is ``None``), and ``info`` with ``nfev``, ``rtol``, ``atol``, ``method``.

    Raises
    ------
    TypeError
        If ``net`` is not such a network, or ``T``, ``n_eval``, ``rtol``, ``atol``, ``max_nfev``, ``X`` or
        ``y`` has the wrong type.
    ValueError
        If the net has biases or non-finite weights, ``T <= 0``, ``n_eval < 2``, ``rtol`` or ``atol``
        ``<= 0``, ``method`` is unknown, ``max_nfev < 1``, the budget ``max_nfev`` is spent before ``T``,
        the solver fails, or ``X`` or ``y`` is not finite
        or does not have the shapes ``(n, d_in)`` and ``(n, d_out)``.

    Examples
    --------
    Along the flow every layer's squared norm changes by the same amount:

    >>> import numpy as np
    >>> from nntheory import dynamics as dyn, nets
    >>> X, y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, -1.0, 0.5])
    >>> flow = dyn.gradient_flow(nets.linear_net([2, 3, 1], seed=0), X, y, T=1.0, n_eval=3)
    >>> np.round(flow.diffs, 6).tolist()
    [[0.0, 0.0], [-0.145212, -0.145212], [-0.119049, -0.119049]]
    """
    relu = nets.check_net(net, **_RULES)
    T = v.positive(T, "T")
    n_eval = v.integer(n_eval, "n_eval", least=2)
    ws = nets.weights(net, **_RULES)
    X, y = _check_data(ws, X, y)
    shapes = [w.shape for w in ws]
    sizes = np.cumsum([0] + [w.size for w in ws])

    def unflatten(u: np.ndarray) -> Weights:
        return [u[a:b].reshape(s) for a, b, s in zip(sizes[:-1], sizes[1:], shapes)]

    calls = [0]

    def grad(u: np.ndarray) -> np.ndarray:
        calls[0] += 1
        return np.concatenate([g.ravel() for g in loss_and_grads(unflatten(u), X, y, relu=relu)[1]])

    t_eval = np.linspace(0.0, T, n_eval)
    try:
        path = flows.gradient_flow(grad, np.concatenate([w.ravel() for w in ws]), t_eval, rtol=rtol, atol=atol,
                                   method=method, max_nfev=max_nfev)
    except ValueError as err:
        if relu and "max_nfev" in str(err):
            raise ValueError(f"{err} (the ReLU flow's right-hand side jumps where a pre-activation changes sign)") \
                from None
        raise
    rows: dict = {k: [] for k in ("t", "loss", "sq_norms", "grad_sq_norms", "dist_sq", "balance")}
    for t, u in zip(t_eval, path):
        wt = [w.copy() for w in unflatten(u)]
        loss, grads = loss_and_grads(wt, X, y, relu=relu)
        _record(rows, wt, ws, loss, grads, float(t))
    return _trajectory(rows, net, wt, {"nfev": calls[0], "rtol": rtol, "atol": atol, "method": method})


@dataclass(frozen=True)
class Factorization:
    r"""Record of :func:`factorization_gd`, one row per recorded step, and the final factors.

    ``k`` is the number of recorded steps, ``U`` is ``(m, r)`` and ``V`` is ``(n, r)``.

    Parameters
    ----------
    t : numpy.ndarray of shape (k,)
        Times ``step * lr``.
    loss : numpy.ndarray of shape (k,)
        :math:`\frac12\|UV^\top - M\|_F^2`.
    u_sq : numpy.ndarray of shape (k,)
        :math:`\|U\|_F^2`.
    v_sq : numpy.ndarray of shape (k,)
        :math:`\|V\|_F^2`.
    gap : numpy.ndarray of shape (k, r, r)
        :math:`U^\top U - V^\top V`, conserved by gradient flow.
    U : numpy.ndarray of shape (m, r)
        Final left factor.
    V : numpy.ndarray of shape (n, r)
        Final right factor.
    grad_gap_sum : numpy.ndarray of shape (r, r)
        :math:`\sum_s G_U^\top G_U - G_V^\top G_V` over all steps, with :math:`G_U, G_V` the gradients;
        ``gap[-1] - gap[0] == lr**2 * grad_gap_sum`` exactly (up to rounding).
    """

    t: np.ndarray  # times step * lr
    loss: np.ndarray  # 1/2 ||U V^T - M||_F^2
    u_sq: np.ndarray  # ||U||_F^2
    v_sq: np.ndarray  # ||V||_F^2
    gap: np.ndarray  # (k, r, r): U^T U - V^T V
    U: np.ndarray
    V: np.ndarray
    grad_gap_sum: np.ndarray  # sum over steps of G_U^T G_U - G_V^T G_V: gap[-1] - gap[0] = lr^2 * this, exactly


@_one_thread
def factorization_gd(M: object, U0: object, V0: object, *, lr: float, steps: int, every: int = 1) -> Factorization:
    r"""Gradient descent on ``1/2 ||U V^T - M||_F^2``; records t, loss, ||U||^2, ||V||^2 and ``U^T U - V^T V``.

    The gradients are :math:`G_U = (UV^\top - M)V` and :math:`G_V = (UV^\top - M)^\top U`; each step changes the
    gap :math:`U^\top U - V^\top V` by exactly :math:`\eta^2 (G_U^\top G_U - G_V^\top G_V)`.

    Parameters
    ----------
    M : array_like of shape (m, n)
        The target matrix, finite and non-empty.
    U0 : array_like of shape (m, r)
        Initial left factor, finite.
    V0 : array_like of shape (n, r)
        Initial right factor, finite (same ``r``).
    lr : float
        Step size eta, finite ``> 0``.
    steps : int
        Number of steps, ``>= 1``.
    every : int, default 1
        Record every ``every``-th step (the first and last are always recorded), ``>= 1``.

    Returns
    -------
    Factorization
        The recorded quantities and the final ``U`` and ``V``.

    Raises
    ------
    TypeError
        If ``M``, ``U0`` or ``V0`` is not an array of reals, ``lr`` not a real, or ``steps``/``every`` not ints.
    ValueError
        If a matrix is empty, non-finite or of the wrong shape, ``lr <= 0``, ``steps < 1``, ``every < 1``,
        or the loss becomes non-finite (divergence).

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import dynamics as dyn
    >>> rng = np.random.default_rng(0)
    >>> M = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> U0, V0 = 0.1 * rng.standard_normal((2, 2)), 0.1 * rng.standard_normal((2, 2))
    >>> fac = dyn.factorization_gd(M, U0, V0, lr=0.1, steps=100, every=50)
    >>> np.round(fac.loss, 6).tolist()
    [7.487476, 0.0, 0.0]
    >>> bool(np.allclose(fac.gap[-1] - fac.gap[0], 0.1**2 * fac.grad_gap_sum, atol=1e-12))
    True
    """
    M = v.matrix(M, "M")
    U = v.matrix(U0, "U0", (M.shape[0], None))
    V = v.matrix(V0, "V0", (M.shape[1], U.shape[1]))
    lr, steps, every = v.positive(lr, "lr"), v.integer(steps, "steps", least=1), v.integer(every, "every", least=1)
    rec: dict[str, list] = {"t": [], "loss": [], "u_sq": [], "v_sq": [], "gap": []}
    gg_sum = np.zeros((U.shape[1], U.shape[1]))
    for step in range(steps + 1):
        R = U @ V.T - M
        loss = 0.5 * float(np.sum(R * R))
        if not np.isfinite(loss):
            raise ValueError(f"gradient descent diverged at step {step}; use a smaller lr than {lr}")
        if step % every == 0 or step == steps:
            for key, value in (("t", step * lr), ("loss", loss), ("u_sq", float(np.sum(U * U))),
                               ("v_sq", float(np.sum(V * V))), ("gap", U.T @ U - V.T @ V)):
                rec[key].append(value)
        if step < steps:
            GU, GV = R @ V, R.T @ U
            gg_sum += GU.T @ GU - GV.T @ GV
            U, V = U - lr * GU, V - lr * GV
    return Factorization(**{k: np.array(x) for k, x in rec.items()}, U=U, V=V, grad_gap_sum=gg_sum)
