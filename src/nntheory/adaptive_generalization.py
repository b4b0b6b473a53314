"""Do adaptive methods generalize worse? The Wilson et al. (2017) construction and a small real-data protocol.

Part 1 (exact, numpy): the least-squares problem of Wilson, Roelofs, Stern, Srebro and Recht, on which
AdaGrad/RMSProp/Adam started at 0 reach ``sign(X^T y) / 4`` (test error ``1 - p``) while gradient
descent reaches the minimum-norm interpolant (test error 0).

Part 2 (torch): their experimental protocol -- tune the learning rate of each method on a small grid by
final training loss, rerun the best one over several seeds, record train/test curves -- on scikit-learn's
bundled ``load_digits`` (no download), with a one-hidden-layer ReLU MLP from ``nets.relu_net``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from nntheory import nets
from nntheory.implicit_bias import min_norm_solution  # noqa: F401  (re-exported: GD's limit in the construction)

__all__ = [
    "WilsonData", "wilson_data", "sign_solution", "min_norm_solution", "min_norm_dual", "least_squares",
    "classification_error", "cosine",
    "METHODS", "DigitsSplit", "digits_split", "train_runs", "train_digits", "Protocol", "run_protocol",
]


# --------------------------------------------------------------------------------------------------
# Part 1: the construction
# --------------------------------------------------------------------------------------------------

def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _check_xy(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be a 1-D array with one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite")
    return X, y


@dataclass(frozen=True)
class WilsonData:
    """Training set ``(X, y)`` with ``X`` of shape (n, 3 + 5 n), and test set ``(X_test, y_test)`` in the same columns."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def wilson_data(n: int, p: float, *, n_test: int = 0, seed: int = 0) -> WilsonData:
    """Draw the Wilson et al. data: x_1 = y, x_2 = x_3 = 1, and 1 (if y = +1) or 5 (if y = -1) private features.

    Labels are +1 with probability ``p`` in (1/2, 1). The training labels are redrawn until their sum is
    positive (the construction conditions on this event, whose probability tends to 1 as n grows).
    Training example ``i`` owns the block of columns starting at ``3 + 5 i``. A test point's private
    features lie in fresh columns that no training row touches; the training gradient vanishes there, so
    any method started at 0 keeps those weights at exactly 0, and we drop the columns: a test row is
    ``(y, 1, 1, 0, ..., 0)``.
    """
    n = _check_int("n", n, 1)
    n_test = _check_int("n_test", n_test, 0)
    if isinstance(p, bool) or not isinstance(p, Real) or not (0.5 < p < 1.0):
        raise ValueError(f"p must be a number in the open interval (1/2, 1), got {p!r}")
    rng = np.random.default_rng(seed)
    while True:
        y = np.where(rng.random(n) < p, 1.0, -1.0)
        if y.sum() > 0:
            break
    X = np.zeros((n, 3 + 5 * n))
    X[:, 0] = y
    X[:, 1:3] = 1.0
    for i, yi in enumerate(y):
        start = 3 + 5 * i
        X[i, start:start + (1 if yi > 0 else 5)] = 1.0
    y_test = np.where(rng.random(n_test) < p, 1.0, -1.0)
    X_test = np.zeros((n_test, 3 + 5 * n))
    X_test[:, 0] = y_test
    X_test[:, 1:3] = 1.0
    return WilsonData(X, y, X_test, y_test)


def sign_solution(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The interpolant ``sign(X^T y) / c`` of Wilson et al.'s lemma, where ``X sign(X^T y) = c y``.

    Raises ``ValueError`` if ``X sign(X^T y)`` is not a positive multiple of ``y`` (the lemma's hypothesis).
    """
    X, y = _check_xy(X, y)
    s = np.sign(X.T @ y)
    u = X @ s
    c = float(u @ y) / float(y @ y) if np.any(y) else 0.0
    if c <= 0 or not np.allclose(u, c * y, rtol=1e-12, atol=1e-12 * max(1.0, abs(c))):
        raise ValueError("X sign(X^T y) is not a positive multiple of y: the sign-solution lemma does not apply")
    return s / c


def min_norm_dual(n_pos: int, n_neg: int) -> tuple[float, float]:
    """Closed-form dual coefficients (a_+, a_-) of the min-norm interpolant of the construction: w = X^T a.

    Every positive example gets ``a_+ = (5 + 4 N) / D`` and every negative one ``a_- = -(1 + 4 P) / D``
    with ``D = 5 + 15 P + 3 N + 8 P N`` (P, N the class counts).
    """
    P = _check_int("n_pos", n_pos, 0)
    N = _check_int("n_neg", n_neg, 0)
    if P + N == 0:
        raise ValueError("n_pos + n_neg must be at least 1")
    D = 5 + 15 * P + 3 * N + 8 * P * N
    return (5 + 4 * N) / D, -(1 + 4 * P) / D


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[Callable, Callable, Callable]:
    """``(loss, grad, hess)`` of ``f(w) = ||X w - y||^2 / 2``, each a function of a numpy vector w."""
    X, y = _check_xy(X, y)
    H = X.T @ X

    def _w(w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        if w.shape != (X.shape[1],):
            raise ValueError(f"w must have shape ({X.shape[1]},), got {w.shape}")
        return w

    def loss(w: np.ndarray) -> float:
        r = X @ _w(w) - y
        return 0.5 * float(r @ r)

    def grad(w: np.ndarray) -> np.ndarray:
        return X.T @ (X @ _w(w) - y)

    def hess(w: np.ndarray) -> np.ndarray:
        _w(w)
        return H.copy()

    return loss, grad, hess


def classification_error(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows with ``sign(x_i . w) != y_i`` (a score of exactly 0 counts as an error)."""
    X, y = _check_xy(X, y)
    w = np.asarray(w, dtype=float)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},) to match X, got {w.shape}")
    if y.size == 0:
        raise ValueError("need at least one example to measure an error")
    return float(np.mean(np.sign(X @ w) != y))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between two nonzero vectors of the same shape."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size, got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("cosine needs two nonzero vectors")
    return float(a @ b / (na * nb))


