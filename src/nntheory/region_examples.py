"""The linear-regions chapter's example networks and data: Telgarsky's tent map, Montúfar's folding net, two moons, a training run."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from . import _validate as v
from . import optim

__all__ = ["tent_net", "sawtooth_net", "montufar_net", "two_moons", "train_snapshots"]



def _linear(n_in: int, n_out: int, dtype: torch.dtype) -> nn.Linear:
    """An ``nn.Linear`` whose weight and bias the caller sets: skip torch's random initialisation, so that
    building an example net leaves the global random state alone (and reject a non-floating ``dtype``)."""
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    return nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=dtype)

def tent_net(depth: int, *, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    r"""Telgarsky's tent map ``m(x) = 2(s(x) - 2 s(x - 1/2) + s(x - 1))`` composed ``depth`` times, as a ReLU net.

    Here ``s`` is the ReLU; on ``[0, 1]`` the tent is ``m(x) = 2 min(x, 1 - x)`` and the composition
    :math:`m^{L}` (``L = depth``) is a sawtooth with ``2^L`` affine pieces, of slopes :math:`\pm 2^L`, built
    from only ``3 L`` units.

    Parameters
    ----------
    depth : int
        Number of compositions ``L``, an int ``>= 1`` (the net has ``L`` hidden layers of 3 units).
    dtype : torch.dtype, default torch.float64
        Floating-point dtype of the parameters.

    Returns
    -------
    torch.nn.Sequential
        A ReLU net ``R -> R`` with biases: ``L + 1`` Linear layers.

    Raises
    ------
    TypeError
        If ``depth`` is not an int, or ``dtype`` is not a floating torch dtype.
    ValueError
        If ``depth < 1``.

    Examples
    --------
    >>> import torch
    >>> from nntheory import region_examples, regions
    >>> net = region_examples.tent_net(2)
    >>> x = torch.tensor([[0.0], [0.125], [0.25], [0.375], [0.5]], dtype=torch.float64)
    >>> net(x).reshape(-1).tolist()                  # m(m(x)) climbs to 1 twice on [0, 1/2]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    >>> regions.count_regions_1d(net, [0.0], [1.0])
    4
    """
    depth = v.integer(depth, "depth", least=1)
    shifts = torch.tensor([0.0, -0.5, -1.0], dtype=dtype)
    combine = torch.tensor([[2.0, -4.0, 2.0]], dtype=dtype)
    layers: list[nn.Module] = []
    for i in range(depth):
        lin = _linear(1 if i == 0 else 3, 3, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.ones(3, 1, dtype=dtype) if i == 0 else combine.repeat(3, 1))
            lin.bias.copy_(shifts)
        layers += [lin, nn.ReLU()]
    out = _linear(3, 1, dtype=dtype)
    with torch.no_grad():
        out.weight.copy_(combine)
        out.bias.zero_()
    return nn.Sequential(*layers, out)


def _sawtooth_layer(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Signs ``a``, thresholds ``t``, output weights ``v`` and offset ``c`` of one sawtooth layer of ``m >= 3`` units.

    ``g(s) = c + sum_k v_k relu(a_k (s - t_k))`` maps each of the ``m + 1`` intervals between ``0, t_1, ...,
    t_m, 1`` onto [0, 1] (``g`` alternates between 0 and 1 at those points). Unit 3 is on to the left of
    its threshold and gives the first piece its slope, which needs ``1/w_0 = 1/w_2 + 1/w_3`` for the
    piece widths ``w``.
    """
    w = np.ones(m + 1)
    w[0] = 0.5  # 1/w_0 = 1/w_2 + 1/w_3 with w_2 = w_3 = 1
    w /= w.sum()
    t = np.cumsum(w)[:-1]  # t_1, ..., t_m
    slopes = (-1.0) ** np.arange(m + 1) / w  # g goes 0 -> 1 -> 0 -> ... across the pieces
    v = np.diff(slopes)  # the change of slope at t_k
    a = np.ones(m)
    a[2] = -1.0  # unit 3 (index 2) is on for s < t_3
    return a, t, v, float(-v[2] * t[2])  # g(0) = c + v_3 t_3 = 0


