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

import copy
import functools
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import nn

from . import nets

try:  # ships with scikit-learn; one BLAS thread is much faster for these small matrices
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

__all__ = [
    "Trajectory",
    "linear_net",
    "is_relu",
    "weights",
    "with_weights",
    "forward",
    "loss_and_grads",
    "layer_sq_norms",
    "neuron_balance",
    "linear_invariants",
    "rescale_layers",
    "balance_layers",
    "teacher_data",
    "train_gd",
    "gradient_flow",
    "factorization_gd",
]

Weights = list[np.ndarray]


# --------------------------------------------------------------------------- networks and weights


def _one_thread(fn: Callable) -> Callable:
    """Run ``fn`` with one BLAS thread (at these sizes threads only add contention); overflow is
    not warned about because the loops check the loss and raise a clear error when it is not finite."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(1) if threadpool_limits is not None else nullcontext(), \
                np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return wrapper



def linear_net(widths: Sequence[int], *, seed: int = 0, scale: float = 1.0) -> nn.Sequential:
    """A bias-free deep linear net ``x -> W_L ... W_1 x`` (float64), weights ``scale * N(0, 1/d_in)``."""
    _check_positive(scale, "scale")
    relu = nets.relu_net(widths, seed=seed)  # validates widths and seed, and gives seeded weights
    lins = [m for m in relu if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for lin in lins:
            lin.weight.mul_(float(scale) / 2.0**0.5)  # relu_net uses He scale sqrt(2/d_in)
    return nn.Sequential(*lins)


def is_relu(net: object) -> bool:
    """Check that ``net`` is a bias-free ReLU net or deep linear net; return True for ReLU, False for linear."""
    if not isinstance(net, nn.Sequential):
        raise TypeError(
            f"net must be a torch.nn.Sequential of bias-free nn.Linear (and nn.ReLU), got {type(net).__name__}"
        )
    mods = list(net)
    if mods and all(isinstance(m, nn.Linear) for m in mods):  # a deep linear network
        for i, m in enumerate(mods):
            if m.bias is not None:
                raise ValueError(f"net layer {i} (Linear) has a bias; a bias-free network is required here")
        return False
    nets.check_relu_net(net, bias_free=True)  # names the offending layer
    return True


def weights(net: nn.Sequential) -> Weights:
    """The weight matrices ``W_1, ..., W_L`` of a checked net, as float64 numpy copies."""
    is_relu(net)
    return [m.weight.detach().to(torch.float64).numpy().copy() for m in net if isinstance(m, nn.Linear)]


def with_weights(net: nn.Sequential, ws: Sequence[np.ndarray]) -> nn.Sequential:
    """A float64 copy of ``net`` whose Linear layers carry the given weights (shapes must match)."""
    is_relu(net)
    lins = [m for m in net if isinstance(m, nn.Linear)]
    ws = _check_weights(ws, [tuple(m.weight.shape) for m in lins])
    new = copy.deepcopy(net).to(torch.float64)
    with torch.no_grad():
        for lin, w in zip([m for m in new if isinstance(m, nn.Linear)], ws):
            lin.weight.copy_(torch.from_numpy(w))
    return new


def _check_weights(ws: object, shapes: Sequence[tuple[int, int]] | None = None) -> Weights:
    """Validate a list of 2-D finite weight arrays that chain (and match ``shapes`` if given)."""
    if isinstance(ws, np.ndarray) or not isinstance(ws, Sequence) or len(ws) == 0:
        raise TypeError("weights must be a non-empty list of 2-D arrays [W_1, ..., W_L]")
    out = [np.array(w, dtype=np.float64) for w in ws]
    for i, w in enumerate(out):
        if w.ndim != 2:
            raise ValueError(f"weights[{i}] must be a 2-D matrix, got shape {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"weights[{i}] contains NaN or infinite entries")
        if i > 0 and w.shape[1] != out[i - 1].shape[0]:
            raise ValueError(f"weights[{i}] has shape {w.shape}; expected {out[i - 1].shape[0]} columns to chain")
    if shapes is not None and [w.shape for w in out] != [tuple(s) for s in shapes]:
        raise ValueError(f"weights have shapes {[w.shape for w in out]}; expected {list(shapes)}")
    return out


def _check_positive(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {x!r}")
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return float(x)


def _check_count(x: object, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {x!r}")
    if x <= 0:
        raise ValueError(f"{name} must be a positive int, got {x!r}")
    return int(x)


def _check_data(ws: Weights, X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Inputs as ``(n, d_in)`` and targets as ``(n, d_out)`` float64 arrays matching the weights."""
    X = np.array(X.detach() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    y = np.array(y.detach() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
    d_in, d_out = ws[0].shape[1], ws[-1].shape[0]
    if X.ndim != 2 or X.shape[1] != d_in:
        raise ValueError(f"X must have shape (n, {d_in}), got {X.shape}")
    if y.ndim == 1 and d_out == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape != (X.shape[0], d_out):
        raise ValueError(f"y must have shape ({X.shape[0]}, {d_out}) to match X and the net's output, got {y.shape}")
    if X.shape[0] == 0:
        raise ValueError("X must contain at least one example")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (no NaN or inf)")
    return X, y


# --------------------------------------------------------------------------- forward and backward


def forward(ws: Sequence[np.ndarray], X: np.ndarray, *, relu: bool = True) -> np.ndarray:
    """Outputs ``F(x_k)`` (rows) of the net with weights ``ws``: ReLU between layers if ``relu``."""
    h = np.asarray(X, dtype=np.float64)
    for i, w in enumerate(ws):
        h = h @ w.T
        if relu and i < len(ws) - 1:
            h = np.maximum(h, 0.0)
    return h


def loss_and_grads(
    ws: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, *, relu: bool = True
) -> tuple[float, Weights]:
    """Quadratic risk ``1/(2n) sum ||F(x_k) - y_k||^2`` and its gradient per layer (relu'(0) = 0, like torch)."""
    hs, zs = [np.asarray(X, dtype=np.float64)], []
    for i, w in enumerate(ws):
        z = hs[-1] @ w.T
        zs.append(z)
        hs.append(np.maximum(z, 0.0) if (relu and i < len(ws) - 1) else z)
    n = hs[0].shape[0]
    r = hs[-1] - y
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
    return weights(net_or_ws) if isinstance(net_or_ws, nn.Module) else _check_weights(net_or_ws)


def layer_sq_norms(net: nn.Sequential | Sequence[np.ndarray]) -> np.ndarray:
    """Squared Frobenius norms ``||W_i||_F^2`` of every layer (a net or a list of weight matrices)."""
    return np.array([float(np.sum(w * w)) for w in _ws(net)])


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
    ws = weights(net)
    if isinstance(factors, (str, bytes)) or not isinstance(factors, (Sequence, np.ndarray)) or len(factors) != len(ws):
        raise ValueError(f"factors must be a sequence of {len(ws)} positive numbers, one per layer, got {factors!r}")
    fs = [_check_positive(f, f"factors[{i}]") for i, f in enumerate(factors)]
    return with_weights(net, [f * w for f, w in zip(fs, ws)])


def balance_layers(net: nn.Sequential) -> nn.Sequential:
    """Rescale the layers to equal Frobenius norms with product of factors 1, so the function is unchanged."""
    norms = np.sqrt(layer_sq_norms(net))
    if np.any(norms == 0):
        raise ValueError("balance_layers needs every layer to be non-zero")
    target = float(np.exp(np.mean(np.log(norms))))  # geometric mean: the product of factors is exactly 1
    return rescale_layers(net, list(target / norms))


def teacher_data(widths: Sequence[int], n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` Gaussian inputs and the outputs of a random bias-free ReLU teacher (He scale), from one numpy seed."""
    _check_count(n, "n")
    nets.relu_net(widths)  # validates widths
    rng = np.random.default_rng(seed)  # a numpy stream: the teacher is not any torch-seeded relu_net
    X = rng.standard_normal((int(n), widths[0]))
    teacher = [rng.standard_normal((b, a)) * (2.0 / a) ** 0.5 for a, b in zip(widths[:-1], widths[1:])]
    return X, forward(teacher, X)


# --------------------------------------------------------------------------- training


class _Stalled(Exception):
    """Raised inside the solver's right-hand side when the evaluation budget is spent."""


@dataclass
class Trajectory:
    """Quantities recorded along a run, one row per recorded time; ``net`` is the final network."""

    t: np.ndarray  # times: step * lr for gradient descent, flow time for gradient flow
    loss: np.ndarray  # (k,)
    sq_norms: np.ndarray  # (k, L): ||W_i(t)||_F^2
    grad_sq_norms: np.ndarray  # (k, L): ||dR/dW_i||_F^2 at the recorded weights
    dist_sq: np.ndarray  # (k, L): ||W_i(t) - W_i(0)||_F^2
    balance: list[np.ndarray]  # per hidden layer, (k, width): incoming minus outgoing squared norm
    net: nn.Sequential
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
    return Trajectory(
        t=np.array(rows["t"]),
        loss=np.array(rows["loss"]),
        sq_norms=np.array(rows["sq_norms"]),
        grad_sq_norms=np.array(rows["grad_sq_norms"]),
        dist_sq=np.array(rows["dist_sq"]),
        balance=[np.array([b[h] for b in rows["balance"]]) for h in range(n_hidden)],
        net=with_weights(net, ws),
        info=info,
    )


@_one_thread
def train_gd(net: nn.Sequential, X: object, y: object, *, lr: float, steps: int, every: int = 1) -> Trajectory:
    """Full-batch gradient descent ``W_i <- W_i - lr dR/dW_i`` for ``steps`` steps, recording every ``every``."""
    relu = is_relu(net)
    lr, steps, every = _check_positive(lr, "lr"), _check_count(steps, "steps"), _check_count(every, "every")
    ws = weights(net)
    X, y = _check_data(ws, X, y)
    w0 = [w.copy() for w in ws]
    rows: dict = {k: [] for k in ("t", "loss", "sq_norms", "grad_sq_norms", "dist_sq", "balance")}
    g2_sum = [np.zeros_like(w) for w in ws]  # sum over steps of the squared gradient entries
    for step in range(steps + 1):
        loss, grads = loss_and_grads(ws, X, y, relu=relu)
        if not np.isfinite(loss):
            raise ValueError(f"gradient descent diverged at step {step} (loss {loss}); use a smaller lr than {lr}")
        if step % every == 0 or step == steps:
            _record(rows, ws, w0, loss, grads, step * lr)
        if step < steps:
            ws = [w - lr * g for w, g in zip(ws, grads)]
            for s, g in zip(g2_sum, grads):
                s += g * g
    return _trajectory(rows, net, ws, {"lr": lr, "steps": steps, "grad_sq_sum": g2_sum})


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
    """Gradient flow ``dW/dt = -dR/dW`` on ``[0, T]`` by scipy's ``solve_ivp``, recorded at ``n_eval`` times.

    The right-hand side of a ReLU net jumps where a pre-activation changes sign, and the flow can
    slide along such a surface; an adaptive solver then crawls. After ``max_nfev`` gradient
    evaluations this raises a ``ValueError`` that says how far it got, instead of running for hours.
    """
    relu = is_relu(net)
    T, rtol, atol = _check_positive(T, "T"), _check_positive(rtol, "rtol"), _check_positive(atol, "atol")
    n_eval, max_nfev = _check_count(n_eval, "n_eval"), _check_count(max_nfev, "max_nfev")
    if n_eval < 2:
        raise ValueError(f"n_eval must be at least 2 (the times 0 and T), got {n_eval}")
    ws = weights(net)
    X, y = _check_data(ws, X, y)
    shapes = [w.shape for w in ws]
    sizes = np.cumsum([0] + [w.size for w in ws])

    def unflatten(v: np.ndarray) -> Weights:
        return [v[a:b].reshape(s) for a, b, s in zip(sizes[:-1], sizes[1:], shapes)]

    calls = [0, 0.0]  # evaluations so far, latest time

    def rhs(t: float, v: np.ndarray) -> np.ndarray:
        calls[0] += 1
        calls[1] = max(calls[1], t)
        if calls[0] > max_nfev:
            raise _Stalled()
        return -np.concatenate([g.ravel() for g in loss_and_grads(unflatten(v), X, y, relu=relu)[1]])

    t_eval = np.linspace(0.0, T, n_eval)
    v0 = np.concatenate([w.ravel() for w in ws])
    try:
        sol = solve_ivp(rhs, (0.0, T), v0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    except _Stalled:
        raise ValueError(
            f"solve_ivp reached only t = {calls[1]:.6g} of T = {T} after max_nfev = {max_nfev} gradient evaluations"
            + (" (the ReLU flow's right-hand side jumps where a pre-activation changes sign)" if relu else "")
        ) from None
    if not sol.success:
        raise ValueError(f"solve_ivp failed on [0, {T}]: {sol.message}")
    rows: dict = {k: [] for k in ("t", "loss", "sq_norms", "grad_sq_norms", "dist_sq", "balance")}
    for j, t in enumerate(sol.t):
        wt = [w.copy() for w in unflatten(sol.y[:, j])]
        loss, grads = loss_and_grads(wt, X, y, relu=relu)
        _record(rows, wt, ws, loss, grads, float(t))
    return _trajectory(rows, net, wt, {"nfev": int(sol.nfev), "rtol": rtol, "atol": atol, "method": method})


@_one_thread
def factorization_gd(
    M: object, U0: object, V0: object, *, lr: float, steps: int, every: int = 1
) -> dict[str, np.ndarray]:
    """Gradient descent on ``1/2 ||U V^T - M||_F^2``; records t, loss, ||U||^2, ||V||^2 and ``U^T U - V^T V``.

    Also returns the final ``U``, ``V`` and ``grad_gap_sum``, the sum over steps of ``G_U^T G_U - G_V^T G_V``
    (with ``G_U, G_V`` the gradients), so that ``gap[-1] - gap[0] = lr**2 * grad_gap_sum`` exactly.
    """
    M, U, V = (np.array(a, dtype=np.float64) for a in (M, U0, V0))
    lr, steps, every = _check_positive(lr, "lr"), _check_count(steps, "steps"), _check_count(every, "every")
    if M.ndim != 2 or U.ndim != 2 or V.ndim != 2:
        raise ValueError(f"M, U0, V0 must be 2-D, got shapes {M.shape}, {U.shape}, {V.shape}")
    if U.shape[0] != M.shape[0] or V.shape[0] != M.shape[1] or U.shape[1] != V.shape[1]:
        raise ValueError(f"need U0 of shape ({M.shape[0]}, r) and V0 of shape ({M.shape[1]}, r) for M {M.shape}; "
                         f"got {U.shape} and {V.shape}")
    if not all(np.all(np.isfinite(a)) for a in (M, U, V)):
        raise ValueError("M, U0 and V0 must be finite")
    rec: dict[str, list] = {"t": [], "loss": [], "u_sq": [], "v_sq": [], "gap": []}
    gg_sum = np.zeros((U.shape[1], U.shape[1]))
    for step in range(steps + 1):
        R = U @ V.T - M
        loss = 0.5 * float(np.sum(R * R))
        if not np.isfinite(loss):
            raise ValueError(f"gradient descent diverged at step {step}; use a smaller lr than {lr}")
        if step % every == 0 or step == steps:
            rec["t"].append(step * lr)
            rec["loss"].append(loss)
            rec["u_sq"].append(float(np.sum(U * U)))
            rec["v_sq"].append(float(np.sum(V * V)))
            rec["gap"].append(U.T @ U - V.T @ V)
        if step < steps:
            GU, GV = R @ V, R.T @ U
            gg_sum += GU.T @ GU - GV.T @ GV
            U, V = U - lr * GU, V - lr * GV
    out = {k: np.array(v) for k, v in rec.items()}
    out["U"], out["V"], out["grad_gap_sum"] = U, V, gg_sum
    return out
