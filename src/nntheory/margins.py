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
    """True when some ``w`` has ``y_i <w, x_i> >= 1`` for all i (separable by a hyperplane through 0); an LP."""
    A, b = v.data(X, y, classes=True)
    Z = b[:, None] * A
    res = linprog(np.zeros(A.shape[1]), A_ub=-Z, b_ub=-np.ones(len(b)), bounds=[(None, None)] * A.shape[1],
                  method="highs")
    return res.status == 0


def hard_margin_svm(X: object, y: object) -> np.ndarray:
    """``argmin ||w||^2 s.t. y_i <w, x_i> >= 1`` (no bias): scipy's SLSQP, then an exact KKT solve on its active set.

    The returned ``w`` satisfies the KKT conditions (feasible; ``w = sum_s alpha_s y_s x_s`` with
    ``alpha >= 0`` on the active constraints), which certify the global optimum of this convex QP.
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
    """Indices ``i`` with ``y_i <w, x_i> <= 1 + tol`` (the active constraints of the SVM at ``w``)."""
    A, b = v.data(X, y, classes=True)
    return np.flatnonzero(b * (A @ v.vector(w, "w", A.shape[1])) <= 1 + v.positive(tol, "tol"))


def svm_dual(X: object, y: object, w: object, *, tol: float = 1e-6) -> np.ndarray:
    """Dual variables ``alpha >= 0`` with ``w = sum_i alpha_i y_i x_i``, zero off the support vectors."""
    A, b = v.data(X, y, classes=True)
    S = support_vectors(A, b, w, tol=tol)
    coef, *_ = np.linalg.lstsq((b[S, None] * A[S]).T, v.vector(w, "w", A.shape[1]), rcond=None)
    out = np.zeros(len(b))
    out[S] = coef
    return out


def logistic_offset(X: object, y: object, lr: float) -> np.ndarray:
    """The limit ``w~`` of ``w_k - w_hat log k`` for GD with step ``lr`` on the mean logistic risk.

    Plugging ``w_k = w_hat log k + w~`` into the GD step (support vectors only, ``e^{-m}`` tail)
    gives ``(lr / n) exp(-y_s <w~, x_s>) = alpha_s`` for each support vector ``s`` (``alpha`` the SVM
    duals). Needs the support vectors to span ``R^d`` (true for almost all data with d <= #SV).
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
    """Angle in radians between two non-zero vectors (accurate for small angles)."""
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
    """``min_i y_i f(x_i) / ||theta||^L`` of a bias-free ReLU net with L Linear layers."""
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
    return float(q.min() / sq ** (L / 2))


def _smoothed(q: torch.Tensor, sq: torch.Tensor, L: int) -> torch.Tensor:
    u = torch.nn.functional.softplus(-q).sum()  # n times the mean logistic loss
    # log(e^u - 1) = u + log(1 - e^{-u}): no overflow for large u, accurate for small u
    return -(u + torch.log(-torch.expm1(-u))) / sq ** (L / 2)


def smoothed_margin(net: nn.Sequential, X: object, y: object) -> float:
    """Lyu & Li's smoothed margin ``log(1 / (exp(n R) - 1)) / ||theta||^L`` for the logistic risk R."""
    net, Xt, yt, L = _net_data(net, X, y)
    with torch.no_grad():
        q, sq = _margins_and_norm(net, Xt, yt)
        return float(_smoothed(q, sq, L))


@dataclass(frozen=True)
class MarginRun:
    """Record of :func:`margin_gd` at every step (index k = after k steps) and parameter snapshots."""

    loss: np.ndarray  # mean logistic risk
    margin: np.ndarray  # normalized margin min_i y_i f(x_i) / ||theta||^L
    smoothed: np.ndarray  # smoothed margin
    layer_sq: np.ndarray  # (steps+1, L) squared Frobenius norms ||W_i||^2
    drift_bound: np.ndarray  # sum_k lr_k^2 (||g_i||^2 - ||g_{i+1}||^2), shape (steps+1, L-1)
    flow_derivative: dict[int, float]  # <grad smoothed, -grad R> at the checked steps
    snapshots: dict[int, list[torch.Tensor]]  # parameters at the requested steps
    time: np.ndarray  # sum of the steps taken so far, lr_0 + ... + lr_{k-1} (k * lr for a constant step)
    grad_sq: np.ndarray  # ||grad R(theta_k)||^2, the squared gradient norm of the mean risk at every step k


def _record(run: dict, k: int, q: torch.Tensor, sq: torch.Tensor, risk: torch.Tensor, L: int,
            params: list[torch.Tensor]) -> None:
    """Store the loss, both margins and the layer norms after k steps."""
    run["loss"][k], run["margin"][k] = float(risk), float(q.min() / sq ** (L / 2))
    run["smoothed"][k] = float(_smoothed(q, sq, L))
    run["layer_sq"][k] = [float((p * p).sum()) for p in params]


def margin_gd(net: nn.Sequential, X: object, y: object, lr: float, steps: int, *,
              snapshots: Sequence[int] = (), derivative_every: int = 0, adaptive: bool = False) -> MarginRun:
    """GD on the mean logistic risk of a bias-free ReLU net (in place); records margins and layer norms.

    ``derivative_every = k > 0`` also records the flow derivative ``<grad smoothed margin, -grad R>``
    every k steps (autograd; positive along gradient flow once ``n R < log 2``, Lyu & Li).
    ``adaptive=True`` takes the step ``lr_k = lr * R / ||grad R||^2`` instead of ``lr``, so that to first
    order every step lowers ``log R`` by ``lr``: a loss-based step (allowed by Lyu & Li's gradient-descent
    theorem), which reaches tiny losses, and so the late regime of the flow, in few steps.
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
                     run["time"], run["grad_sq"])


def decision_grid(weights: Sequence[torch.Tensor], lo: float, hi: float,
                  num: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, F)``: a bias-free ReLU net's outputs ``F[j, i] = f(xs[i], xs[j])`` on a ``num x num`` grid of a square.

    ``weights`` are the layer matrices ``[W_1, ..., W_L]`` (numpy or torch, e.g. a ``MarginRun`` snapshot).
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