# --------------------------------------------------------------------------------------------------
# Part 2: the protocol on real data (scikit-learn's bundled digits, a small MLP, torch.optim)
# --------------------------------------------------------------------------------------------------

#: torch.optim constructors for the methods compared by Wilson et al. (heavy ball with momentum 0.9).
METHODS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "SGD": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "HB": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "AdaGrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr),
    "RMSProp": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}


@dataclass(frozen=True)
class DigitsSplit:
    """Standardized digits features (float32 tensors) and integer labels, split into train and test."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def digits_split(*, n_train: int = 600, seed: int = 0) -> DigitsSplit:
    """Split scikit-learn's bundled 8x8 digits (1797 images, 10 classes) at random; standardize on train."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    n_train = _check_int("n_train", n_train, 10)
    if n_train >= len(y):
        raise ValueError(f"n_train must leave a test set (< {len(y)}), got {n_train}")
    perm = np.random.default_rng(seed).permutation(len(y))
    tr, te = perm[:n_train], perm[n_train:]
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0  # constant border pixels
    Z = (X - mean) / std
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    g = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    return DigitsSplit(f(Z[tr]), g(y[tr]), f(Z[te]), g(y[te]))


def _check_lr(lr: object) -> float:
    if isinstance(lr, bool) or not isinstance(lr, Real) or not (lr > 0 and np.isfinite(lr)):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    return float(lr)


