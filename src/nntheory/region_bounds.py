"""Bounds on the number of activation regions, and the quantities the chapter measures against them.

Counting bounds take the hidden widths ``[m_1, ..., m_L]`` of a ReLU net (and the input dimension
where the bound needs it) and return exact integers: the ``2^N`` patterns, Zaslavsky's count, Serra et
al.'s upper bound (their Theorem 1), Montúfar et al.'s lower bound on the maximal count, and the bound
along a line. The measurements are those the theorems speak about: the expected switches of a
first-layer unit along a segment, the L1 distance of piecewise-affine functions (Telgarsky's
approximation bound), the distance to the nearest region boundary (Hanin and Rolnick), the dimension
of a region's image (Serra et al.'s bottleneck), and the round-off bound of a forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from torch import nn

from . import _validate as v
from . import nets
from .regions import Region1D, Region2D, hidden_widths, regions_1d

__all__ = [
    "naive_bound",
    "zaslavsky_count",
    "serra_bound",
    "univariate_bound",
    "telgarsky_bound",
    "montufar_lower_bound",
    "expected_crossings_one_layer",
    "conditional_switch_rates",
    "tent_l1_lower_bound",
    "pwl_l1_distance",
    "breakpoints_1d",
    "boundary_distances",
    "prefix_dimensions",
    "crossing_points",
    "perimeter_points",
    "forward_roundoff",
    "VERTEX_JOIN",
]

#: In ``crossing_points``, copies of one vertex closer than this times the box diagonal are joined.
VERTEX_JOIN = 1e-8  # crossing_points: copies of one vertex closer than this times the box diagonal are joined


def _widths(widths: object) -> list[int]:
    return v.int_list(widths, "widths", least=1)


def naive_bound(widths: Sequence[int]) -> int:
    r"""``2^N`` with ``N`` the total number of ReLU units: the number of possible activation patterns.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[m_1, ..., m_L]`` of the net (e.g. :func:`nntheory.regions.hidden_widths`), each an
        int ``>= 1``.

    Returns
    -------
    int
        :math:`2^{m_1 + \dots + m_L}` (1 for no hidden layer).

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of ints.
    ValueError
        If an entry of ``widths`` is below 1.
    """
    return 2 ** sum(_widths(widths))


def zaslavsky_count(m: int, d: int) -> int:
    r"""Regions cut from ``R^d`` by ``m`` hyperplanes in general position: ``sum_{i<=d} C(m, i)``.

    Parameters
    ----------
    m : int
        Number of hyperplanes, an int ``>= 0``.
    d : int
        Dimension of the space, an int ``>= 0``.

    Returns
    -------
    int
        :math:`\sum_{i=0}^{d} \binom{m}{i}`: the regions of one hidden layer of ``m`` units with biases on
        input dimension ``d`` (``2^m`` when ``m <= d``).

    Raises
    ------
    TypeError
        If ``m`` or ``d`` is not an int.
    ValueError
        If ``m`` or ``d`` is negative.

    Examples
    --------
    >>> from nntheory import region_bounds as rb
    >>> rb.zaslavsky_count(3, 2), rb.zaslavsky_count(2, 2), rb.zaslavsky_count(10, 1)
    (7, 4, 11)
    """
    m, d = v.integer(m, "m", least=0), v.integer(d, "d", least=0)
    return sum(math.comb(m, i) for i in range(d + 1))


def serra_bound(n0: int, widths: Sequence[int]) -> int:
    """Serra et al. (2018), Theorem 1: at most ``sum over J of prod_l C(n_l, j_l)`` regions for input dimension ``n0``.

    ``J`` holds the ``(j_1, ..., j_H)`` with ``0 <= j_l <= min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)``:
    each region that layer ``l`` cuts out is charged to a set of ``j_l`` of its off units, with ``j_l`` at most
    the dimension of the image it was cut from (``C(n_l, j_l)`` such sets), and the ``n_l - j_l`` other units,
    which include all those that are on, cap the dimension passed to the next layer (their bottleneck).

    Parameters
    ----------
    n0 : int
        Input dimension, an int ``>= 1``.
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_H]``, each an int ``>= 1``.

    Returns
    -------
    int
        The bound; for one hidden layer it is Zaslavsky's count
        (:func:`nntheory.region_bounds.zaslavsky_count`).

    Raises
    ------
    TypeError
        If ``n0`` is not an int or ``widths`` is not a sequence of ints.
    ValueError
        If ``n0 < 1`` or an entry of ``widths`` is below 1.

    Examples
    --------
    >>> from nntheory import region_bounds as rb
    >>> rb.serra_bound(2, [3]) == rb.zaslavsky_count(3, 2)
    True
    >>> rb.serra_bound(2, [4, 3]), rb.naive_bound([4, 3])     # far below the 2^N patterns
    (77, 128)
    """
    n0 = v.integer(n0, "n0", least=1)
    ws = _widths(widths)

    def rec(layer: int, caps: int) -> int:
        # caps = min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}) so far
        if layer == len(ws):
            return 1
        n = ws[layer]
        return sum(math.comb(n, j) * rec(layer + 1, min(caps, n - j)) for j in range(min(caps, n) + 1))

    return rec(0, n0)


def univariate_bound(widths: Sequence[int]) -> int:
    r"""``prod_l (1 + m_l)``: regions of a univariate ReLU net (or of any net along a line).

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[m_1, ..., m_L]`` of the net (e.g. :func:`nntheory.regions.hidden_widths`), each an
        int ``>= 1``.

    Returns
    -------
    int
        :math:`\prod_l (1 + m_l)`.

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of ints.
    ValueError
        If an entry of ``widths`` is below 1.

    Examples
    --------
    :func:`nntheory.region_examples.sawtooth_net` attains the bound on ``[0, 1]``:

    >>> from nntheory import region_bounds as rb, region_examples, regions
    >>> rb.univariate_bound([3, 4])
    20
    >>> regions.count_regions_1d(region_examples.sawtooth_net([3, 4]), [0.0], [1.0])
    20
    """
    return math.prod(1 + w for w in _widths(widths))


def telgarsky_bound(widths: Sequence[int]) -> float:
    """``(2N/H)^H`` for ``H`` hidden layers with ``N`` units in all (``>= prod 2 n_l``): a bound on regions along a line.

    ``N`` is the total number of units, not the width of one layer: with ``H`` layers of ``m`` units the
    bound is ``(2m)^H``.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths ``[m_1, ..., m_L]`` of the net (e.g. :func:`nntheory.regions.hidden_widths`), each an
        int ``>= 1``.

    Returns
    -------
    float
        :math:`(2N/H)^H` (1.0 for no hidden layer).

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of ints.
    ValueError
        If an entry of ``widths`` is below 1.
    """
    ws = _widths(widths)
    H = len(ws)
    if H == 0:
        return 1.0
    return (2.0 * sum(ws) / H) ** H


def montufar_lower_bound(n0: int, widths: Sequence[int]) -> int:
    """Montúfar et al. (2014): some net with these widths (all ``>= n0``) has at least this many regions.

    ``prod_{l<L} floor(n_l / n0)^n0 * sum_{j<=n0} C(n_L, j)``; ``region_examples.montufar_net`` attains it.

    Parameters
    ----------
    n0 : int
        Input dimension, an int ``>= 1``.
    widths : sequence of int
        Hidden widths ``[n_1, ..., n_L]``: at least one, each an int ``>= n0``.

    Returns
    -------
    int
        The lower bound on the maximal number of regions.

    Raises
    ------
    TypeError
        If ``n0`` is not an int or ``widths`` is not a sequence of ints.
    ValueError
        If ``n0 < 1``, ``widths`` is empty, or a width is below ``n0``.

    Examples
    --------
    >>> from nntheory import region_bounds as rb, region_examples, regions
    >>> rb.montufar_lower_bound(2, [4, 3])            # 2**2 * (1 + 3 + 3)
    28
    >>> regions.count_regions_2d(region_examples.montufar_net(2, 2, 3), [0, 0], [1, 1])
    28
    """
    n0 = v.integer(n0, "n0", least=1)
    ws = _widths(widths)
    if not ws or min(ws) < n0:
        raise ValueError(f"the bound needs at least one hidden layer and widths >= n0={n0}, got {ws}")
    return math.prod((w // n0) ** n0 for w in ws[:-1]) * sum(math.comb(ws[-1], j) for j in range(n0 + 1))


def expected_crossings_one_layer(start: object, end: object, *, d_in: int, bias: bool = True) -> float:
    r"""Probability that one first-layer unit of ``nets.relu_net`` switches along the segment: ``arccos(rho)/pi``.

    The unit's pre-activations ``z(p) = <w, p> + b`` and ``z(q)`` at the ends are jointly Gaussian
    (:math:`w \sim N(0, 2/d_{in})`, :math:`b \sim N(0, 1/d_{in})` as in :func:`nntheory.nets.relu_net`) with
    correlation ``rho``; the unit switches iff their signs differ. It is also the expected number of switches.

    Parameters
    ----------
    start : array_like of shape (d_in,)
        First end ``p`` of the segment.
    end : array_like of shape (d_in,)
        Second end ``q``.
    d_in : int
        Input dimension, an int ``>= 1``.
    bias : bool, default True
        Whether the unit has a bias (``relu_net(..., bias=True)``).

    Returns
    -------
    float
        The probability, in ``[0, 1]`` (0.5 when one end has ``z = 0`` surely).

    Raises
    ------
    TypeError
        If ``d_in`` is not an int, or ``start`` or ``end`` is not numeric.
    ValueError
        If ``d_in < 1``, or ``start`` or ``end`` is not a finite vector of length ``d_in``.
    """
    d_in = v.integer(d_in, "d_in", least=1)
    p, q = v.vector(start, "start", d_in), v.vector(end, "end", d_in)
    # relu_net: w ~ N(0, 2/d_in I), b ~ N(0, 1/d_in); z(p) = w.p + b and z(q) are jointly Gaussian
    wv, bv = 2.0 / d_in, (1.0 / d_in if bias else 0.0)
    vp, vq, cov = wv * p @ p + bv, wv * q @ q + bv, wv * p @ q + bv
    if vp <= 0 or vq <= 0:
        return 0.5  # one endpoint has z = 0 surely; the other a symmetric sign
    rho = float(np.clip(cov / math.sqrt(vp * vq), -1.0, 1.0))
    return math.acos(rho) / math.pi


def conditional_switch_rates(net: nn.Sequential, start: object, end: object, *, weight_var: float = 2.0,
                             bias_var: float | None = None, regions: Sequence[Region1D] | None = None) -> np.ndarray:
    """For each hidden layer ``l``: the expected switches along the segment of a fresh unit of layer ``l``, given layers ``< l``.

    The unit's weights are ``N(0, weight_var / n)`` and its bias ``N(0, bias_var / n)`` with ``n`` its fan-in
    (``nets.relu_net``: 2 and 1; ``bias_var`` defaults to 1 with biases, 0 without). The value is the length
    of the path ``t -> phi(t) / |phi(t)|`` on the unit sphere divided by pi, where ``phi(t) = (sqrt(weight_var)
    h(t), sqrt(bias_var))`` and ``h(t)`` is the output of layers ``< l`` at ``start + t (end - start)``
    (the input itself for ``l = 1``, where the value is ``arccos(rho) / pi``). ``regions``: the output of
    ``regions_1d(net, start, end)``, if already computed.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases.
    start : array_like of shape (d_in,)
        First end of the segment.
    end : array_like of shape (d_in,)
        Second end of the segment.
    weight_var : float, default 2.0
        Variance factor of the fresh unit's weights, a finite real ``> 0``.
    bias_var : float, optional
        Variance factor of its bias, a finite real ``>= 0``; default 1 if ``net`` has biases, else 0.
    regions : list of nntheory.regions.Region1D, optional
        ``regions_1d(net, start, end)`` if already computed (then the segment is read from it and
        ``start`` and ``end`` are not used).

    Returns
    -------
    numpy.ndarray of shape (L - 1,)
        One expected number of switches per hidden layer.

    Raises
    ------
    TypeError
        If ``weight_var`` or ``bias_var`` is not a real number, or ``regions`` is not a non-empty list of
        Region1D.
    ValueError
        If ``weight_var <= 0`` or ``bias_var < 0`` or either is not finite, the feature path passes through 0
        (no bias and every unit off), or ``net``, ``start`` or ``end`` fails the checks of
        :func:`nntheory.regions.regions_1d`.
    """
    weight_var = v.positive(weight_var, "weight_var")
    has_bias = any(b is not None for b in nets.biases(net))
    bias_var = (1.0 if has_bias else 0.0) if bias_var is None else v.nonnegative(bias_var, "bias_var")
    regs = regions_1d(net, start, end) if regions is None else list(regions)
    if not regs or not all(isinstance(r, Region1D) for r in regs):
        raise TypeError("regions must be the output of regions_1d(net, start, end) (a non-empty list of Region1D)")
    ts = np.array([r.t0 for r in regs] + [regs[-1].t1])
    X = regs[0].start + ts[:, None] * (regs[-1].end - regs[0].start)  # region ends (t0 = 0, t1 = 1 at the ends)
    ws = nets.weights(net)
    _, zs = nets.forward(ws, X, bs=nets.biases(net), keep=True)
    out = []
    for h in [X] + [np.maximum(z, 0.0) for z in zs[:-1]]:
        phi = np.hstack([np.sqrt(weight_var) * h, np.full((len(h), 1), np.sqrt(bias_var))])
        norm = np.linalg.norm(phi, axis=1, keepdims=True)
        if not np.all(norm > 0):
            raise ValueError("the feature path passes through 0 (no bias and every unit off): the switching rate is undefined")
        u = phi / norm
        # the path is affine between consecutive region ends, so it runs along one great circle there
        arcs = 2.0 * np.arctan2(np.linalg.norm(u[1:] - u[:-1], axis=1), np.linalg.norm(u[1:] + u[:-1], axis=1))
        out.append(float(arcs.sum()) / math.pi)
    return np.array(out)


def tent_l1_lower_bound(depth: int, pieces: int) -> float:
    r"""``max(0, 1/4 - (s - 1) / 2^(L+1))``: a lower bound on the L1 distance on [0, 1] from ``tau^L`` to ``s`` affine pieces.

    Here ``tau^L`` is the tent map composed ``L`` times (:func:`nntheory.region_examples.tent_net`), with
    ``2^L`` pieces; a function with few pieces stays far from it (Telgarsky).

    Parameters
    ----------
    depth : int
        The number ``L`` of compositions, an int ``>= 1``.
    pieces : int
        The number ``s`` of affine pieces of the approximating function, an int ``>= 1``.

    Returns
    -------
    float
        The lower bound on :math:`\int_0^1 |\tau^L - g|` over continuous piecewise-affine ``g`` with ``s``
        pieces.

    Raises
    ------
    TypeError
        If ``depth`` or ``pieces`` is not an int.
    ValueError
        If ``depth`` or ``pieces`` is below 1.
    """
    depth, pieces = v.integer(depth, "depth", least=1), v.integer(pieces, "pieces", least=1)
    return max(0.0, 1 / 4 - (pieces - 1) / 2 ** (depth + 1))


def pwl_l1_distance(xf: object, yf: object, xg: object, yg: object) -> float:
    r"""Exact ``int |f - g|`` of two continuous piecewise-affine functions given by knots on one interval.

    Parameters
    ----------
    xf : array_like of shape (p,)
        Knots of ``f``, strictly increasing, at least 2.
    yf : array_like of shape (p,)
        Values of ``f`` at its knots.
    xg : array_like of shape (q,)
        Knots of ``g``, strictly increasing, at least 2, with the same first and last knot as ``xf``.
    yg : array_like of shape (q,)
        Values of ``g`` at its knots.

    Returns
    -------
    float
        :math:`\int |f - g|` over the common interval, exact (sign changes inside a piece are located).

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If an argument is not a finite 1-d array, the knots are not strictly increasing, fewer than 2 or
        not matched by values, or the two intervals differ.

    Examples
    --------
    >>> from nntheory import region_bounds as rb
    >>> rb.pwl_l1_distance([0, 1], [0, 0], [0, 0.5, 1], [0, 1, 0])     # a tent of height 1 over 0
    0.5
    >>> rb.pwl_l1_distance([0, 1], [0, 1], [0, 1], [1, 0])             # two crossing lines: 2 triangles
    0.5
    """
    xf, yf, xg, yg = (v.vector(a, n) for a, n in ((xf, "xf"), (yf, "yf"), (xg, "xg"), (yg, "yg")))
    for x, y, n in ((xf, yf, "f"), (xg, yg, "g")):
        if x.shape != y.shape or x.size < 2 or np.any(np.diff(x) <= 0):
            raise ValueError(f"the knots of {n} must be increasing, at least 2, one value each")
    if xf[0] != xg[0] or xf[-1] != xg[-1]:
        raise ValueError(f"f and g must share their interval, got [{xf[0]}, {xf[-1]}] and [{xg[0]}, {xg[-1]}]")
    x = np.union1d(xf, xg)
    d = np.interp(x, xf, yf) - np.interp(x, xg, yg)
    h, a, b = np.diff(x), np.abs(d[:-1]), np.abs(d[1:])
    same = d[:-1] * d[1:] >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(a + b > 0, (a * a + b * b) / (2 * (a + b)), 0.0)
    return float(np.sum(h * np.where(same, (a + b) / 2, crossing)))


def breakpoints_1d(net: nn.Sequential, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Knots ``x`` (region ends, in order) and values ``F(x)`` of a net ``R -> R`` on ``[start, end]``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with one input and one output.
    start : float
        Left end of the interval, a finite real.
    end : float
        Right end, a finite real different from ``start``.

    Returns
    -------
    x : numpy.ndarray of shape (R + 1,)
        The ends of the ``R`` regions met, from ``start`` to ``end``.
    y : numpy.ndarray of shape (R + 1,)
        ``F`` at those points: ``F`` is the linear interpolation of these knots (input of
        :func:`nntheory.region_bounds.pwl_l1_distance`).

    Raises
    ------
    TypeError
        If ``start`` or ``end`` is not a real number, or ``net`` is not a network of this package.
    ValueError
        If the net is not ``R -> R``, ``start`` equals ``end`` or is not finite, or ``net`` fails
        :func:`nntheory.nets.check_net`.
    """
    ws = nets.weights(net)
    if ws[0].shape[1] != 1 or ws[-1].shape[0] != 1:
        raise ValueError(f"breakpoints_1d needs a net R -> R, got {ws[0].shape[1]} inputs, {ws[-1].shape[0]} outputs")
    regs = regions_1d(net, [v.real(start, "start")], [v.real(end, "end")])
    xs = np.array([r.start[0] for r in regs] + [regs[-1].end[0]])
    ys = np.array([(r.weight @ r.start + r.bias)[0] for r in regs] + [(regs[-1].weight @ regs[-1].end + regs[-1].bias)[0]])
    return xs, ys


