"""Gradient descent and gradient flow on bias-free ReLU and linear networks, with per-layer norm tracking.

A network is a ``torch.nn.Sequential``: either a bias-free ReLU net (alternating ``nn.Linear`` and
``nn.ReLU``, as built by :func:`nntheory.nets.relu_net`) or a bias-free deep *linear* net (only
``nn.Linear`` layers, as built by :func:`linear_net`). Both are 1-homogeneous in each layer, which is
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
SHARPNESS_TOL = 1e-10  # default relative tolerance of sharpness's Lanczos iterations (the Ritz value's residual)
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
    """Quadratic risk ``1/(2n) sum ||F(x_k) - y_k||^2`` and its gradient per layer (relu'(0) = 0, like torch)."""
    out, zs = nets.forward(ws, X, relu=relu, keep=True)
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
    """Squared Frobenius norms ``||W_i||_F^2`` of every layer (a net or a list of weight matrices)."""
    return np.array([float(np.sum(w * w)) for w in _ws(net)])


def _roundoff_scale(abs_ws: Weights, abs_X: np.ndarray, abs_y: np.ndarray) -> float:
    a = nets.forward(abs_ws, abs_X, relu=False)  # a_i = |W_L| ... |W_1| |x_i|, one row per input
    return float(np.sum((a + abs_y) * a)) / abs_X.shape[0]


def roundoff_scale(net: nn.Sequential | Sequence[np.ndarray], X: object, y: object) -> float:
    """``rho_bar(w) = 1/n sum_i <a_i + |y_i|, a_i>``, ``a_i = |W_L|...|W_1||x_i|``: the absolute-value version of
    ``rho(w) = <W_h, dR/dW_h>``, which bounds its rounding error (by ``gamma_nu rho_bar(w)``, ``nu`` roundings in a chain)."""
    ws = _ws(net)
    X, y = _check_data(ws, X, y)
    return _roundoff_scale([np.abs(w) for w in ws], np.abs(X), np.abs(y))


def neuron_balance(net: nn.Sequential | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per hidden unit: incoming minus outgoing squared norm ``||W_h[k,:]||^2 - ||W_{h+1}[:,k]||^2``."""
    ws = _ws(net)
    return [np.sum(ws[h] ** 2, axis=1) - np.sum(ws[h + 1] ** 2, axis=0) for h in range(len(ws) - 1)]


def linear_invariants(net: nn.Sequential | Sequence[np.ndarray]) -> list[np.ndarray]:
    """``W_h W_h^T - W_{h+1}^T W_{h+1}`` for each hidden layer (conserved by gradient flow on linear nets)."""
    ws = _ws(net)
    return [ws[h] @ ws[h].T - ws[h + 1].T @ ws[h + 1] for h in range(len(ws) - 1)]


def rescale_layers(net: nn.Sequential, factors: Sequence[float]) -> nn.Sequential:
    """A copy of ``net`` with layer ``i`` multiplied by ``factors[i] > 0`` (the output scales by their product)."""
    ws = nets.weights(net, **_RULES)
    if isinstance(factors, (str, bytes)) or not isinstance(factors, (Sequence, np.ndarray)) or len(factors) != len(ws):
        raise ValueError(f"factors must be a sequence of {len(ws)} positive numbers, one per layer, got {factors!r}")
    fs = [v.positive(f, f"factors[{i}]") for i, f in enumerate(factors)]
    return nets.with_weights(net, [f * w for f, w in zip(fs, ws)])


def balance_layers(net: nn.Sequential) -> nn.Sequential:
    """Rescale the layers to equal Frobenius norms with product of factors 1, so the function is unchanged."""
    norms = np.sqrt(layer_sq_norms(net))
    if np.any(norms == 0):
        raise ValueError("balance_layers needs every layer to be non-zero")
    target = float(np.exp(np.mean(np.log(norms))))  # geometric mean: the product of factors is exactly 1
    return rescale_layers(net, list(target / norms))


def teacher_data(widths: Sequence[int], n: int, *, seed: int = 0, return_teacher: bool = False
                 ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, Weights]:
    """``n`` Gaussian inputs and the outputs of a random bias-free ReLU teacher (He scale), from one numpy seed.

    With ``return_teacher`` also the teacher's weight matrices: a global minimizer (risk 0) of the student of the
    same widths on these data.
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
    """Quantities recorded along a run, one row per recorded time; ``net`` is the final network."""

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
        """``||W_i(t)||^2 - ||W_i(0)||^2`` per layer, shape (k, L): the theorem says the columns agree."""
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
    """Full-batch gradient descent ``W_i <- W_i - lr dR/dW_i`` for ``steps`` steps, recording every ``every``.

    With ``stop_loss`` the run stops at the first step whose loss is at most ``stop_loss`` (recorded; ``info["steps"]``
    is then the number of steps taken). With ``track_roundoff`` ``info["roundoff_scale"]`` holds
    :func:`roundoff_scale` at the weights of every step, the first ``info["steps"] + 1`` of them.
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
    """Largest eigenvalue of the Hessian of the quadratic risk at the net's weights (``layer=h``: of its diagonal
    block for ``W_{h+1}``, 0-based), by Lanczos (``scipy.sparse.linalg.eigsh``, relative tolerance ``tol``) on exact
    Hessian-vector products (autograd; relu''= 0 off the kinks). ``relu`` is needed only for a list of weights."""
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
    """Record of :func:`factorization_gd`, one row per recorded step, and the final factors."""

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
    """Gradient descent on ``1/2 ||U V^T - M||_F^2``; records t, loss, ||U||^2, ||V||^2 and ``U^T U - V^T V``."""
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