def sawtooth_net(widths: Sequence[int], *, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A net ``R -> R`` with hidden widths ``widths`` (each ``>= 3``) and exactly ``prod (1 + n_l)`` activation regions on [0, 1].

    Each layer reads the previous layer's sawtooth ``g`` (which maps every region so far onto [0, 1]),
    switches its ``n_l`` units at ``n_l`` distinct points of (0, 1), and passes on its own sawtooth.
    The count attains :func:`nntheory.region_bounds.univariate_bound`.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_H]``: at least one, each an int ``>= 3``.
    dtype : torch.dtype, default torch.float64
        Floating-point dtype of the parameters.

    Returns
    -------
    torch.nn.Sequential
        A ReLU net ``R -> R`` with biases and ``H`` hidden layers.

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of ints, or ``dtype`` is not a floating torch dtype.
    ValueError
        If ``widths`` is empty or has an entry below 3.

    Examples
    --------
    >>> from nntheory import region_examples, regions
    >>> [regions.count_regions_1d(region_examples.sawtooth_net(w), [0.0], [1.0]) for w in ([3], [4], [3, 3])]
    [4, 5, 16]
    """
    ws = v.int_list(widths, "widths", least=3, min_len=1)
    mods: list[nn.Module] = []
    out_prev, c_prev = np.ones(1), 0.0  # the scalar the first layer reads: s = x
    for m in ws:
        a, t, out, c = _sawtooth_layer(m)
        lin = _linear(len(out_prev), m, dtype=dtype)
        with torch.no_grad():  # z_k = a_k (s - t_k) with s = out_prev . h + c_prev
            lin.weight.copy_(torch.as_tensor(np.outer(a, out_prev), dtype=dtype))
            lin.bias.copy_(torch.as_tensor(a * (c_prev - t), dtype=dtype))
        mods += [lin, nn.ReLU()]
        out_prev, c_prev = out, c
    last = _linear(len(out_prev), 1, dtype=dtype)
    with torch.no_grad():
        last.weight.copy_(torch.as_tensor(out_prev[None, :], dtype=dtype))
        last.bias.fill_(c_prev)
    return nn.Sequential(*mods, last)


def _zigzag(folds: int) -> np.ndarray:
    """Output weights ``c`` with ``sum_k c_k relu(p x - k) = `` the zigzag mapping each ``[k/p, (k+1)/p]`` onto [0, 1]."""
    return np.array([1.0] + [2.0 * (-1) ** k for k in range(1, folds)])


def _general_lines(m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` lines ``n_i . g = c_i`` in general position with every crossing inside the unit square.

    No normal is parallel to an axis (the angles are ``pi (i + 0.3) / m``), so a fold of the square,
    which mirrors one coordinate, changes the gradient of a cell with one unit on; ``montufar_net``'s
    distinct output weights keep the cells with several units on apart too (checked in the tests).
    For ``m >= 3`` the signs make the cell where every unit is off a bounded cell (inside the
    triangle of lines 0, 1, 2), so it touches no fold.
    """
    theta = np.pi * (np.arange(m) + 0.3) / m  # normal directions, pairwise apart by at least pi/m
    normals = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    r = 0.2 * np.sin(np.pi / (2 * m)) if m > 1 else 0.2  # offsets small enough to keep the crossings inside
    phi = 2.399963 * np.arange(m)  # golden-angle offsets: no three lines through one point
    points = 0.5 + r * np.stack([np.cos(phi), np.sin(phi)], axis=1)
    offsets = np.sum(normals * points, axis=1)
    if m >= 3:  # orient every unit to be off at a point inside the triangle of lines 0, 1, 2
        corners = [np.linalg.solve(normals[[i, j]], offsets[[i, j]]) for i, j in ((0, 1), (1, 2), (0, 2))]
        sign = -np.sign(normals @ np.mean(corners, axis=0) - offsets)
        normals, offsets = normals * sign[:, None], offsets * sign
    return normals, offsets


