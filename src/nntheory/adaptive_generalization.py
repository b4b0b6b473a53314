"""Do adaptive methods generalize worse? The Wilson et al. (2017) construction and a small real-data protocol.

Part 1 (exact, numpy): the least-squares problem of Wilson, Roelofs, Stern, Srebro and Recht, on which
AdaGrad/RMSProp/Adam started at 0 reach ``sign(X^T y) / 4`` (test error ``1 - p``) while gradient
descent reaches the minimum-norm interpolant (test error 0). The objective is
``objectives.least_squares(X, y, mean=False)``, the error ``objectives.classification_error(X, y, w)``.

Part 2: their experimental protocol -- tune the learning rate of each method on a small grid by final
training loss, rerun the best one over several seeds, record train/test curves -- on scikit-learn's bundled
``load_digits`` (no download), with a one-hidden-layer ReLU MLP from ``nets.relu_net``, in float64. The
methods are ``nntheory.optim``'s optimizers; torch only computes the loss gradients (autograd).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from nntheory import _validate as v
from nntheory import nets, optim
from nntheory.implicit_bias import min_norm_solution  # noqa: F401  (re-exported: GD's limit in the construction)

__all__ = [
    "WilsonData", "wilson_data", "sign_solution", "min_norm_solution", "min_norm_dual", "cosine",
    "METHODS", "DigitsSplit", "digits_split", "Curves", "train_runs", "train_digits", "Protocol", "run_protocol",
]


# --------------------------------------------------------------------------------------------------
# Part 1: the construction
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WilsonData:
    """Training set ``(X, y)``, ``X`` of shape (n, 3 + 5 n), and test set ``(X_test, y_test)`` in the same columns."""

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
    n = v.integer(n, "n", least=1)
    n_test = v.integer(n_test, "n_test", least=0)
    p = v.real(p, "p")
    if not 0.5 < p < 1.0:
        raise ValueError(f"p must lie in the open interval (1/2, 1), got {p!r}")
    rng = np.random.default_rng(v.integer(seed, "seed", least=0))
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


def sign_solution(X: object, y: object) -> np.ndarray:
    """The interpolant ``sign(X^T y) / c`` of Wilson et al.'s lemma, where ``X sign(X^T y) = c y``.

    Raises ``ValueError`` if ``X sign(X^T y)`` is not a positive multiple of ``y`` (the lemma's hypothesis).
    """
    X = v.matrix(X, "X")
    y = v.vector(y, "y", X.shape[0])
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
    P = v.integer(n_pos, "n_pos", least=0)
    N = v.integer(n_neg, "n_neg", least=0)
    if P + N == 0:
        raise ValueError("n_pos + n_neg must be at least 1")
    D = 5 + 15 * P + 3 * N + 8 * P * N
    return (5 + 4 * N) / D, -(1 + 4 * P) / D


def cosine(a: object, b: object) -> float:
    """Cosine of the angle between two nonzero vectors of the same shape."""
    a, b = v.array(a, "a").ravel(), v.array(b, "b").ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size, got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("cosine needs two nonzero vectors")
    return float(a @ b / (na * nb))


# --------------------------------------------------------------------------------------------------
# Part 2: the protocol on real data (scikit-learn's bundled digits, a small MLP, nntheory.optim)
# --------------------------------------------------------------------------------------------------

#: nntheory.optim optimizers (called with ``lr=...``) for the methods compared by Wilson et al.
METHODS: dict[str, Callable[..., optim.Optimizer]] = {
    "SGD": optim.GD,
    "HB": partial(optim.HeavyBall, momentum=0.9),
    "AdaGrad": optim.AdaGrad,
    "RMSProp": optim.RMSProp,
    "Adam": optim.Adam,
}


@dataclass(frozen=True)
class DigitsSplit:
    """Standardized digits features (float64 tensors) and integer labels, split into train and test."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def digits_split(*, n_train: int = 600, seed: int = 0) -> DigitsSplit:
    """Split scikit-learn's bundled 8x8 digits (1797 images, 10 classes) at random; standardize on train."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    n_train = v.integer(n_train, "n_train", least=10)
    if n_train >= len(y):
        raise ValueError(f"n_train must leave a test set (< {len(y)}), got {n_train}")
    perm = np.random.default_rng(v.integer(seed, "seed", least=0)).permutation(len(y))
    tr, te = perm[:n_train], perm[n_train:]
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0  # constant border pixels
    Z = torch.tensor((X - mean) / std, dtype=torch.float64)
    labels = torch.tensor(y, dtype=torch.long)
    return DigitsSplit(Z[tr], labels[tr], Z[te], labels[te])


@dataclass(frozen=True)
class Curves:
    """Per-epoch ``train_loss`` (mean cross-entropy on the training set), ``train_err`` and ``test_err`` (fractions).

    Shape ``(runs, epochs + 1)`` from ``train_runs``, ``(epochs + 1,)`` for one run; column 0 is the initialization.
    """

    train_loss: np.ndarray
    train_err: np.ndarray
    test_err: np.ndarray

    def run(self, r: int) -> Curves:
        """The curves of run ``r`` alone."""
        return Curves(self.train_loss[r], self.train_err[r], self.test_err[r])


class _MLPs:
    """R one-hidden-layer MLPs whose parameters are the rows of one ``(R, P)`` float64 array.

    Row r is the concatenation of ``W1 (d, h)``, ``b1 (1, h)``, ``W2 (h, k)`` and ``b2 (1, k)`` of run r, drawn
    by ``nets.relu_net(widths, bias=True, seed=seeds[r], dtype=torch.float32)`` and widened to float64 (relu_net
    draws other numbers for each dtype; these are the initial weights the book's float32 protocol had).
    """

    def __init__(self, widths: list[int], seeds: list[int]) -> None:
        d, h, k = widths
        self.shapes = [(d, h), (1, h), (h, k), (1, k)]
        self.ends = np.cumsum([0] + [a * b for a, b in self.shapes])
        rows = []
        for seed in seeds:
            net = nets.relu_net(widths, bias=True, seed=seed, dtype=torch.float32)
            parts = (net[0].weight.T, net[0].bias[None], net[2].weight.T, net[2].bias[None])
            rows.append(np.concatenate([p.detach().double().numpy().ravel() for p in parts]))
        self.theta0 = np.stack(rows)

    def logits(self, theta: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """Outputs ``(R, B, k)`` of the R nets with parameters ``theta (R, P)`` on inputs ``X (R, B, d)``."""
        W1, b1, W2, b2 = (theta[:, a:b].reshape(-1, *s) for a, b, s in zip(self.ends[:-1], self.ends[1:], self.shapes))
        return torch.relu(X @ W1 + b1) @ W2 + b2

    def gradients(self, theta: np.ndarray, X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        """Row r: the gradient of run r's mean cross-entropy on its batch ``(X[r], y[r])``, by autograd."""
        params = torch.from_numpy(theta).requires_grad_(True)
        out = self.logits(params, X)
        # the sum of the runs' mean losses: run r's gradient is that of its own loss
        loss = torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="sum") / y.shape[1]
        loss.backward()
        return params.grad.numpy()

    @torch.no_grad()
    def evaluate(self, theta: np.ndarray, data: DigitsSplit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per run: mean cross-entropy and error on the training set, error on the test set."""
        R, t = theta.shape[0], torch.from_numpy(theta)
        out = self.logits(t, data.X_train.expand(R, -1, -1))
        y = data.y_train.expand(R, -1)
        loss = torch.nn.functional.cross_entropy(out.transpose(1, 2), y, reduction="none").mean(1)
        test_out = self.logits(t, data.X_test.expand(R, -1, -1))
        return (loss.numpy(), (out.argmax(2) != y).double().mean(1).numpy(),
                (test_out.argmax(2) != data.y_test).double().mean(1).numpy())


def _check_runs(method: str, lrs: Sequence[float], seeds: Sequence[int], **counts: int) -> tuple:
    """Validated ``(lrs, seeds, counts)`` of ``train_runs``."""
    v.choice(method, "method", list(METHODS))
    lrs = [v.positive(lr, "lr") for lr in lrs]
    seeds = [v.integer(s, "seed", least=0) for s in seeds]
    if len(lrs) != len(seeds) or not lrs:
        raise ValueError(f"lrs and seeds must be non-empty and of equal length, got {len(lrs)} and {len(seeds)}")
    return lrs, seeds, {k: v.integer(c, k, least=1) for k, c in counts.items()}


def train_runs(data: DigitsSplit, method: str, lrs: Sequence[float], seeds: Sequence[int], *, epochs: int = 20,
               batch_size: int = 32, hidden: int = 64) -> Curves:
    """Train one MLP per pair ``(lrs[r], seeds[r])`` with minibatch ``method``, all at once; per-epoch curves.

    Run r starts from the seeded ``nets.relu_net([64, hidden, 10], bias=True, seed=seeds[r])`` (see ``_MLPs``)
    and draws its own batch order from ``seeds[r]``; everything is computed in float64. The runs' parameters
    are the rows of one array; one batched autograd pass gives every run's gradient (of the sum of the runs'
    losses, so row r is run r's own gradient), and each run has its own ``nntheory.optim`` optimizer and state,
    built with its own lr (``METHODS[method](lr=lrs[r])``), rather than one optimizer with a per-coordinate lr
    vector: the hyper-parameters stay validated scalars and run r's update is, operation for operation, the
    one it would take alone. So each run follows exactly the iterates it would follow alone.
    """
    lrs, seeds, kw = _check_runs(method, lrs, seeds, epochs=epochs, batch_size=batch_size, hidden=hidden)
    mlps = _MLPs([data.X_train.shape[1], kw["hidden"], int(data.y_train.max()) + 1], seeds)
    opts = [METHODS[method](lr=lr) for lr in lrs]
    theta = mlps.theta0.copy()
    states = [opt.init(row) for opt, row in zip(opts, theta)]
    gens = [torch.Generator().manual_seed(10_000 + seed) for seed in seeds]
    n, B = len(data.y_train), kw["batch_size"]
    rows = [mlps.evaluate(theta, data)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nets this small run fastest, and least disturbed by other jobs, on one thread
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging lr gives non-finite curves, not warnings
            for _ in range(kw["epochs"]):
                perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
                for k in range(0, n, B):
                    idx = perms[:, k:k + B]  # (R, B): each run its own batch
                    grads = mlps.gradients(theta, data.X_train[idx], data.y_train[idx])
                    for r, opt in enumerate(opts):
                        u, states[r] = opt.update(grads[r], states[r])
                        theta[r] += u
                rows.append(mlps.evaluate(theta, data))
    finally:
        torch.set_num_threads(threads)
    return Curves(*(np.stack(c, axis=1) for c in zip(*rows)))


def train_digits(data: DigitsSplit, method: str, lr: float, *, seed: int, epochs: int = 20,
                 batch_size: int = 32, hidden: int = 64) -> Curves:
    """One run of ``train_runs``: curves of length ``epochs + 1`` for ``method`` at step ``lr`` from ``seed``."""
    return train_runs(data, method, [lr], [seed], epochs=epochs, batch_size=batch_size, hidden=hidden).run(0)


@dataclass(frozen=True)
class Protocol:
    """Outcome of ``run_protocol``: the lr grid's final training losses, the chosen lrs, and the seeds' curves."""

    grid: dict[str, dict[float, float]]          # method -> lr -> final training loss (tuning seed)
    best_lr: dict[str, float]                    # method -> lr with the smallest final training loss
    curves: dict[str, Curves]                    # method -> curves of shape (seeds, epochs + 1)


def _tune(data: DigitsSplit, method: str, grid_lrs: Sequence[float], seed: int, max_extensions: int,
          kw: dict) -> tuple[dict[float, float], float]:
    """The tried rates' final training losses on ``seed`` and the winner, extending the grid at an edge."""
    todo = sorted({v.positive(lr, "lr") for lr in grid_lrs})
    if not todo:
        raise ValueError(f"the lr grid of {method!r} is empty")
    if max_extensions and len(todo) < 2:
        raise ValueError(f"the lr grid of {method!r} needs two rates to be extended (or max_extensions=0)")
    tried: dict[float, float] = {}
    for extension in range(max_extensions + 1):
        tuning = train_runs(data, method, todo, [seed] * len(todo), **kw)
        tried.update({lr: float(loss) for lr, loss in zip(todo, tuning.train_loss[:, -1])})
        finite = {lr: loss for lr, loss in sorted(tried.items()) if np.isfinite(loss)}
        if not finite:
            raise ValueError(f"every lr in the grid of {method!r} diverged: {tried}")
        winner = min(finite, key=finite.get)  # the first minimum in ascending order: ties go to the smaller lr
        rates = sorted(tried)
        if extension == max_extensions or rates[0] < winner < rates[-1]:
            break
        new = rates[-1] ** 2 / rates[-2] if winner == rates[-1] else rates[0] ** 2 / rates[1]
        todo = [float(f"{new:.12g}")]  # 0.3 * 3 is 0.9, not 0.8999999999999999
    return dict(sorted(tried.items())), winner


def run_protocol(data: DigitsSplit, lrs: dict[str, Sequence[float]], seeds: Sequence[int], *, epochs: int = 20,
                 batch_size: int = 32, hidden: int = 64, max_extensions: int = 2) -> Protocol:
    """Wilson et al.'s protocol: per method, pick the lr with the lowest final training loss on ``seeds[0]``,
    then train with it on every seed.

    If the winner is the largest (smallest) rate tried, the grid grows by one more rate beyond it, spaced like
    the grid's last (first) two rates, up to ``max_extensions`` times. A diverged run (non-finite final loss)
    never wins; ties go to the smaller rate.
    """
    seeds = [v.integer(s, "seed", least=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    if not lrs:
        raise ValueError("lrs must map at least one method to its grid of learning rates")
    max_extensions = v.integer(max_extensions, "max_extensions", least=0)
    kw = dict(epochs=epochs, batch_size=batch_size, hidden=hidden)
    grid, best, curves = {}, {}, {}
    for method, grid_lrs in lrs.items():
        grid[method], best[method] = _tune(data, method, grid_lrs, seeds[0], max_extensions, kw)
        curves[method] = train_runs(data, method, [best[method]] * len(seeds), seeds, **kw)
    return Protocol(grid, best, curves)
