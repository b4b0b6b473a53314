"""Do adaptive methods generalize worse? The Wilson et al. (2017) construction and a small real-data protocol.

Part 1 (exact, numpy): the least-squares problem of Wilson, Roelofs, Stern, Srebro and Recht, on which
AdaGrad/RMSProp/Adam started at 0 reach ``sign(X^T y) / 4`` (test error ``1 - p``) while gradient
descent reaches the minimum-norm interpolant (test error 0). The objective is
``objectives.least_squares(X, y, mean=False)``, the error ``objectives.classification_error(X, y, w)``.

Part 2: their experimental protocol -- per method, an initial step size from a five-point grid of powers of
two (extended while the best is at an edge) and a "dev-decay" step schedule (decay by a factor when the
development-set error sets no new best), both chosen by development-set performance, then several seeds --
on scikit-learn's bundled ``load_digits`` (no download), with a one-hidden-layer ReLU MLP from
``nets.relu_net``, in float64. The methods are ``nntheory.optim``'s optimizers; torch only computes the loss
gradients (autograd).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import partial

import numpy as np
import torch

from nntheory import _validate as v
from nntheory import nets, optim
from nntheory.implicit_bias import min_norm_solution  # noqa: F401  (re-exported: GD's limit in the construction)

__all__ = [
    "WilsonData", "wilson_data", "sign_solution", "min_norm_solution", "min_norm_dual", "cosine",
    "METHODS", "DigitsSplit", "digits_split", "Curves", "train_runs", "train_digits", "Protocol", "run_protocol",
    "power_grid",
]


# --------------------------------------------------------------------------------------------------
# Part 1: the construction
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WilsonData:
    """Training set ``(X, y)``, ``X`` of shape (n, 3 + 5 n), and test set ``(X_test, y_test)`` in the same columns.

    Returned by :func:`wilson_data`.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, 3 + 5 n)
        Training points: ``X[i] = (y_i, 1, 1, private features)``, the private block of example ``i`` at
        columns ``3 + 5 i, ..., 7 + 5 i`` (one 1 if ``y_i = +1``, five 1s if ``y_i = -1``).
    y : numpy.ndarray of shape (n,)
        Training labels in {-1, +1}, with ``sum(y) > 0``.
    X_test : numpy.ndarray of shape (n_test, 3 + 5 n)
        Test points ``(y, 1, 1, 0, ..., 0)`` (their private features dropped: see :func:`wilson_data`).
    y_test : numpy.ndarray of shape (n_test,)
        Test labels in {-1, +1}, +1 with probability ``p``.
    """

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

    Parameters
    ----------
    n : int
        Number of training examples, ``>= 1``.
    p : float
        Probability of the label +1, in the open interval (1/2, 1).
    n_test : int, default 0
        Number of test examples, ``>= 0``.
    seed : int, default 0
        Seed of the random labels, ``>= 0``.

    Returns
    -------
    WilsonData
        ``X`` of shape ``(n, 3 + 5 n)``, ``y`` of shape ``(n,)``, ``X_test`` of shape ``(n_test, 3 + 5 n)``,
        ``y_test`` of shape ``(n_test,)``, all float64.

    Raises
    ------
    TypeError
        If ``n``, ``n_test`` or ``seed`` is not an int, or ``p`` is not a real number.
    ValueError
        If ``n < 1``, ``n_test < 0``, ``seed < 0``, or ``p`` is not finite or not in (1/2, 1).

    Examples
    --------
    The sign solution predicts +1 on every test point (its test error is the fraction ``1 - p`` of negatives),
    while the minimum-norm interpolant, GD's limit, classifies every test point correctly:

    >>> import numpy as np
    >>> from nntheory import adaptive_generalization as ag
    >>> d = ag.wilson_data(8, 0.7, n_test=1000, seed=0)
    >>> d.X.shape, d.X_test.shape, d.y.tolist()
    ((8, 43), (1000, 43), [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    >>> w_ada, w_gd = ag.sign_solution(d.X, d.y), ag.min_norm_solution(d.X, d.y)
    >>> [float(np.mean(np.sign(d.X_test @ w) != d.y_test)) for w in (w_ada, w_gd)]
    [0.321, 0.0]
    >>> float(np.mean(d.y_test < 0))
    0.321
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
    r"""The interpolant ``sign(X^T y) / c`` of Wilson et al.'s lemma, where ``X sign(X^T y) = c y``.

    Raises ``ValueError`` if ``X sign(X^T y)`` is not a positive multiple of ``y`` (the lemma's hypothesis).

    On :func:`wilson_data`, ``c = 4``, and AdaGrad, RMSProp and Adam started at 0 converge to this interpolant.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Training points (rows); finite, non-empty.
    y : array_like of shape (n,)
        Targets, one per row of ``X``; finite.

    Returns
    -------
    numpy.ndarray of shape (d,)
        ``sign(X^T y) / c``, which satisfies ``X w = y``.

    Raises
    ------
    TypeError
        If ``X`` or ``y`` is not an array of real numbers.
    ValueError
        If ``X`` is not a non-empty finite matrix, ``y`` not a finite vector of length ``n``, or
        ``X sign(X^T y)`` is not a positive multiple ``c y`` of ``y``.

    Examples
    --------
    AdaGrad from 0 on :math:`\tfrac12 \|Xw - y\|^2` lands on the sign solution, gradient descent on the
    minimum-norm interpolant:

    >>> import numpy as np
    >>> from nntheory import adaptive_generalization as ag, optim
    >>> d = ag.wilson_data(8, 0.7, seed=0)
    >>> grad = lambda w: d.X.T @ (d.X @ w - d.y)
    >>> w_ada = optim.run(optim.AdaGrad(lr=0.1), grad, np.zeros(43), 2000)[-1]
    >>> w_gd = optim.run(optim.GD(lr=0.05), grad, np.zeros(43), 2000)[-1]
    >>> s = ag.sign_solution(d.X, d.y)
    >>> np.round(s[:4], 4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    >>> bool(np.allclose(w_ada, s)), bool(np.allclose(w_gd, ag.min_norm_solution(d.X, d.y)))
    (True, True)
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
    """Closed-form dual coefficients ``(a_+, a_-)`` of the min-norm interpolant of the construction: w = X^T a.

    Every positive example gets ``a_+ = (5 + 4 N) / D`` and every negative one ``a_- = -(1 + 4 P) / D``
    with ``D = 5 + 15 P + 3 N + 8 P N`` (P, N the class counts).

    Parameters
    ----------
    n_pos : int
        Number ``P`` of positive training examples, ``>= 0``.
    n_neg : int
        Number ``N`` of negative training examples, ``>= 0``; ``P + N >= 1``.

    Returns
    -------
    tuple of float
        ``(a_plus, a_minus)``: the dual coefficient of every positive example (``> 0``) and of every negative
        one (``< 0``).

    Raises
    ------
    TypeError
        If ``n_pos`` or ``n_neg`` is not an int.
    ValueError
        If either is negative, or both are 0.

    Examples
    --------
    The closed form agrees with the numerical minimum-norm interpolant:

    >>> import numpy as np
    >>> from nntheory import adaptive_generalization as ag
    >>> d = ag.wilson_data(8, 0.7, seed=0)
    >>> a_plus, a_minus = ag.min_norm_dual(int(np.sum(d.y > 0)), int(np.sum(d.y < 0)))
    >>> print(f"{a_plus:.6f} {a_minus:.6f}")
    0.081340 -0.100478
    >>> w = d.X.T @ np.where(d.y > 0, a_plus, a_minus)
    >>> bool(np.allclose(w, ag.min_norm_solution(d.X, d.y)))
    True
    """
    P = v.integer(n_pos, "n_pos", least=0)
    N = v.integer(n_neg, "n_neg", least=0)
    if P + N == 0:
        raise ValueError("n_pos + n_neg must be at least 1")
    D = 5 + 15 * P + 3 * N + 8 * P * N
    return (5 + 4 * N) / D, -(1 + 4 * P) / D


def cosine(a: object, b: object) -> float:
    r"""Cosine of the angle between two nonzero vectors of the same shape.

    :math:`\cos\angle(a, b) = \langle a, b\rangle / (\|a\| \|b\|)`, with both arrays flattened.

    Parameters
    ----------
    a : array_like
        A nonzero finite array (any shape; flattened).
    b : array_like
        A nonzero finite array with as many entries as ``a``.

    Returns
    -------
    float
        The cosine, in [-1, 1] up to round-off (not clipped: it can exceed 1 by an ulp or two).

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not an array of real numbers.
    ValueError
        If either has NaN or infinite entries, their sizes differ, or either is zero.

    Examples
    --------
    >>> from nntheory import adaptive_generalization as ag
    >>> print(round(ag.cosine([1, 0], [1, 1]), 6))
    0.707107
    >>> ag.cosine([1, 0], [0, 0])
    Traceback (most recent call last):
    ...
    ValueError: cosine needs two nonzero vectors
    """
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
    """Standardized digits features (float64 tensors) and integer labels: train, development and test sets.

    Returned by :func:`digits_split`. Features are the 64 pixel intensities, standardized with the training
    set's mean and standard deviation; labels are the digits 0 to 9 (``torch.long``).

    Parameters
    ----------
    X_train : torch.Tensor of shape (n_train, 64)
        Training features.
    y_train : torch.Tensor of shape (n_train,)
        Training labels.
    X_dev : torch.Tensor of shape (n_dev, 64)
        Development-set features (used to tune the step size and schedule).
    y_dev : torch.Tensor of shape (n_dev,)
        Development-set labels.
    X_test : torch.Tensor of shape (1797 - n_train - n_dev, 64)
        Test features (looked at last).
    y_test : torch.Tensor of shape (1797 - n_train - n_dev,)
        Test labels.
    """

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_dev: torch.Tensor
    y_dev: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def digits_split(*, n_train: int = 600, n_dev: int = 300, seed: int = 0) -> DigitsSplit:
    """Split scikit-learn's bundled 8x8 digits (1797 images, 10 classes) at random; standardize on train.

    Constant pixels (the border) get standard deviation 1, so they stay 0 after centring.

    Parameters
    ----------
    n_train : int, default 600
        Size of the training set, ``>= 10``.
    n_dev : int, default 300
        Size of the development set, ``>= 1``; the remaining ``1797 - n_train - n_dev >= 1`` images are the
        test set.
    seed : int, default 0
        Seed of the random permutation, ``>= 0``.

    Returns
    -------
    DigitsSplit
        The three sets, features as float64 tensors, labels as long tensors.

    Raises
    ------
    TypeError
        If ``n_train``, ``n_dev`` or ``seed`` is not an int.
    ValueError
        If ``n_train < 10``, ``n_dev < 1``, ``seed < 0``, or ``n_train + n_dev >= 1797`` (no test set).
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    n_train = v.integer(n_train, "n_train", least=10)
    n_dev = v.integer(n_dev, "n_dev", least=1)
    if n_train + n_dev >= len(y):
        raise ValueError(f"n_train + n_dev must leave a test set (< {len(y)}), got {n_train} + {n_dev}")
    perm = np.random.default_rng(v.integer(seed, "seed", least=0)).permutation(len(y))
    tr, dv, te = perm[:n_train], perm[n_train:n_train + n_dev], perm[n_train + n_dev:]
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0  # constant border pixels
    Z = torch.tensor((X - mean) / std, dtype=torch.float64)
    labels = torch.tensor(y, dtype=torch.long)
    return DigitsSplit(Z[tr], labels[tr], Z[dv], labels[dv], Z[te], labels[te])


@dataclass(frozen=True)
class Curves:
    """Per-epoch mean cross-entropy and error (fractions) on the sets, and the dev-decay factor of each epoch.

    Shape ``(runs, epochs + 1)`` from ``train_runs`` (column 0 is the initialization), ``(epochs + 1,)`` for one run;
    ``lr_scale[..., k]`` is the factor multiplying the learning rate during epoch ``k + 1``.

    Parameters
    ----------
    train_loss : numpy.ndarray
        Mean cross-entropy on the training set after each epoch (NaN if not computed: ``full=False``).
    train_err : numpy.ndarray
        Training error (fraction misclassified), or NaN.
    dev_loss : numpy.ndarray
        Mean cross-entropy on the development set.
    dev_err : numpy.ndarray
        Development-set error.
    test_err : numpy.ndarray
        Test error, or NaN.
    lr_scale : numpy.ndarray of shape (runs, epochs) or (epochs,)
        The dev-decay factor of each epoch (1 until the first decay).
    """

    train_loss: np.ndarray
    train_err: np.ndarray
    dev_loss: np.ndarray
    dev_err: np.ndarray
    test_err: np.ndarray
    lr_scale: np.ndarray

    def run(self, r: int) -> Curves:
        """The curves of run ``r`` alone.

        Parameters
        ----------
        r : int
            Index of the run (a row of the arrays; negative indices count from the end).

        Returns
        -------
        Curves
            Every array's row ``r``: shape ``(epochs + 1,)`` (``lr_scale``: ``(epochs,)``).

        Raises
        ------
        IndexError
            If ``r`` is out of range (numpy's indexing).
        """
        return Curves(*(getattr(self, f.name)[r] for f in fields(self)))


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
    def evaluate(self, theta: np.ndarray, data: DigitsSplit, full: bool = True) -> tuple[np.ndarray, ...]:
        """Per run: (train loss, train error, dev loss, dev error, test error); NaN but dev unless ``full``."""
        R, t = theta.shape[0], torch.from_numpy(theta)
        rows = []
        for name, X, y in (("train", data.X_train, data.y_train), ("dev", data.X_dev, data.y_dev),
                           ("test", data.X_test, data.y_test)):
            if not full and name != "dev":
                rows += [np.full(R, np.nan)] * 2
                continue
            out, yy = self.logits(t, X.expand(R, -1, -1)), y.expand(R, -1)
            loss = torch.nn.functional.cross_entropy(out.transpose(1, 2), yy, reduction="none").mean(1)
            rows += [loss.numpy(), (out.argmax(2) != yy).double().mean(1).numpy()]
        return tuple(rows[:4]) + (rows[5],)  # the test loss is not used: the test set is looked at last


def _check_runs(method: str, lrs: Sequence[float], seeds: Sequence[int], decays: Sequence[float] | None,
                **counts: int) -> tuple:
    """Validated ``(lrs, seeds, decays, counts)`` of ``train_runs``."""
    v.choice(method, "method", list(METHODS))
    lrs = [v.positive(lr, "lr") for lr in lrs]
    seeds = [v.integer(s, "seed", least=0) for s in seeds]
    if len(lrs) != len(seeds) or not lrs:
        raise ValueError(f"lrs and seeds must be non-empty and of equal length, got {len(lrs)} and {len(seeds)}")
    decays = [1.0] * len(lrs) if decays is None else [v.positive(d, "decay") for d in decays]
    if len(decays) != len(lrs) or max(decays) > 1:
        raise ValueError(f"decays must hold one factor in (0, 1] per run, got {decays}")
    return lrs, seeds, decays, {k: v.integer(c, k, least=1) for k, c in counts.items()}


def train_runs(data: DigitsSplit, method: str, lrs: Sequence[float], seeds: Sequence[int], *,
               decays: Sequence[float] | None = None, epochs: int = 20, batch_size: int = 32,
               hidden: int = 64, full: bool = True) -> Curves:
    """Train one MLP per ``(lrs[r], seeds[r], decays[r])`` with minibatch ``method``, all at once; per-epoch curves.

    Run r starts from the seeded ``nets.relu_net([64, hidden, 10], bias=True, seed=seeds[r])`` (see ``_MLPs``)
    and draws its own batch order from ``seeds[r]``; everything is in float64. One batched autograd pass gives
    every run's gradient (of the sum of the runs' losses, so row r is run r's own), and each run has its own
    ``METHODS[method](lr=lrs[r])`` and state, so run r takes the updates it would take alone, up to the
    summation order of the batched products. Dev-decay (Wilson et al.): after an epoch whose development-set
    error is no new best, run r's learning rate is multiplied by ``decays[r]`` (1: constant). The factor scales
    the update, which is torch's change of learning rate (no method's state depends on it). With ``full=False``
    only the development-set curves are computed (the others are NaN): all that tuning needs, at a third of the cost.

    Parameters
    ----------
    data : DigitsSplit
        The data, from :func:`digits_split`.
    method : str
        A key of :data:`METHODS`: ``"SGD"``, ``"HB"``, ``"AdaGrad"``, ``"RMSProp"`` or ``"Adam"``.
    lrs : sequence of float
        The initial learning rate of each run, each ``> 0``; non-empty.
    seeds : sequence of int
        The seed of each run (initial weights and batch order), each ``>= 0``; as many as ``lrs``.
    decays : sequence of float or None, default None
        The dev-decay factor of each run, each in (0, 1]; None: 1 for every run (a constant learning rate).
    epochs : int, default 20
        Number of passes over the training set, ``>= 1``.
    batch_size : int, default 32
        Minibatch size, ``>= 1`` (the last batch of an epoch may be smaller).
    hidden : int, default 64
        Width of the hidden layer, ``>= 1``.
    full : bool, default True
        Compute the training and test curves too (False: development set only).

    Returns
    -------
    Curves
        Arrays of shape ``(runs, epochs + 1)`` (``lr_scale``: ``(runs, epochs)``); column 0 is the initialization.
        A diverging run gives non-finite values, not an error.

    Raises
    ------
    TypeError
        If a learning rate, decay or count is not a number of the right type, or ``full`` is not a bool.
    ValueError
        If ``method`` is not a key of :data:`METHODS`, a learning rate is not positive and finite, a seed or
        count is below its minimum, ``lrs`` is empty or differs in length from ``seeds``, or ``decays``
        does not hold one factor in (0, 1] per run.
    """
    lrs, seeds, decays, kw = _check_runs(method, lrs, seeds, decays, epochs=epochs, batch_size=batch_size,
                                         hidden=hidden)
    full = v.boolean(full, "full")
    mlps = _MLPs([data.X_train.shape[1], kw["hidden"], int(data.y_train.max()) + 1], seeds)
    opts = [METHODS[method](lr=lr) for lr in lrs]
    theta = mlps.theta0.copy()
    states = [opt.init(row) for opt, row in zip(opts, theta)]
    gens = [torch.Generator().manual_seed(10_000 + seed) for seed in seeds]
    n, B, R = len(data.y_train), kw["batch_size"], len(lrs)
    rows, scales = [mlps.evaluate(theta, data, full)], []
    scale, best = np.ones(R), rows[0][3].copy()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nets this small run fastest, and least disturbed by other jobs, on one thread
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging lr gives non-finite curves, not warnings
            for _ in range(kw["epochs"]):
                scales.append(scale.copy())
                perms = torch.stack([torch.randperm(n, generator=g) for g in gens])
                for k in range(0, n, B):
                    idx = perms[:, k:k + B]  # (R, B): each run its own batch
                    grads = mlps.gradients(theta, data.X_train[idx], data.y_train[idx])
                    for r, opt in enumerate(opts):
                        u, states[r] = opt.update(grads[r], states[r])
                        theta[r] += scale[r] * u
                rows.append(mlps.evaluate(theta, data, full))
                improved = rows[-1][3] < best
                best = np.where(improved, rows[-1][3], best)
                scale = np.where(improved, scale, scale * np.array(decays))
    finally:
        torch.set_num_threads(threads)
    return Curves(*(np.stack(c, axis=1) for c in zip(*rows)), np.stack(scales, axis=1))


def train_digits(data: DigitsSplit, method: str, lr: float, *, seed: int, decay: float = 1.0, epochs: int = 20,
                 batch_size: int = 32, hidden: int = 64) -> Curves:
    """One run of ``train_runs``: curves of length ``epochs + 1`` for ``method`` at step ``lr`` from ``seed``.

    Parameters
    ----------
    data : DigitsSplit
        The data, from :func:`digits_split`.
    method : str
        A key of :data:`METHODS`.
    lr : float
        The initial learning rate, ``> 0``.
    seed : int
        The run's seed (initial weights and batch order), ``>= 0``.
    decay : float, default 1.0
        The dev-decay factor, in (0, 1] (1: a constant learning rate).
    epochs : int, default 20
        Number of passes over the training set, ``>= 1``.
    batch_size : int, default 32
        Minibatch size, ``>= 1``.
    hidden : int, default 64
        Width of the hidden layer, ``>= 1``.

    Returns
    -------
    Curves
        Arrays of shape ``(epochs + 1,)`` (``lr_scale``: ``(epochs,)``), every curve computed.

    Raises
    ------
    TypeError
        As :func:`train_runs` (also if ``seed`` is not an int).
    ValueError
        As :func:`train_runs`.
    """
    return train_runs(data, method, [lr], [seed], decays=[decay], epochs=epochs, batch_size=batch_size,
                      hidden=hidden).run(0)


def power_grid(k_lo: int, k_hi: int) -> list[float]:
    """The step sizes ``2^k`` for ``k = k_lo, ..., k_hi`` (Wilson et al. tune on five consecutive powers of two).

    Parameters
    ----------
    k_lo : int
        The smallest exponent (may be negative).
    k_hi : int
        The largest exponent, ``>= k_lo``.

    Returns
    -------
    list of float
        ``[2.0**k_lo, ..., 2.0**k_hi]``, increasing, ``k_hi - k_lo + 1`` rates.

    Raises
    ------
    TypeError
        If ``k_lo`` or ``k_hi`` is not an int.
    ValueError
        If ``k_hi < k_lo``.

    Examples
    --------
    >>> from nntheory import adaptive_generalization as ag
    >>> ag.power_grid(-3, 1)
    [0.125, 0.25, 0.5, 1.0, 2.0]
    """
    k_lo, k_hi = v.integer(k_lo, "k_lo"), v.integer(k_hi, "k_hi")
    if k_hi < k_lo:
        raise ValueError(f"need k_lo <= k_hi, got {k_lo} > {k_hi}")
    return [2.0**k for k in range(k_lo, k_hi + 1)]


@dataclass(frozen=True)
class Protocol:
    """Outcome of ``run_protocol``: every setting tried, the chosen one, whether it sat at a grid edge, the curves.

    Parameters
    ----------
    tried : dict of str to dict
        Per method, every ``(lr, decay)`` tried on the tuning seed, mapped to its final
        ``(development error, development loss)``.
    best : dict of str to tuple of float
        Per method, the chosen ``(lr, decay)``.
    at_edge : dict of str to bool
        Per method, whether the chosen learning rate is still the smallest or largest tried (the grid's
        extensions ran out): then the optimum may lie outside the grid.
    curves : dict of str to Curves
        Per method, the curves of every seed at the chosen setting, shape ``(seeds, epochs + 1)``.
    """

    tried: dict[str, dict[tuple[float, float], tuple[float, float]]]  # method -> (lr, decay) -> final (dev err, loss)
    best: dict[str, tuple[float, float]]                             # method -> chosen (lr, decay)
    at_edge: dict[str, bool]                                         # chosen lr still the grid's smallest/largest
    curves: dict[str, Curves]                                        # method -> curves of shape (seeds, epochs + 1)


def _tune(data: DigitsSplit, method: str, grid: Sequence[float], decays: Sequence[float], seed: int,
          max_extensions: int, kw: dict) -> tuple[dict, tuple[float, float], bool]:
    """Every (lr, decay) tried on ``seed`` with its final dev (error, loss); the winner; whether it is at an edge."""
    todo = sorted({v.positive(lr, "lr") for lr in grid})
    if len(todo) < 2:
        raise ValueError(f"the lr grid of {method!r} needs at least two rates, got {list(grid)}")
    tried: dict[tuple[float, float], tuple[float, float]] = {}
    for extension in range(max_extensions + 1):
        pairs = [(lr, d) for lr in todo for d in decays]
        c = train_runs(data, method, [p[0] for p in pairs], [seed] * len(pairs), decays=[p[1] for p in pairs],
                       full=False, **kw)
        tried.update({p: (float(e), float(l)) for p, e, l in zip(pairs, c.dev_err[:, -1], c.dev_loss[:, -1])})
        finite = {p: s for p, s in sorted(tried.items()) if np.isfinite(s[1])}
        if not finite:
            raise ValueError(f"every setting of {method!r} diverged: {tried}")
        winner = min(finite, key=finite.get)  # lowest dev error, then lowest dev loss; ties: smaller lr, decay
        rates = sorted({p[0] for p in tried})
        edge = winner[0] in (rates[0], rates[-1])
        if not edge or extension == max_extensions:
            break
        step = rates[-1] / rates[-2] if winner[0] == rates[-1] else rates[0] / rates[1]
        todo = [float(f"{winner[0] * step:.12g}")]
    return dict(sorted(tried.items())), winner, edge


def run_protocol(data: DigitsSplit, grids: dict[str, Sequence[float]], seeds: Sequence[int], *,
                 decays: Sequence[float] = (0.5, 1.0), epochs: int = 20, batch_size: int = 32, hidden: int = 64,
                 max_extensions: int = 4) -> Protocol:
    """Wilson et al.'s protocol: per method, choose (lr, dev-decay factor) on ``seeds[0]``, then train every seed.

    The choice minimizes the final development-set error (ties: the final development loss) over the lr grid
    times ``decays``; while the winner's lr is the largest (smallest) tried, the grid grows by one more rate,
    spaced like its last (first) two, up to ``max_extensions`` times. A diverged run never wins.

    Parameters
    ----------
    data : DigitsSplit
        The data, from :func:`digits_split`.
    grids : dict of str to sequence of float
        Per method (a key of :data:`METHODS`), its initial grid of learning rates (e.g. ``power_grid(-6, -2)``),
        at least two distinct positive rates.
    seeds : sequence of int
        Seeds, each ``>= 0``, at least one; the first is the tuning seed.
    decays : sequence of float, default (0.5, 1.0)
        The dev-decay factors tried, each in (0, 1]; non-empty.
    epochs : int, default 20
        Number of passes over the training set, ``>= 1``.
    batch_size : int, default 32
        Minibatch size, ``>= 1``.
    hidden : int, default 64
        Width of the hidden layer, ``>= 1``.
    max_extensions : int, default 4
        How many times a grid may grow past an edge, ``>= 0``.

    Returns
    -------
    Protocol
        Every setting tried, the chosen ones, whether each sat at an edge, and every seed's curves.

    Raises
    ------
    TypeError
        If a seed, decay, rate or count is not a number of the right type.
    ValueError
        If ``seeds`` or ``grids`` is empty, a decay is outside (0, 1], ``max_extensions < 0``, a grid has fewer
        than two distinct rates or a non-positive one, a method is not a key of :data:`METHODS`, or every setting
        of a method diverged.
    """
    seeds = [v.integer(s, "seed", least=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    if not grids:
        raise ValueError("grids must map at least one method to its grid of learning rates")
    decays = [v.positive(d, "decay") for d in decays]
    if not decays or max(decays) > 1:
        raise ValueError(f"decays must be factors in (0, 1], got {decays}")
    max_extensions = v.integer(max_extensions, "max_extensions", least=0)
    kw = dict(epochs=epochs, batch_size=batch_size, hidden=hidden)
    tried, best, edge, curves = {}, {}, {}, {}
    for method, grid in grids.items():
        tried[method], best[method], edge[method] = _tune(data, method, grid, decays, seeds[0], max_extensions, kw)
        lr, d = best[method]
        curves[method] = train_runs(data, method, [lr] * len(seeds), seeds, decays=[d] * len(seeds), **kw)
    return Protocol(tried, best, edge, curves)
