"""Implicit bias, part two: margins. Gradient descent on the logistic loss of separable data.

* linear classifiers through the origin: separability (an LP), the hard-margin SVM (scipy's SLSQP
  polished to an exact KKT point), its support vectors and duals, and the offset ``w~`` of Soudry et
  al.'s ``w(t) = w_hat log t + w~``; the logistic risk itself is ``objectives.logistic``;
* bias-free ReLU nets (homogeneous of degree L): the normalised margin, Lyu & Li's smoothed margin,
  and gradient descent on the logistic risk recording both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linprog, minimize
from torch import nn

from . import _validate as v
from . import nets

__all__ = [
    "is_separable",
    "hard_margin_svm",
    "support_vectors",
    "svm_dual",
    "logistic_offset",
    "angle",
    "normalized_margin",
    "smoothed_margin",
    "MarginRun",
    "margin_gd",
    "decision_grid",
]


def is_separable(X: object, y: object) -> bool:
    r"""True when some ``w`` has ``y_i <w, x_i> >= 1`` for all i (separable by a hyperplane through 0); an LP.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.

    Returns
    -------
    bool
        Whether the linear program :math:`y_i \langle w, x_i\rangle \ge 1` for all ``i`` is feasible (HiGHS).

    Raises
    ------
    TypeError
        If ``X`` is not numeric or ``y`` is not an array of numbers.
    ValueError
        If ``X`` is not a non-empty finite ``(n, d)`` matrix, or ``y`` does not hold one label -1 or +1 per
        point.

    Examples
    --------
    >>> from nntheory import margins
    >>> margins.is_separable([[1.0, 0.0], [-1.0, 0.0]], [1, -1])
    True
    >>> margins.is_separable([[1.0, 0.0], [-1.0, 0.0]], [1, 1])    # no line through 0 separates them
    False
    """
    A, b = v.data(X, y, classes=True)
    Z = b[:, None] * A
    res = linprog(np.zeros(A.shape[1]), A_ub=-Z, b_ub=-np.ones(len(b)), bounds=[(None, None)] * A.shape[1],
                  method="highs")
    return res.status == 0


def hard_margin_svm(X: object, y: object) -> np.ndarray:
    r"""``argmin ||w||^2 s.t. y_i <w, x_i> >= 1`` (no bias): scipy's SLSQP, then an exact KKT solve on its active set.

    The returned ``w`` satisfies the KKT conditions (feasible; ``w = sum_s alpha_s y_s x_s`` with
    ``alpha >= 0`` on the active constraints), which certify the global optimum of this convex QP.
    Its direction ``w / ||w||`` is the limit direction of gradient descent on the logistic risk (Soudry
    et al.), with margin ``1 / ||w||``.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The max-margin vector :math:`\hat w`.

    Raises
    ------
    TypeError
        If ``X`` is not numeric or ``y`` is not an array of numbers.
    ValueError
        If ``X`` is not a non-empty finite ``(n, d)`` matrix, or ``y`` does not hold one label -1 or +1 per
        point.
        Also if the data are not linearly separable by a hyperplane through the origin.
    RuntimeError
        If the QP was not solved to a KKT point.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import margins
    >>> X, y = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], [1, 1, -1, -1]
    >>> w = margins.hard_margin_svm(X, y)
    >>> np.round(w, 6).tolist()
    [1.0, 1.0]
    >>> margins.support_vectors(X, y, w).tolist()          # every point is on the margin
    [0, 1, 2, 3]
    >>> np.round(margins.svm_dual(X, y, w), 6).tolist()    # w = sum_i alpha_i y_i x_i
    [0.5, 0.5, 0.5, 0.5]
    """
    A, b = v.data(X, y, classes=True)
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
    """Indices ``i`` with ``y_i <w, x_i> <= 1 + tol`` (the active constraints of the SVM at ``w``).

    Parameters
    ----------
    X : array_like of shape (n, d)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.
    w : array_like of shape (d,)
        A classifier, normally :func:`nntheory.margins.hard_margin_svm`'s.
    tol : float, default 1e-6
        Absolute slack on the constraint, a finite real ``> 0``.

    Returns
    -------
    numpy.ndarray of int
        The indices, increasing.

    Raises
    ------
    TypeError
        If ``X``, ``y`` or ``w`` is not numeric, or ``tol`` is not a real number.
    ValueError
        If ``X`` is not a non-empty finite ``(n, d)`` matrix, ``y`` does not hold one label -1 or +1 per
        point, ``w`` is not a finite vector of length ``d``, or ``tol`` is not positive and finite.
    """
    A, b = v.data(X, y, classes=True)
    return np.flatnonzero(b * (A @ v.vector(w, "w", A.shape[1])) <= 1 + v.positive(tol, "tol"))


def svm_dual(X: object, y: object, w: object, *, tol: float = 1e-6) -> np.ndarray:
    r"""Dual variables ``alpha >= 0`` with ``w = sum_i alpha_i y_i x_i``, zero off the support vectors.

    They solve the least-squares problem on the support vectors
    (:func:`nntheory.margins.support_vectors`); they are nonnegative when ``w`` is the hard-margin SVM
    (not checked).

    Parameters
    ----------
    X : array_like of shape (n, d)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.
    w : array_like of shape (d,)
        The classifier, normally :func:`nntheory.margins.hard_margin_svm`'s.
    tol : float, default 1e-6
        Slack defining the support vectors, a finite real ``> 0``.

    Returns
    -------
    numpy.ndarray of shape (n,)
        The dual variables :math:`\alpha_i`.

    Raises
    ------
    TypeError
        If ``X``, ``y`` or ``w`` is not numeric, or ``tol`` is not a real number.
    ValueError
        If ``X`` is not a non-empty finite ``(n, d)`` matrix, ``y`` does not hold one label -1 or +1 per
        point, ``w`` is not a finite vector of length ``d``, or ``tol`` is not positive and finite.
    """
    A, b = v.data(X, y, classes=True)
    S = support_vectors(A, b, w, tol=tol)
    coef, *_ = np.linalg.lstsq((b[S, None] * A[S]).T, v.vector(w, "w", A.shape[1]), rcond=None)
    out = np.zeros(len(b))
    out[S] = coef
    return out


def logistic_offset(X: object, y: object, lr: float) -> np.ndarray:
    r"""The limit ``w~`` of ``w_k - w_hat log k`` for GD with step ``lr`` on the mean logistic risk.

    Plugging ``w_k = w_hat log k + w~`` into the GD step (support vectors only, ``e^{-m}`` tail)
    gives ``(lr / n) exp(-y_s <w~, x_s>) = alpha_s`` for each support vector ``s`` (``alpha`` the SVM
    duals). Needs the support vectors to span ``R^d`` (true for almost all data with d <= #SV).

    Parameters
    ----------
    X : array_like of shape (n, d)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.
    lr : float
        The GD step size ``eta``, a finite real ``> 0``.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The offset :math:`\tilde w`.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not numeric, or ``lr`` is not a real number.
    ValueError
        If ``X`` or ``y`` is malformed (see :func:`nntheory.margins.is_separable`), ``lr`` is not positive
        and finite, the data are not separable through the origin, or the support vectors do not span
        :math:`\mathbb{R}^d`.
    RuntimeError
        If the SVM QP was not solved (see :func:`nntheory.margins.hard_margin_svm`).
    """
    A, b = v.data(X, y, classes=True)
    lr = v.positive(lr, "lr")
    w_hat = hard_margin_svm(A, b)
    alpha = svm_dual(A, b, w_hat)
    S = np.flatnonzero(alpha > 0)
    Z = b[S, None] * A[S]
    if np.linalg.matrix_rank(Z) < A.shape[1]:
        raise ValueError(f"the {len(S)} support vectors do not span R^{A.shape[1]}: the offset is not determined")
    w_tilde, *_ = np.linalg.lstsq(Z, np.log(lr / (len(b) * alpha[S])), rcond=None)
    return w_tilde


def angle(u: object, v: object) -> float:
    r"""Angle in radians between two non-zero vectors (accurate for small angles).

    Computed as :math:`2 \arctan(\|a - b\| / \|a + b\|)` for the unit vectors ``a``, ``b``, which keeps
    full relative accuracy where ``arccos`` of the cosine would lose it.

    Parameters
    ----------
    u : array_like of shape (d,)
        First vector, nonzero.
    v : array_like of shape (d,)
        Second vector, nonzero, of the same length.

    Returns
    -------
    float
        The angle, in ``[0, pi]``.

    Raises
    ------
    ValueError
        If ``u`` and ``v`` are not 1-d of the same length, or either is zero (non-numeric input fails in
        ``numpy.asarray``).

    Examples
    --------
    >>> from nntheory import margins
    >>> print(round(margins.angle([1, 0], [0, 2]), 6))
    1.570796
    >>> margins.angle([1.0, 0.0], [1.0, 1e-9])    # arccos(cos) would give 0.0 here
    1e-09
    """
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
    L = len(nets.linear_layers(net, bias_free=True, scalar_output=True))
    Xt = nets.as_input(net, X)
    if Xt.ndim != 2:
        raise ValueError(f"X must have shape (n, d_in), got {tuple(Xt.shape)}")
    yt = torch.as_tensor(v.labels(y, "y", Xt.shape[0]), dtype=Xt.dtype)
    return net, Xt, yt, L


def _margins_and_norm(net: nn.Sequential, Xt: torch.Tensor, yt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Margins ``y_i f(x_i)`` and the squared parameter norm; a zero norm has no normalised margin."""
    q = yt * net(Xt).reshape(-1)
    sq = sum((p * p).sum() for p in net.parameters())
    if not float(sq.detach()) > 0:
        raise ValueError("all weights of net are zero: the normalised margin min_i y_i f(x_i) / ||theta||^L is undefined")
    return q, sq


def normalized_margin(net: nn.Sequential, X: object, y: object) -> float:
    r"""``min_i y_i f(x_i) / ||theta||^L`` of a bias-free ReLU net with L Linear layers.

    Scaling the weights by ``c > 0`` scales ``f`` by ``c^L``, so this margin depends only on the direction
    of :math:`\theta` (all weights, flattened).

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output (:func:`nntheory.nets.relu_net` with ``bias=False``); it is
        homogeneous of degree ``L``, its number of Linear layers.
    X : array_like of shape (n, d_in)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.

    Returns
    -------
    float
        :math:`\min_i y_i f(x_i) / \|\theta\|^L` (negative while some point is misclassified).

    Raises
    ------
    TypeError
        If ``net`` is not a network of this package, ``X`` is not numeric, or ``y`` is not an array of numbers.
    ValueError
        If ``net`` is not bias-free with scalar output (:func:`nntheory.nets.check_net`), ``X`` is not a
        finite ``(n, d_in)`` array, ``y`` does not hold one label -1 or +1 per point, or every weight is 0.

    Examples
    --------
    >>> from nntheory import margins, nets, homogeneity as hom
    >>> net = nets.relu_net([2, 8, 1], seed=0)
    >>> X, y = [[1.0, 0.5], [0.5, 1.0], [-1.0, -0.5], [-0.5, -1.0]], [1, 1, -1, -1]
    >>> print(round(margins.normalized_margin(net, X, y), 4))
    0.0544
    >>> print(round(margins.normalized_margin(hom.scale_weights(net, 3.0), X, y), 4))   # scale-free
    0.0544
    """
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
    return float(q.min() / sq ** (L / 2))


def _smoothed(q: torch.Tensor, sq: torch.Tensor, L: int) -> torch.Tensor:
    u = torch.nn.functional.softplus(-q).sum()  # n times the mean logistic loss
    # log(e^u - 1) = u + log(1 - e^{-u}): no overflow for large u, accurate for small u
    return -(u + torch.log(-torch.expm1(-u))) / sq ** (L / 2)


def smoothed_margin(net: nn.Sequential, X: object, y: object) -> float:
    r"""Lyu & Li's smoothed margin ``log(1 / (exp(n R) - 1)) / ||theta||^L`` for the logistic risk R.

    Here ``R`` is the mean logistic risk :math:`\frac1n \sum_i \log(1 + e^{-y_i f(x_i)})`. The smoothed
    margin is at most :func:`nntheory.margins.normalized_margin` and, along gradient flow, increases once
    :math:`nR < \log 2`.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output (:func:`nntheory.nets.relu_net` with ``bias=False``); it is
        homogeneous of degree ``L``, its number of Linear layers.
    X : array_like of shape (n, d_in)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.

    Returns
    -------
    float
        The smoothed margin (computed without overflow for large or tiny ``nR``).

    Raises
    ------
    TypeError
        If ``net`` is not a network of this package, ``X`` is not numeric, or ``y`` is not an array of numbers.
    ValueError
        If ``net`` is not bias-free with scalar output (:func:`nntheory.nets.check_net`), ``X`` is not a
        finite ``(n, d_in)`` array, ``y`` does not hold one label -1 or +1 per point, or every weight is 0.
    """
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
        return float(_smoothed(q, sq, L))


@dataclass(frozen=True)
class MarginRun:
    r"""Record of :func:`~nntheory.margins.margin_gd` at every step (index k = after k steps) and parameter snapshots.

    Parameters
    ----------
    loss : numpy.ndarray of shape (steps + 1,)
        Mean logistic risk ``R`` after each step.
    margin : numpy.ndarray of shape (steps + 1,)
        Normalized margin :math:`\min_i y_i f(x_i) / \|\theta\|^L`.
    smoothed : numpy.ndarray of shape (steps + 1,)
        Smoothed margin (:func:`nntheory.margins.smoothed_margin`).
    layer_sq : numpy.ndarray of shape (steps + 1, L)
        Squared Frobenius norms :math:`\|W_i\|_F^2` of the layers.
    drift_bound : numpy.ndarray of shape (steps + 1, L - 1)
        Accumulated :math:`\sum_{j<k} \eta_j^2 (\|g_i\|^2 - \|g_{i+1}\|^2)` (``g_i`` the gradient of layer
        ``i``): the change of :math:`\|W_i\|_F^2 - \|W_{i+1}\|_F^2` so far, which gradient flow conserves.
    flow_derivative : dict of int to float
        :math:`\langle \nabla \tilde\gamma, -\nabla R\rangle` (``tilde gamma`` the smoothed margin) at the
        steps checked by ``derivative_every``.
    snapshots : dict of int to list of torch.Tensor
        The weight matrices ``[W_1, ..., W_L]`` (copies) at the requested steps.
    time : numpy.ndarray of shape (steps + 1,)
        Time of the flow reached, :math:`\eta_0 + \dots + \eta_{k-1}` (``k * lr`` for a constant step).
    grad_sq : numpy.ndarray of shape (steps + 1,)
        :math:`\|\nabla R(\theta_k)\|^2`.
    argmin : numpy.ndarray of int, shape (steps + 1,)
        Index ``i`` of the point attaining :math:`\min_i y_i f(x_i)` at each step.
    """

    loss: np.ndarray  # mean logistic risk
    margin: np.ndarray  # normalized margin min_i y_i f(x_i) / ||theta||^L
    smoothed: np.ndarray  # smoothed margin
    layer_sq: np.ndarray  # (steps+1, L) squared Frobenius norms ||W_i||^2
    drift_bound: np.ndarray  # sum_k lr_k^2 (||g_i||^2 - ||g_{i+1}||^2), shape (steps+1, L-1)
    flow_derivative: dict[int, float]  # <grad smoothed, -grad R> at the checked steps
    snapshots: dict[int, list[torch.Tensor]]  # parameters at the requested steps
    time: np.ndarray  # sum of the steps taken so far, lr_0 + ... + lr_{k-1} (k * lr for a constant step)
    grad_sq: np.ndarray  # ||grad R(theta_k)||^2, the squared gradient norm of the mean risk at every step k
    argmin: np.ndarray  # index i of the point attaining min_i y_i f(x_i) at every step k (ints)


def _record(run: dict, k: int, q: torch.Tensor, sq: torch.Tensor, risk: torch.Tensor, L: int,
            params: list[torch.Tensor]) -> None:
    """Store the loss, both margins, the point attaining the margin and the layer norms after k steps."""
    run["loss"][k], run["margin"][k] = float(risk), float(q.min() / sq ** (L / 2))
    run["smoothed"][k] = float(_smoothed(q, sq, L))
    run["argmin"][k] = int(torch.argmin(q))
    run["layer_sq"][k] = [float((p * p).sum()) for p in params]


def margin_gd(net: nn.Sequential, X: object, y: object, lr: float, steps: int, *,
              snapshots: Sequence[int] = (), derivative_every: int = 0, adaptive: bool = False) -> MarginRun:
    r"""GD on the mean logistic risk of a bias-free ReLU net (in place); records margins and layer norms.

    ``derivative_every = k > 0`` also records the flow derivative ``<grad smoothed margin, -grad R>``
    every k steps (autograd; positive along gradient flow once ``n R < log 2``, Lyu & Li).
    ``adaptive=True`` takes the step ``lr_k = lr * R / ||grad R||^2`` instead of ``lr``, so that to first
    order every step lowers ``log R`` by ``lr``: a loss-based step, which reaches tiny losses, and so the
    late regime of the flow, in few steps. (Lyu & Li's gradient-descent theorem, which allows steps of
    this kind, assumes a C^2 model; a ReLU network is outside it.)

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output (:func:`nntheory.nets.relu_net` with ``bias=False``); it is
        homogeneous of degree ``L``, its number of Linear layers.
    X : array_like of shape (n, d_in)
        The points, one per row, finite.
    y : array_like of shape (n,)
        Their labels, each -1 or +1.
    lr : float
        Step size ``eta`` (or, with ``adaptive``, the decrease of ``log R`` per step), a finite real ``> 0``.
    steps : int
        Number of GD steps, an int ``>= 0``.
    snapshots : sequence of int, default ()
        Steps at which to copy the weights, each an int in ``[0, steps]``.
    derivative_every : int, default 0
        Record the flow derivative every this many steps; 0 (the default) never.
    adaptive : bool, default False
        Use the loss-based step ``lr * R / ||grad R||^2``.

    Returns
    -------
    MarginRun
        The record of the run (``net`` itself holds the final weights).

    Raises
    ------
    TypeError
        If ``lr`` is not a real number, ``steps`` or ``derivative_every`` is not an int, ``snapshots`` is
        not a sequence of ints, ``adaptive`` is not a bool, or ``net``, ``X``, ``y`` has the wrong type.
    ValueError
        If ``lr`` is not positive and finite, ``steps``, ``derivative_every`` or a snapshot is negative, a
        snapshot exceeds ``steps``, the loss becomes non-finite (divergence), or ``net``, ``X``, ``y`` fail
        their checks (see :func:`nntheory.margins.normalized_margin`).

    Examples
    --------
    The margin grows, and :math:`\|W_1\|^2 - \|W_2\|^2` changes only by the recorded :math:`\eta^2` drift:

    >>> import numpy as np
    >>> from nntheory import margins, nets
    >>> net = nets.relu_net([2, 8, 1], seed=0)
    >>> X, y = [[1.0, 0.5], [0.5, 1.0], [-1.0, -0.5], [-0.5, -1.0]], [1, 1, -1, -1]
    >>> run = margins.margin_gd(net, X, y, lr=0.5, steps=200)
    >>> print(round(run.margin[0], 4), round(run.margin[-1], 4))
    0.0544 0.1497
    >>> bool(np.all(run.smoothed <= run.margin)), bool(run.loss[-1] < run.loss[0])
    (True, True)
    >>> balance = run.layer_sq[:, 0] - run.layer_sq[:, 1] - run.drift_bound[:, 0]
    >>> bool(np.abs(balance - balance[0]).max() < 1e-10)
    True
    """
    net, Xt, yt, L = _net_data(net, X, y)
    lr, steps = v.positive(lr, "lr"), v.integer(steps, "steps", least=0)
    every = v.integer(derivative_every, "derivative_every", least=0)
    adaptive = v.boolean(adaptive, "adaptive")
    wanted = set(v.int_list(snapshots, "snapshots", least=0))
    if any(s > steps for s in wanted):
        raise ValueError(f"snapshots must be steps between 0 and steps={steps}, got {sorted(wanted)}")
    params = [m.weight for m in nets.linear_layers(net)]
    run = {k: np.empty(steps + 1) for k in ("loss", "margin", "smoothed", "time", "grad_sq")}
    run["layer_sq"], drift = np.empty((steps + 1, L)), np.zeros((steps + 1, L - 1))
    run["argmin"] = np.empty(steps + 1, dtype=int)
    run["time"][0] = 0.0
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
            _record(run, k, q, sq, risk, L, params)
            if k in wanted:
                snaps[k] = [p.detach().clone() for p in params]
            g2 = np.array([float((g * g).sum()) for g in grads])
            run["grad_sq"][k] = g2.sum()
            if k < steps:
                step = lr * float(risk) / g2.sum() if adaptive else lr
                drift[k + 1] = drift[k] + step**2 * (g2[:-1] - g2[1:])
                run["time"][k + 1] = run["time"][k] + step
                torch._foreach_add_(params, list(grads), alpha=-step)
    if not np.all(np.isfinite(run["loss"])):
        raise ValueError(f"gradient descent diverged with lr={lr}; use a smaller step")
    return MarginRun(run["loss"], run["margin"], run["smoothed"], run["layer_sq"], drift, deriv, snaps,
                     run["time"], run["grad_sq"], run["argmin"])


def decision_grid(weights: Sequence[torch.Tensor], lo: float, hi: float,
                  num: int = 120) -> tuple[np.ndarray, np.ndarray]:
    r"""``(xs, F)``: a bias-free ReLU net's outputs ``F[j, i] = f(xs[i], xs[j])`` on a ``num x num`` grid of a square.

    ``weights`` are the layer matrices ``[W_1, ..., W_L]`` (numpy or torch, e.g. a ``MarginRun`` snapshot).

    Parameters
    ----------
    weights : sequence of array_like
        The matrices ``[W_1, ..., W_L]``, ``W_1`` with 2 columns and ``W_L`` with 1 row, shapes chaining.
    lo : float
        Lower end of the square's side, a finite real.
    hi : float
        Upper end, a finite real ``> lo``.
    num : int, default 120
        Grid points per side, an int ``>= 2``.

    Returns
    -------
    xs : numpy.ndarray of shape (num,)
        The grid coordinates, ``linspace(lo, hi, num)`` on both axes.
    F : numpy.ndarray of shape (num, num)
        The outputs, ``F[j, i] = f(xs[i], xs[j])`` (rows follow the second coordinate, as for ``contour``).

    Raises
    ------
    TypeError
        If ``weights`` is not a list of matrices, ``lo`` or ``hi`` is not a real number, or ``num`` is not an
        int.
    ValueError
        If the shapes do not chain or the net does not map :math:`\mathbb{R}^2` to :math:`\mathbb{R}`,
        ``lo >= hi`` or either is not finite, or ``num < 2``.
    """
    ws = nets.as_weights(weights)
    if ws[0].shape[1] != 2 or ws[-1].shape[0] != 1:
        raise ValueError(f"the net must map R^2 to R for a decision grid, got weights of shapes {[w.shape for w in ws]}")
    lo, hi = v.real(lo, "lo"), v.real(hi, "hi")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    num = v.integer(num, "num", least=2)
    xs = np.linspace(lo, hi, num)
    P = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    return xs, nets.forward(ws, P).reshape(num, num)