def train_runs(data: DigitsSplit, method: str, lrs: Sequence[float], seeds: Sequence[int], *, epochs: int = 20,
               batch_size: int = 32, hidden: int = 64) -> dict[str, np.ndarray]:
    """Train one MLP per pair ``(lrs[r], seeds[r])`` with minibatch ``method``, all at once; per-epoch curves.

    Run r starts from ``nets.relu_net([64, hidden, 10], bias=True, seed=seeds[r])`` and draws its own batch
    order from ``seeds[r]``. The runs share one autograd graph (batched matrix products) and one optimizer with
    a parameter group per run; since every method here acts coordinate by coordinate and the total loss is the
    sum of the runs' losses, each run follows exactly the iterates it would follow alone.
    Returns ``train_loss`` (mean cross-entropy on the whole training set), ``train_err`` and ``test_err``
    (fractions misclassified), each of shape ``(runs, epochs + 1)``; column 0 is the initialization.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    lrs = [_check_lr(lr) for lr in lrs]
    seeds = [_check_int("seed", s, 0) for s in seeds]
    if len(lrs) != len(seeds) or not lrs:
        raise ValueError(f"lrs and seeds must be non-empty and of equal length, got {len(lrs)} and {len(seeds)}")
    epochs = _check_int("epochs", epochs, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    hidden = _check_int("hidden", hidden, 1)
    widths = [data.X_train.shape[1], hidden, int(data.y_train.max()) + 1]
    runs = []  # per run: [W1 (d, h), b1 (1, h), W2 (h, k), b2 (1, k)], leaves of the graph
    for seed in seeds:
        net = nets.relu_net(widths, bias=True, seed=seed, dtype=torch.float32)
        runs.append([t.detach().clone().requires_grad_(True) for t in
                     (net[0].weight.T, net[0].bias[None], net[2].weight.T, net[2].bias[None])])
    opt = METHODS[method]([{"params": ps, "lr": lr} for ps, lr in zip(runs, lrs)], lrs[0])
    gens = [torch.Generator().manual_seed(10_000 + seed) for seed in seeds]
    n, R = len(data.y_train), len(runs)
    ce = torch.nn.functional.cross_entropy

    def logits(X: torch.Tensor) -> torch.Tensor:  # X: (R, B, d) -> (R, B, k)
        W1, b1, W2, b2 = (torch.stack(ps) for ps in zip(*runs))
        return torch.relu(X @ W1 + b1) @ W2 + b2

    curves = {k: np.empty((R, epochs + 1)) for k in ("train_loss", "train_err", "test_err")}

    def record(e: int) -> None:
        with torch.no_grad():
            out = logits(data.X_train.expand(R, -1, -1))
            for r in range(R):
                curves["train_loss"][r, e] = float(ce(out[r], data.y_train))
            curves["train_err"][:, e] = (out.argmax(2) != data.y_train).float().mean(1).numpy()
            test_out = logits(data.X_test.expand(R, -1, -1))
            curves["test_err"][:, e] = (test_out.argmax(2) != data.y_test).float().mean(1).numpy()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nets this small run fastest, and least disturbed by other jobs, on one thread
    try:
        record(0)
        for e in range(1, epochs + 1):
            perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
            for k in range(0, n, batch_size):
                idx = perms[:, k:k + batch_size]                      # (R, B): each run its own batch
                opt.zero_grad()
                out = logits(data.X_train[idx])
                # the sum of the runs' mean losses: run r's gradient is that of its own loss
                ce(out.flatten(0, 1), data.y_train[idx].flatten(), reduction="sum").div(idx.shape[1]).backward()
                opt.step()
            record(e)
    finally:
        torch.set_num_threads(threads)
    return curves


def train_digits(data: DigitsSplit, method: str, lr: float, *, seed: int, epochs: int = 20,
                 batch_size: int = 32, hidden: int = 64) -> dict[str, np.ndarray]:
    """One run of ``train_runs``: curves of length ``epochs + 1`` for ``method`` at step ``lr`` from ``seed``."""
    out = train_runs(data, method, [lr], [seed], epochs=epochs, batch_size=batch_size, hidden=hidden)
    return {k: v[0] for k, v in out.items()}


@dataclass(frozen=True)
class Protocol:
    """Outcome of ``run_protocol``: the lr grid's final training losses, the chosen lrs, and the seeds' curves."""

    grid: dict[str, dict[float, float]]          # method -> lr -> final training loss (tuning seed)
    best_lr: dict[str, float]                    # method -> lr with the smallest final training loss
    curves: dict[str, dict[str, np.ndarray]]     # method -> key -> array (seeds, epochs + 1)


def run_protocol(data: DigitsSplit, lrs: dict[str, Sequence[float]], seeds: Sequence[int], *, epochs: int = 20,
                 batch_size: int = 32, hidden: int = 64, max_extensions: int = 2) -> Protocol:
    """Wilson et al.'s protocol: per method, pick the lr with the lowest final training loss on ``seeds[0]``,
    then train with it on every seed.

    If the winner is the largest (smallest) rate tried, the grid grows by one more rate beyond it, spaced like
    the grid's last (first) two rates, up to ``max_extensions`` times. A diverged run (non-finite final loss)
    never wins; ties go to the smaller rate.
    """
    seeds = [_check_int("seed", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    if not lrs:
        raise ValueError("lrs must map at least one method to its grid of learning rates")
    max_extensions = _check_int("max_extensions", max_extensions, 0)
    kw = dict(epochs=epochs, batch_size=batch_size, hidden=hidden)
    grid: dict[str, dict[float, float]] = {}
    best: dict[str, float] = {}
    curves: dict[str, dict[str, np.ndarray]] = {}
    for method, grid_lrs in lrs.items():
        todo = sorted({_check_lr(lr) for lr in grid_lrs})
        if not todo:
            raise ValueError(f"the lr grid of {method!r} is empty")
        if max_extensions and len(todo) < 2:
            raise ValueError(f"the lr grid of {method!r} needs two rates to be extended (or max_extensions=0)")
        tried: dict[float, float] = {}
        for extension in range(max_extensions + 1):
            tuning = train_runs(data, method, todo, [seeds[0]] * len(todo), **kw)
            tried.update({lr: float(v) for lr, v in zip(todo, tuning["train_loss"][:, -1])})
            finite = {lr: v for lr, v in sorted(tried.items()) if np.isfinite(v)}
            if not finite:
                raise ValueError(f"every lr in the grid of {method!r} diverged: {tried}")
            winner = min(finite, key=finite.get)  # the first minimum in ascending order: ties go to the smaller lr
            rates = sorted(tried)
            if extension == max_extensions or rates[0] < winner < rates[-1]:
                break
            new = rates[-1] ** 2 / rates[-2] if winner == rates[-1] else rates[0] ** 2 / rates[1]
            todo = [float(f"{new:.12g}")]  # 0.3 * 3 is 0.9, not 0.8999999999999999
        grid[method] = dict(sorted(tried.items()))
        best[method] = winner
        curves[method] = train_runs(data, method, [winner] * len(seeds), seeds, **kw)
    return Protocol(grid, best, curves)