def boundary_distances(net: nn.Sequential, regions: Sequence[Region2D], points: object) -> np.ndarray:
    """Distance from each point to the nearest region boundary, using the exact regions of ``net`` in their box.

    Box sides are not boundaries. A distance smaller than the point's distance to the box's sides is
    exact (the disc of that radius lies in the box and in the point's convex cell).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input.
    regions : list of nntheory.regions.Region2D
        ``regions_2d(net, lo, hi)`` for this ``net`` (:func:`nntheory.regions.regions_2d`).
    points : array_like of shape (k, 2)
        Points inside the box, off the boundaries.

    Returns
    -------
    numpy.ndarray of shape (k,)
        The distance from each point to the nearest edge of its region that is not a box side
        (``inf`` if the region has none).

    Raises
    ------
    TypeError
        If ``regions`` is not a non-empty list of Region2D, or ``points`` is not numeric.
    ValueError
        If ``points`` is not a finite ``(k, 2)`` array, a point's pattern is that of no region (outside the
        box, or on a boundary), or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    if isinstance(regions, (str, bytes)) or not regions or not all(isinstance(r, Region2D) for r in regions):
        raise TypeError("boundary_distances needs the output of regions_2d (a non-empty list of Region2D)")
    X = v.points(points, "points", 2)
    ws = nets.weights(net)
    bs = [np.zeros(W.shape[0]) if b is None else b for W, b in zip(ws, nets.biases(net))]
    pats = np.hstack([z > 0 for z in nets.forward(ws, X, bs=bs, keep=True)[1]])
    where = {r.pattern: i for i, r in enumerate(regions)}
    allv = np.vstack([r.vertices for r in regions])
    lo, hi = allv.min(axis=0), allv.max(axis=0)
    eps = 1e-9 * float(np.linalg.norm(hi - lo))
    out = np.empty(len(X))
    for k, (x, pat) in enumerate(zip(X, pats)):
        i = where.get(tuple(pat.tolist()))
        if i is None:
            raise ValueError(f"point {x} has a pattern of no region (outside the box, or on a boundary)")
        V = regions[i].vertices
        A, B = V, np.roll(V, -1, axis=0)
        on_side = (np.abs(A - lo) <= eps) & (np.abs(B - lo) <= eps) | (np.abs(A - hi) <= eps) & (np.abs(B - hi) <= eps)
        inner = ~on_side.any(axis=1)
        E = (B - A)[inner]
        cross = np.abs(E[:, 0] * (x[1] - A[inner, 1]) - E[:, 1] * (x[0] - A[inner, 0]))
        out[k] = float((cross / np.linalg.norm(E, axis=1)).min()) if inner.any() else np.inf
    return out


def prefix_dimensions(net: nn.Sequential, regions: Sequence[Region1D | Region2D], layers: int) -> tuple[list, np.ndarray]:
    r"""Each region's pattern on the first ``layers`` hidden layers, and the rank of ``D_l W_l ... D_1 W_1`` there.

    The rank is the dimension of the image of the region after those layers (Serra et al.'s ``dim S``):
    the next layer can cut the region only as an arrangement in that many dimensions.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, the one the regions were computed for.
    regions : list of nntheory.regions.Region1D or list of nntheory.regions.Region2D
        The output of :func:`nntheory.regions.regions_1d` or :func:`nntheory.regions.regions_2d` for ``net``.
    layers : int
        Number ``l`` of leading hidden layers, from 1 to ``L - 1``.

    Returns
    -------
    prefixes : list of tuple of bool
        For each region, its pattern restricted to the units of layers ``1, ..., l``.
    ranks : numpy.ndarray of int, shape (len(regions),)
        For each region, the rank of :math:`D_l W_l \cdots D_1 W_1` with :math:`D_i` the 0/1 diagonal
        matrix of the pattern.

    Raises
    ------
    TypeError
        If ``regions`` is not a non-empty list of regions, ``layers`` is not an int, or ``net`` is not a
        network of this package.
    ValueError
        If ``layers`` is outside ``1, ..., L - 1``, or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    if isinstance(regions, (str, bytes)) or not regions or not all(hasattr(r, "pattern") for r in regions):
        raise TypeError("regions must be a non-empty list from regions_1d or regions_2d")
    widths = hidden_widths(net)
    layers = v.integer(layers, "layers", least=1, most=len(widths))
    ws = nets.weights(net)
    cut = sum(widths[:layers])
    prefixes = [r.pattern[:cut] for r in regions]
    rank: dict[tuple, int] = {}
    for pre in set(prefixes):
        M, k = np.eye(ws[0].shape[1]), 0
        for W, w in zip(ws[:layers], widths[:layers]):
            M = (W @ M) * np.array(pre[k:k + w], dtype=float)[:, None]
            k += w
        rank[pre] = int(np.linalg.matrix_rank(M))
    return prefixes, np.array([rank[p] for p in prefixes])


def crossing_points(regions: Sequence[Region2D]) -> np.ndarray:
    """For each distinct vertex inside the box of ``regions``, how many regions have it as a corner.

    Generically every interior vertex is a crossing of two boundaries shared by 4 regions, and Euler's
    formula for the tiling reads ``regions = 1 + crossings + perimeter points / 2``.

    Parameters
    ----------
    regions : list of nntheory.regions.Region2D
        The output of :func:`nntheory.regions.regions_2d`; the box is the bounding box of their vertices.

    Returns
    -------
    numpy.ndarray of int
        One count per distinct interior vertex (copies closer than ``VERTEX_JOIN`` times the box diagonal
        are one vertex); empty if there is none.

    Raises
    ------
    TypeError
        If ``regions`` is not a non-empty list of Region2D.

    Examples
    --------
    Euler's formula on the 7 regions of three lines in general position:

    >>> from nntheory import nets, regions, region_bounds as rb
    >>> net = nets.relu_net([2, 3, 1], bias=True, seed=0)
    >>> lo, hi = regions.arrangement_box(net)
    >>> regs = regions.regions_2d(net, lo, hi)
    >>> rb.crossing_points(regs).tolist(), rb.perimeter_points(net, lo, hi)
    ([4, 4, 4], 6)
    >>> len(regs) == 1 + 3 + 6 // 2
    True
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    if isinstance(regions, (str, bytes)) or not regions or not all(isinstance(r, Region2D) for r in regions):
        raise TypeError("crossing_points needs the output of regions_2d (a non-empty list of Region2D)")
    P = np.vstack([r.vertices for r in regions])
    lo, hi = P.min(axis=0), P.max(axis=0)
    scale = float(np.linalg.norm(hi - lo))
    P = P[np.all((P > lo + 1e-9 * scale) & (P < hi - 1e-9 * scale), axis=1)]
    if len(P) == 0:
        return np.zeros(0, dtype=int)
    pairs = cKDTree(P).query_pairs(VERTEX_JOIN * scale, output_type="ndarray")  # copies of one vertex, rounded apart
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(P), len(P)))
    return np.bincount(connected_components(graph, directed=False)[1])


def perimeter_points(net: nn.Sequential, lo: object, hi: object) -> int:
    """Number of region boundaries met by the perimeter of the box ``[lo, hi]`` (exact, by ``regions_1d`` per side).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input.
    lo : array_like of shape (2,)
        Lower-left corner of the box.
    hi : array_like of shape (2,)
        Upper-right corner, differing from ``lo`` in both coordinates.

    Returns
    -------
    int
        The number of points where the perimeter crosses a region boundary (a boundary through a corner
        of the box is not counted).

    Raises
    ------
    TypeError
        If ``lo`` or ``hi`` is not numeric, or ``net`` is not a network of this package.
    ValueError
        If ``lo`` or ``hi`` is not a finite vector of length 2, a side has zero length, the net's input is
        not 2-D, or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    lo_, hi_ = v.vector(lo, "lo", 2), v.vector(hi, "hi", 2)
    c = [lo_, np.array([hi_[0], lo_[1]]), hi_, np.array([lo_[0], hi_[1]]), lo_]
    return sum(len(regions_1d(net, a, b)) - 1 for a, b in zip(c[:-1], c[1:]))


def forward_roundoff(net: nn.Sequential, x: object) -> np.ndarray:
    """First-order bound on the float64 error of one forward pass at each row of ``x``: ``L gamma_{n+1} S(x)``.

    ``S`` is the forward pass of ``|W_l|``, ``|b_l|`` at ``|x|`` (no cancellation), ``L`` the number of
    Linear layers, ``n`` the largest fan-in and ``gamma_k = k u / (1 - k u)`` with ``u = 2^-53``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases.
    x : array_like of shape (k, d_in)
        Inputs, one per row (a single input must be passed as one row).

    Returns
    -------
    numpy.ndarray of shape (k,)
        The bound at each row (largest over the output coordinates).

    Raises
    ------
    TypeError
        If ``x`` is not numeric, or ``net`` is not a network of this package.
    ValueError
        If ``x`` is not a non-empty finite ``(k, d_in)`` array, or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    ws, bs = nets.weights(net), nets.biases(net)
    X = v.points(x, "x", ws[0].shape[1])
    S = nets.forward([np.abs(W) for W in ws], np.abs(X), bs=[None if b is None else np.abs(b) for b in bs])
    k = max(W.shape[1] for W in ws) + 1
    u = 2.0 ** -53
    return len(ws) * (k * u / (1 - k * u)) * S.max(axis=1)