def montufar_net(folds: int, depth: int, last_width: int, *, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Montúfar et al.'s construction in the plane: ``depth - 1`` folding layers, then ``last_width`` generic lines.

    Each folding layer has ``folds`` units per input coordinate, ``relu(p g_j - k)`` for ``k < p``; their
    zigzag combination maps each of ``p`` strips onto [0, 1], so the layer folds the unit square onto
    itself ``p^2`` times. The last hidden layer cuts the folded square by lines in general position with
    all crossings inside it. In ``[0, 1]^2`` the net has exactly ``p^(2 (depth - 1)) (1 + m + C(m, 2))``
    activation regions, Montúfar et al.'s lower bound. The output weights ``1, 1 + 1/m, ...`` are distinct
    and, for ``m >= 3``, the cell where every last-layer unit is off (where ``F`` is constant) touches no
    fold, so no two mirrored cells share an affine map: the affine pieces are as many as the regions.

    Parameters
    ----------
    folds : int
        Units ``p`` per input coordinate in each folding layer, an int ``>= 1``.
    depth : int
        Number of hidden layers, an int ``>= 1`` (``depth - 1`` folding layers, then the last one).
    last_width : int
        Number ``m`` of units (lines) of the last hidden layer, an int ``>= 1``.
    dtype : torch.dtype, default torch.float64
        Floating-point dtype of the parameters.

    Returns
    -------
    torch.nn.Sequential
        A ReLU net ``R^2 -> R`` with biases: hidden widths ``2p, ..., 2p, m``.

    Raises
    ------
    TypeError
        If ``folds``, ``depth`` or ``last_width`` is not an int, or ``dtype`` is not a floating torch dtype.
    ValueError
        If ``folds``, ``depth`` or ``last_width`` is below 1.

    Examples
    --------
    One folding layer (``p = 2``) and 3 lines: :math:`2^2 (1 + 3 + 3) = 28` regions, and as many pieces.

    >>> from nntheory import region_examples, regions
    >>> regs = regions.regions_2d(region_examples.montufar_net(2, 2, 3), [0, 0], [1, 1])
    >>> len(regs), regions.count_pieces(regs)
    (28, 28)
    """
    p = v.integer(folds, "folds", least=1)
    depth = v.integer(depth, "depth", least=1)
    m = v.integer(last_width, "last_width", least=1)
    c = _zigzag(p)
    fold_in = np.kron(np.eye(2), np.full((p, 1), float(p)))  # (2p, 2): unit (j, k) reads coordinate j, times p
    fold_out = np.kron(np.eye(2), c[None, :])  # (2, 2p): the folded coordinates g from a folding layer
    shift = -np.tile(np.arange(p, dtype=float), 2)
    normals, offsets = _general_lines(m)
    layers: list[np.ndarray] = []
    for i in range(depth - 1):
        layers.append((fold_in if i == 0 else fold_in @ fold_out, shift))
    layers.append((normals if depth == 1 else normals @ fold_out, -offsets))
    mods: list[nn.Module] = []
    for W, b in layers:
        lin = _linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W, dtype=dtype))
            lin.bias.copy_(torch.as_tensor(b, dtype=dtype))
        mods += [lin, nn.ReLU()]
    out = _linear(m, 1, dtype=dtype)
    with torch.no_grad():
        out.weight.copy_(torch.as_tensor(1.0 + np.arange(m)[None, :] / m, dtype=dtype))  # distinct weights
        out.bias.zero_()
    return nn.Sequential(*mods, out)


def two_moons(n: int, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-circles in the plane (the usual "two moons"), ``n`` points, labels 0/1.

    The upper moon (label 0) is the upper unit half-circle, the lower moon (label 1) the same turned by
    180 degrees and shifted by ``(1, 1/2)``; the points are evenly spaced in angle, then jittered and
    shuffled.

    Parameters
    ----------
    n : int
        Number of points, an int ``>= 2``: ``n // 2`` with label 0 and the rest with label 1.
    noise : float, default 0.1
        Standard deviation of the Gaussian jitter added to each coordinate, a finite real ``>= 0``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` for the jitter and the shuffle.

    Returns
    -------
    X : numpy.ndarray of shape (n, 2)
        The points, in shuffled order.
    y : numpy.ndarray of shape (n,)
        The labels 0.0 and 1.0 (floats).

    Raises
    ------
    TypeError
        If ``n`` is not an int or ``noise`` is not a real number.
    ValueError
        If ``n < 2`` or ``noise`` is negative or not finite.

    Examples
    --------
    >>> from nntheory import region_examples
    >>> X, y = region_examples.two_moons(100, seed=0)
    >>> X.shape, int(y.sum())
    ((100, 2), 50)
    """
    n = v.integer(n, "n", least=2)
    noise = v.nonnegative(noise, "noise")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    a_out, a_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.vstack([np.stack([np.cos(a_out), np.sin(a_out)], 1),
                   np.stack([1 - np.cos(a_in), 0.5 - np.sin(a_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n - n_out)])
    X = X + noise * rng.standard_normal(X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def train_snapshots(
    net: nn.Sequential,
    x: object,
    y: object,
    *,
    steps: int,
    snapshot_steps: Sequence[int],
    lr: float = 1e-2,
) -> tuple[list[nn.Sequential], np.ndarray]:
    """Train a copy of ``net`` by full-batch Adam (``optim.Adam``) on the logistic loss of labels 0/1.

    Returns float64 copies of the net at the sorted ``snapshot_steps`` and the loss before each step
    (``steps`` values). The gradient comes from torch autograd on the flattened parameters.

    Parameters
    ----------
    net : torch.nn.Sequential
        A scalar-output net (e.g. :func:`nntheory.nets.relu_net` with ``bias=True``); it is not changed.
    x : array_like of shape (n, d_in)
        Training inputs, one per row, finite.
    y : array_like of shape (n,)
        Targets in ``[0, 1]``, normally the labels 0 and 1 (e.g. of
        :func:`nntheory.region_examples.two_moons`).
    steps : int
        Number of Adam steps, an int ``>= 0``.
    snapshot_steps : sequence of int
        Steps at which to keep a copy of the net (0 is the start): non-empty, each an int in
        ``[0, steps]``; repeats are dropped.
    lr : float, default 0.01
        Adam's step size, a finite real ``> 0``.

    Returns
    -------
    snapshots : list of torch.nn.Sequential
        Float64 copies of the net after ``k`` steps, for each distinct ``k`` of ``snapshot_steps`` in
        increasing order.
    losses : numpy.ndarray of shape (steps,)
        The mean logistic loss before each step.

    Raises
    ------
    TypeError
        If ``steps`` or an entry of ``snapshot_steps`` is not an int, ``snapshot_steps`` is not a sequence,
        ``lr`` is not a real number, or ``x`` or ``y`` is not numeric.
    ValueError
        If ``steps`` or a snapshot step is negative, a snapshot step exceeds ``steps``, ``snapshot_steps``
        is empty, ``lr`` is not positive and finite, ``x`` is not a non-empty finite matrix, or ``y`` is not
        a finite vector of length ``n``.
    """
    steps = v.integer(steps, "steps", least=0)
    snaps = sorted(set(v.int_list(snapshot_steps, "snapshot_steps", least=0, min_len=1)))
    if snaps[-1] > steps:
        raise ValueError(f"snapshot_steps must lie in [0, steps={steps}], got {list(snapshot_steps)}")
    lr = v.positive(lr, "lr")
    model = copy.deepcopy(net).to(torch.float64)
    X = torch.as_tensor(v.matrix(x, "x"))
    Y = torch.as_tensor(v.vector(y, "y", X.shape[0]))
    params = list(model.parameters())
    losses: list[float] = []

    def grad(theta: np.ndarray) -> np.ndarray:
        nn.utils.vector_to_parameters(torch.from_numpy(theta), params)
        loss = nn.functional.binary_cross_entropy_with_logits(model(X).reshape(-1), Y)
        losses.append(float(loss.detach()))
        return nn.utils.parameters_to_vector(torch.autograd.grad(loss, params)).numpy()

    theta0 = nn.utils.parameters_to_vector(params).detach().numpy().copy()
    path = optim.run(optim.Adam(lr=lr), grad, theta0, steps)
    out = []
    for k in snaps:
        snap = copy.deepcopy(model)
        nn.utils.vector_to_parameters(torch.from_numpy(path[k].copy()), list(snap.parameters()))
        out.append(snap)
    return out, np.array(losses)
