"""Exact activation regions of ReLU networks: on a segment (1-D) and in a box of the plane (2-D).

An *activation pattern* lists, for every ReLU unit, whether its pre-activation is positive (``z > 0``,
the convention of ``nntheory.nets``); an *activation region* is a set of inputs of positive length (1-D)
or area (2-D) sharing one pattern. Given a pattern every pre-activation is affine in ``x``, so a region
is cut out by half-planes: convex, hence connected, one cell per pattern.

The counting is exact up to float64 round-off, not sampled. 1-D: walk the segment layer by layer; on
each piece the next layer's pre-activations are affine in the segment parameter, so each unit's zero
is found in closed form. 2-D: start with the box polygon; for each ReLU layer cut every (convex) cell
by each unit's zero line, keep pieces of positive thickness, and update the cell's affine map.

Pieces shorter than ``tol`` times the segment length (1-D), or thinner than ``tol`` times the box
diagonal (2-D; thickness ``2 * area / perimeter``, the inradius of a triangle), are degenerate touches
(a line through a vertex, a zero that only grazes, round-off slivers) and are not counted. Thickness,
not area, keeps genuine tiny cells of a large box: a round-off sliver is thin on the scale of machine
precision times the box, a real small triangle only in proportion to its size.

Nets are those of ``nntheory.nets`` (alternating ``nn.Linear`` and ``nn.ReLU``, with or without
biases), read in float64. Bounds are in ``region_bounds``, example nets and data in ``region_examples``,
drawing in ``viz.plot_regions``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import _validate as v
from . import geometry, nets

__all__ = [
    "Region1D",
    "Region2D",
    "regions_1d",
    "regions_2d",
    "count_regions_1d",
    "count_regions_2d",
    "count_patterns",
    "count_pieces",
    "piece_labels",
    "grid_patterns",
    "affine_map_at",
    "boundary_flips",
    "unit_switches",
    "hidden_widths",
    "arrangement_box",
    "DEFAULT_TOL",
    "PIECE_RTOL",
]

#: Default ``tol`` of the region functions, a fraction of the segment length (1-D) or of the box diagonal (2-D).
DEFAULT_TOL = 1e-12
#: Default ``rtol`` of ``piece_labels`` and ``count_pieces`` (relative agreement of two affine maps).
PIECE_RTOL = 1e-9  # two adjacent regions are one affine piece when their maps agree to this relative tolerance


# ----------------------------------------------------------------------------- reading the net


def _layers(net: object) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The float64 weights and biases (zeros where a layer has none) of a net; a ReLU follows all but the last."""
    ws = nets.weights(net)
    bs = [np.zeros(W.shape[0]) if b is None else b for W, b in zip(ws, nets.biases(net))]
    return ws, bs


def hidden_widths(net: nn.Sequential) -> list[int]:
    """Number of ReLU units in each ReLU layer of ``net``, in order.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases (read in float64).

    Returns
    -------
    list of int
        ``[d_1, ..., d_{L-1}]`` (empty for a single Linear layer): the ``widths`` of
        :mod:`nntheory.region_bounds`.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net`.
    """
    return [W.shape[0] for W in nets.weights(net)[:-1]]


def _check_tol(tol: object) -> float:
    tol = v.real(tol, "tol")
    if not 0 < tol <= 1e-3:
        raise ValueError(f"tol must be a number in (0, 1e-3] (a fraction of the segment length or box diagonal), got {tol!r}")
    return tol


def _point(x: object, d: int, name: str) -> np.ndarray:
    p = v.array(x, name)
    if p.ndim == 0 and d == 1:
        p = p.reshape(1)
    if p.shape != (d,):
        raise ValueError(f"{name} must be a point of shape ({d},) (the net's input dimension), got shape {p.shape}")
    return p


# ----------------------------------------------------------------------------- 1-D


@dataclass(frozen=True, eq=False)
class Region1D:
    """One activation region met by a segment: parameters ``t0 < t1`` in [0, 1], pattern, local affine map.

    The piece is the set of points ``start + t (end - start)`` of the segment for ``t0 <= t <= t1`` (the
    ``start`` and ``end`` of :func:`nntheory.regions.regions_1d`); on it ``F(x) = weight @ x + bias``.

    Parameters
    ----------
    t0 : float
        Segment parameter where the piece begins, in ``[0, 1)``.
    t1 : float
        Segment parameter where the piece ends, in ``(t0, 1]``.
    start : numpy.ndarray of shape (d_in,)
        The point at ``t0``.
    end : numpy.ndarray of shape (d_in,)
        The point at ``t1``.
    pattern : tuple of bool
        The activation pattern, ``z > 0`` for every hidden unit, layer after layer.
    weight : numpy.ndarray of shape (d_out, d_in)
        The linear part of ``F`` on the region.
    bias : numpy.ndarray of shape (d_out,)
        The offset of ``F`` on the region.
    """

    t0: float
    t1: float
    start: np.ndarray  # the point at t0
    end: np.ndarray  # the point at t1
    pattern: tuple[bool, ...]
    weight: np.ndarray  # (d_out, d_in): F(x) = weight @ x + bias on this region
    bias: np.ndarray

    @property
    def length(self) -> float:
        """Euclidean length of the piece."""
        return float(np.linalg.norm(self.end - self.start))


def _cut_pieces_1d(t0, t1, slope, offset, tol):
    """Cut pieces ``[t0, t1]`` at the zeros of ``z(t) = slope t + offset``; each cut's piece index and start."""
    with np.errstate(divide="ignore", invalid="ignore"):
        zeros = -offset / slope
    valid = (slope != 0) & (zeros > t0[:, None] + tol) & (zeros < t1[:, None] - tol)
    piece, _ = np.nonzero(valid)
    ep = np.concatenate([np.arange(len(t0)), piece])  # every piece's start, then every cut
    et = np.concatenate([t0, zeros[valid]])
    order = np.lexsort((et, ep))
    ep, et = ep[order], et[order]
    keep = np.ones(len(ep), dtype=bool)  # cuts closer than tol merge: a shorter piece is a degenerate touch
    keep[1:] = (ep[1:] != ep[:-1]) | (et[1:] - et[:-1] > tol)
    ep, et = ep[keep], et[keep]
    last = np.ones(len(ep), dtype=bool)
    last[:-1] = ep[1:] != ep[:-1]
    return ep, et, np.where(last, t1[ep], np.roll(et, -1))


def regions_1d(net: nn.Sequential, start: object, end: object, *, tol: float = DEFAULT_TOL) -> list[Region1D]:
    """Activation regions met by the segment from ``start`` to ``end``, in order along it.

    Exact up to float64 round-off: layer by layer, each unit's zero on each piece is found in closed form.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases (read in float64).
    start : array_like of shape (d_in,)
        First end of the segment (a number if ``d_in = 1``).
    end : array_like of shape (d_in,)
        Second end of the segment, different from ``start``.
    tol : float, default 1e-12
        Pieces shorter than ``tol`` times the segment length are degenerate touches and not counted; a real
        in ``(0, 1e-3]`` (``DEFAULT_TOL``).

    Returns
    -------
    list of Region1D
        The pieces in order: the first has ``t0 = 0``, the last ``t1 = 1``, and each ``t1`` is the next
        ``t0``.

    Raises
    ------
    TypeError
        If ``tol`` is not a real number, ``start`` or ``end`` is not numeric, or ``net`` is not a network of
        this package.
    ValueError
        If ``tol`` is outside ``(0, 1e-3]``, ``start`` or ``end`` is not a finite point of shape ``(d_in,)``,
        ``start`` equals ``end``, or ``net`` fails :func:`nntheory.nets.check_net`.

    Examples
    --------
    Telgarsky's tent map composed twice (:func:`nntheory.region_examples.tent_net`) has 4 regions on
    ``[0, 1]``, with slopes alternating between 4 and -4:

    >>> from nntheory import regions, region_examples
    >>> regs = regions.regions_1d(region_examples.tent_net(2), [0.0], [1.0])
    >>> [r.t0 for r in regs]
    [0.0, 0.25, 0.5, 0.75]
    >>> [round(float(r.weight[0, 0]), 6) for r in regs]
    [4.0, -4.0, 4.0, -4.0]
    >>> regions.boundary_flips(regs).tolist()          # one unit switches at each boundary
    [1, 1, 1]
    """
    tol = _check_tol(tol)
    ws, bs = _layers(net)
    d_in = ws[0].shape[1]
    p0, p1 = _point(start, d_in, "start"), _point(end, d_in, "end")
    direction = p1 - p0
    if not np.linalg.norm(direction) > 0:
        raise ValueError(f"start and end must differ (a segment of positive length), got start=end={p0}")
    # all pieces at once: t0, t1 (P,); the current map on piece p is h(x) = A[p] x + c[p]
    t0, t1 = np.array([0.0]), np.array([1.0])
    A, c = np.eye(d_in)[None], np.zeros((1, d_in))
    bits = np.zeros((1, 0), dtype=bool)
    for i, (W, b) in enumerate(zip(ws, bs)):
        A, c = W @ A, c @ W.T + b  # W @ A broadcasts over the pieces (einsum is 40x slower)
        if i == len(ws) - 1:
            break
        slope, offset = A @ direction, A @ p0 + c  # z(t) = slope * t + offset on each piece
        ep, t0, t1 = _cut_pieces_1d(t0, t1, slope, offset, tol)
        on = slope[ep] * (0.5 * (t0 + t1))[:, None] + offset[ep] > 0
        A, c = A[ep] * on[:, :, None], c[ep] * on
        bits = np.hstack([bits[ep], on])
    return [Region1D(float(a), float(b), p0 + a * direction, p0 + b * direction, tuple(pat), Ap, cp)
            for a, b, pat, Ap, cp in zip(t0, t1, bits.tolist(), A, c)]


def count_regions_1d(net: nn.Sequential, start: object, end: object, *, tol: float = DEFAULT_TOL) -> int:
    """Exact number of activation regions met by the segment from ``start`` to ``end`` (pieces of positive length).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases (read in float64).
    start : array_like of shape (d_in,)
        First end of the segment (a number if ``d_in = 1``).
    end : array_like of shape (d_in,)
        Second end of the segment, different from ``start``.
    tol : float, default 1e-12
        Pieces shorter than ``tol`` times the segment length are degenerate touches and not counted; a real
        in ``(0, 1e-3]`` (``DEFAULT_TOL``).

    Returns
    -------
    int
        ``len(regions_1d(net, start, end, tol=tol))``, at least 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`nntheory.regions.regions_1d`.

    Examples
    --------
    >>> from nntheory import regions, region_examples
    >>> [regions.count_regions_1d(region_examples.tent_net(L), [0.0], [1.0]) for L in (1, 2, 3, 4)]   # 2**L
    [2, 4, 8, 16]
    """
    return len(regions_1d(net, start, end, tol=tol))


def _flips_1d(regions: Sequence[Region1D], caller: str) -> np.ndarray:
    """Boolean ``(boundaries, units)``: which units flip between consecutive 1-D regions."""
    _check_regions(regions)
    if not all(isinstance(r, Region1D) for r in regions):
        raise TypeError(f"{caller} needs the output of regions_1d (a list of Region1D)")
    pats = np.array([r.pattern for r in regions], dtype=bool).reshape(len(regions), -1)
    return pats[1:] != pats[:-1]


def boundary_flips(regions: Sequence[Region1D]) -> np.ndarray:
    """For each boundary between consecutive 1-D regions, the number of units whose activation flips there.

    Parameters
    ----------
    regions : list of Region1D
        The output of :func:`nntheory.regions.regions_1d`, in order along the segment.

    Returns
    -------
    numpy.ndarray of int, shape (len(regions) - 1,)
        Entry ``i``: how many units differ between the patterns of regions ``i`` and ``i + 1`` (generically 1).

    Raises
    ------
    TypeError
        If ``regions`` is not a list of Region1D objects.
    ValueError
        If ``regions`` is empty.
    """
    return _flips_1d(regions, "boundary_flips").sum(axis=1)


def unit_switches(regions: Sequence[Region1D]) -> np.ndarray:
    """How many times each ReLU unit (in layer order) switches along the segment of ``regions``.

    Parameters
    ----------
    regions : list of Region1D
        The output of :func:`nntheory.regions.regions_1d`, in order along the segment.

    Returns
    -------
    numpy.ndarray of int, shape (N,)
        One count per hidden unit, ``N`` the number of hidden units, layer after layer (the order of the
        patterns).

    Raises
    ------
    TypeError
        If ``regions`` is not a list of Region1D objects.
    ValueError
        If ``regions`` is empty.
    """
    return _flips_1d(regions, "unit_switches").sum(axis=0)


# ----------------------------------------------------------------------------- 2-D


@dataclass(frozen=True, eq=False)
class Region2D:
    """One activation region in the box: convex polygon (counter-clockwise), pattern, local affine map.

    On the polygon ``F(x) = weight @ x + bias``.

    Parameters
    ----------
    vertices : numpy.ndarray of shape (k, 2)
        The ``k >= 3`` corners of the convex polygon, counter-clockwise.
    pattern : tuple of bool
        The activation pattern, ``z > 0`` for every hidden unit, layer after layer.
    weight : numpy.ndarray of shape (d_out, 2)
        The linear part of ``F`` on the region.
    bias : numpy.ndarray of shape (d_out,)
        The offset of ``F`` on the region.
    """

    vertices: np.ndarray  # (k, 2)
    pattern: tuple[bool, ...]
    weight: np.ndarray  # (d_out, 2): F(x) = weight @ x + bias on this region
    bias: np.ndarray

    @property
    def area(self) -> float:
        """Area of the polygon."""
        return geometry.polygon_area(self.vertices)

    @property
    def centroid(self) -> np.ndarray:
        """Centroid of the polygon."""
        return geometry.polygon_centroid(self.vertices)


def _check_box(lo: object, hi: object) -> tuple[np.ndarray, np.ndarray]:
    lo_, hi_ = _point(lo, 2, "lo"), _point(hi, 2, "hi")
    if not np.all(lo_ < hi_):
        raise ValueError(f"lo must be strictly below hi in both coordinates, got lo={lo_}, hi={hi_}")
    return lo_, hi_


def _cut(rows: np.ndarray, on: np.ndarray, j: int, min_width: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut one convex piece (vertex rows ``[x, y, z...]``) by unit ``j``'s zero line; ``on`` is its pattern so far."""
    col = rows[:, 2 + j]
    on_j = on.copy()
    on_j[j] = True
    if col.max() <= 0:
        return [(rows, on)]
    if col.min() >= 0:
        return [(rows, on_j)]
    P, N = geometry.split_polygon(rows, 2 + j)
    thin_p, thin_n = geometry.polygon_thickness(P[:, :2]) <= min_width, geometry.polygon_thickness(N[:, :2]) <= min_width
    if thin_p and thin_n:  # a sliver: decide by the mean vertex value
        return [(rows, on_j if col.mean() > 0 else on)]
    if thin_p:  # only a degenerate touch on the positive side
        return [(rows, on)]
    if thin_n:
        return [(rows, on_j)]
    return [(P, on_j), (N, on)]


def _split_cell(V: np.ndarray, A: np.ndarray, c: np.ndarray, bits: list, min_width: float) -> list[tuple]:
    """Split one cell (polygon ``V``, pre-activations ``A x + c``) into its activation regions for this layer."""
    Z = V @ A.T + c  # (k, n) pre-activations at the vertices
    zmax, zmin = Z.max(axis=0), Z.min(axis=0)
    pieces = [(np.hstack([V, Z]), (zmin >= 0) & (zmax > 0))]
    for j in np.flatnonzero((zmax > 0) & (zmin < 0)):
        pieces = [cut for rows, on in pieces for cut in _cut(rows, on, j, min_width)]
    out = []
    for rows, on in pieces:
        d = on.astype(np.float64)
        out.append((_dedupe(rows[:, :2]), A * d[:, None], c * d, bits + on.tolist()))
    return out


def regions_2d(net: nn.Sequential, lo: object, hi: object, *, tol: float = DEFAULT_TOL) -> list[Region2D]:
    """Activation regions of a net with 2-D input inside the box ``[lo[0], hi[0]] x [lo[1], hi[1]]``.

    Exact up to float64 round-off: the box is cut, layer by layer, by each unit's zero line on each
    (convex) cell.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input (first Linear ``in_features=2``), with or
        without biases.
    lo : array_like of shape (2,)
        Lower-left corner of the box.
    hi : array_like of shape (2,)
        Upper-right corner, strictly above ``lo`` in both coordinates.
    tol : float, default 1e-12
        Cells thinner than ``tol`` times the box diagonal are degenerate touches and not counted; a real in
        ``(0, 1e-3]`` (``DEFAULT_TOL``).

    Returns
    -------
    list of Region2D
        The regions; their polygons tile the box.

    Raises
    ------
    TypeError
        If ``tol`` is not a real number, ``lo`` or ``hi`` is not numeric, or ``net`` is not a network of
        this package.
    ValueError
        If ``tol`` is outside ``(0, 1e-3]``, the net's input is not 2-D, ``lo`` or ``hi`` is not a finite
        point of shape ``(2,)`` or ``lo`` is not strictly below ``hi``, or ``net`` fails
        :func:`nntheory.nets.check_net`.

    Examples
    --------
    One hidden layer of 3 bias-free units: 3 lines through the origin cut the square into 6 sectors.

    >>> from nntheory import nets, regions
    >>> regs = regions.regions_2d(nets.relu_net([2, 3, 1], seed=0), [-1, -1], [1, 1])
    >>> len(regs), regions.count_patterns(regs)
    (6, 6)
    >>> print(round(sum(r.area for r in regs), 6))     # the regions tile the box
    4.0
    """
    tol = _check_tol(tol)
    ws, bs = _layers(net)
    if ws[0].shape[1] != 2:
        raise ValueError(f"regions_2d needs a net with 2-D input (first Linear in_features=2), got {ws[0].shape[1]}")
    lo_, hi_ = _check_box(lo, hi)
    min_width = tol * float(np.linalg.norm(hi_ - lo_))
    box = np.array([[lo_[0], lo_[1]], [hi_[0], lo_[1]], [hi_[0], hi_[1]], [lo_[0], hi_[1]]])
    # a cell: (vertices (k, 2), A (n, 2), c (n,), bits); the current map is h(x) = A x + c
    cells = [(box, np.eye(2), np.zeros(2), [])]
    for i, (W, b) in enumerate(zip(ws, bs)):
        cells = [(V, W @ A, W @ c + b, bits) for V, A, c, bits in cells]
        if i < len(ws) - 1:  # a ReLU layer follows
            cells = [piece for cell in cells for piece in _split_cell(*cell, min_width)]
    return [Region2D(V, tuple(bits), A, c) for V, A, c, bits in cells]


def _dedupe(V: np.ndarray) -> np.ndarray:
    """Drop consecutive (near-)duplicate vertices that clipping through a vertex can create."""
    if len(V) <= 3:
        return V
    scale = float(np.abs(V).max()) + 1.0
    d = V - np.vstack((V[-1:], V[:-1]))
    keep = np.sqrt((d * d).sum(axis=1)) > 1e-13 * scale
    return V[keep] if keep.sum() >= 3 else V


def count_regions_2d(net: nn.Sequential, lo: object, hi: object, *, tol: float = DEFAULT_TOL) -> int:
    """Exact number of activation regions of a 2-D-input net inside the box (cells of positive area).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input (first Linear ``in_features=2``), with or
        without biases.
    lo : array_like of shape (2,)
        Lower-left corner of the box.
    hi : array_like of shape (2,)
        Upper-right corner, strictly above ``lo`` in both coordinates.
    tol : float, default 1e-12
        Cells thinner than ``tol`` times the box diagonal are degenerate touches and not counted; a real in
        ``(0, 1e-3]`` (``DEFAULT_TOL``).

    Returns
    -------
    int
        ``len(regions_2d(net, lo, hi, tol=tol))``, at least 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`nntheory.regions.regions_2d`.

    Examples
    --------
    With biases, 3 first-layer lines in general position make Zaslavsky's ``1 + 3 + 3 = 7`` regions, all
    inside :func:`nntheory.regions.arrangement_box`:

    >>> from nntheory import nets, regions, region_bounds
    >>> net = nets.relu_net([2, 3, 1], bias=True, seed=0)
    >>> lo, hi = regions.arrangement_box(net)
    >>> regions.count_regions_2d(net, lo, hi), region_bounds.zaslavsky_count(3, 2)
    (7, 7)
    """
    return len(regions_2d(net, lo, hi, tol=tol))


# ----------------------------------------------------------------------------- patterns and pieces


def _check_regions(regions: object) -> None:
    if isinstance(regions, (str, bytes)) or not isinstance(regions, Sequence):
        raise TypeError(f"regions must be a list from regions_1d or regions_2d, got {type(regions).__name__}")
    if not regions:
        raise ValueError("regions is empty; regions_1d/regions_2d always return at least one region")
    if not all(isinstance(r, (Region1D, Region2D)) for r in regions):
        raise TypeError("regions must contain Region1D or Region2D objects")


def count_patterns(regions: Sequence[Region1D | Region2D]) -> int:
    """Number of distinct activation patterns among the regions.

    Parameters
    ----------
    regions : list of Region1D or list of Region2D
        The output of :func:`nntheory.regions.regions_1d` or :func:`nntheory.regions.regions_2d`.

    Returns
    -------
    int
        The number of distinct ``pattern`` tuples (normally ``len(regions)``: the inputs sharing one
        pattern form one convex region).

    Raises
    ------
    TypeError
        If ``regions`` is not a list of Region1D or Region2D objects.
    ValueError
        If ``regions`` is empty.
    """
    _check_regions(regions)
    return len({r.pattern for r in regions})


def _same_map(r: Region1D | Region2D, s: Region1D | Region2D, rtol: float) -> bool:
    scale = max(np.abs(r.weight).max(), np.abs(s.weight).max(), np.abs(r.bias).max(), np.abs(s.bias).max(), 1e-300)
    return bool(np.abs(r.weight - s.weight).max() <= rtol * scale and np.abs(r.bias - s.bias).max() <= rtol * scale)


def _labels_1d(regions: Sequence[Region1D], rtol: float) -> np.ndarray:
    """Pieces along a segment: only the restriction t -> F(start + t (end - start)) matters, so compare slopes."""
    d = (regions[0].end - regions[0].start) / max(regions[0].t1 - regions[0].t0, 1e-300)
    slopes = [r.weight @ d for r in regions]
    labels = np.zeros(len(regions), dtype=int)
    for i, (a, b) in enumerate(zip(slopes[:-1], slopes[1:])):
        scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
        labels[i + 1] = labels[i] + int(np.abs(a - b).max() > rtol * scale)
    return labels


def _labels_2d(regions: Sequence[Region2D], rtol: float) -> np.ndarray:
    """Pieces in the plane: union-find over adjacent regions (a common edge) with the same affine map."""
    parent = list(range(len(regions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    allv = np.vstack([r.vertices for r in regions])
    eps = 1e-9 * float(np.linalg.norm(allv.max(axis=0) - allv.min(axis=0)))
    # group regions by their affine map, rounded coarsely (maps of one piece agree to round-off)
    scale = max(max(np.abs(r.weight).max() for r in regions), max(np.abs(r.bias).max() for r in regions), 1e-300)
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(regions):
        key = tuple(np.round(np.concatenate([r.weight.ravel(), r.bias]) / (scale * 1e-6)).astype(np.int64))
        groups.setdefault(key, []).append(i)
    for idx in groups.values():
        boxes = np.array([[*regions[i].vertices.min(axis=0), *regions[i].vertices.max(axis=0)] for i in idx])
        for a, b in itertools.combinations(range(len(idx)), 2):
            if (boxes[a, 0] > boxes[b, 2] + eps or boxes[b, 0] > boxes[a, 2] + eps
                    or boxes[a, 1] > boxes[b, 3] + eps or boxes[b, 1] > boxes[a, 3] + eps):
                continue  # bounding boxes apart: not adjacent
            i, j = idx[a], idx[b]
            if _same_map(regions[i], regions[j], rtol) and geometry.share_edge(regions[i].vertices,
                                                                              regions[j].vertices, eps):
                parent[find(i)] = find(j)
    _, labels = np.unique([find(i) for i in range(len(regions))], return_inverse=True)
    return labels


def piece_labels(regions: Sequence[Region1D | Region2D], *, rtol: float = PIECE_RTOL) -> np.ndarray:
    """Label each region by its affine piece: regions merge when adjacent (common edge of positive length) with one map.

    For 1-D regions only the restriction of ``F`` to the segment matters: consecutive regions merge when
    their slopes along the segment agree.

    Parameters
    ----------
    regions : list of Region1D or list of Region2D
        The output of :func:`nntheory.regions.regions_1d` or :func:`nntheory.regions.regions_2d`.
    rtol : float, default 1e-9
        Two maps are equal when they agree to this tolerance relative to their largest entry; a real in
        ``(0, 1)`` (``PIECE_RTOL``).

    Returns
    -------
    numpy.ndarray of int, shape (len(regions),)
        Piece labels ``0, 1, ..., K - 1`` (non-decreasing along the segment in 1-D).

    Raises
    ------
    TypeError
        If ``regions`` is not a list of Region1D or Region2D objects or mixes the two, or ``rtol`` is not a
        real number.
    ValueError
        If ``regions`` is empty, or ``rtol`` is outside ``(0, 1)``.
    """
    _check_regions(regions)
    rtol = v.real(rtol, "rtol")
    if not 0 < rtol < 1:
        raise ValueError(f"rtol must be in (0, 1), got {rtol!r}")
    kind = type(regions[0])
    if not all(isinstance(r, kind) for r in regions):
        raise TypeError("regions must all be Region1D or all Region2D")
    return _labels_1d(regions, rtol) if kind is Region1D else _labels_2d(regions, rtol)


def count_pieces(regions: Sequence[Region1D | Region2D], *, rtol: float = PIECE_RTOL) -> int:
    """Number of affine pieces: maximal connected unions of adjacent regions with one affine map.

    Parameters
    ----------
    regions : list of Region1D or list of Region2D
        The output of :func:`nntheory.regions.regions_1d` or :func:`nntheory.regions.regions_2d`.
    rtol : float, default 1e-9
        Relative tolerance for equal maps, a real in ``(0, 1)`` (see :func:`nntheory.regions.piece_labels`).

    Returns
    -------
    int
        The number of pieces, at most ``len(regions)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`nntheory.regions.piece_labels`.

    Examples
    --------
    Regions with different patterns can carry one affine map: on the last three regions below every
    second-layer unit is off, so ``F`` is constant there while first-layer units still switch.

    >>> from nntheory import nets, regions
    >>> regs = regions.regions_1d(nets.relu_net([1, 3, 3, 1], bias=True, seed=1), [-3.0], [3.0])
    >>> len(regs), regions.count_pieces(regs)
    (5, 3)
    >>> regions.piece_labels(regs).tolist()
    [0, 1, 2, 2, 2]
    """
    return int(piece_labels(regions, rtol=rtol).max()) + 1


# ----------------------------------------------------------------------------- grids and maps


def grid_patterns(net: nn.Sequential, lo: object, hi: object, n: int, *, chunk: int = 100_000) -> set[tuple[bool, ...]]:
    """Distinct activation patterns at the ``n x n`` grid of points spanning the box (corners included).

    A sampled lower bound on the number of regions, to compare with :func:`nntheory.regions.count_regions_2d`.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input (first Linear ``in_features=2``), with or
        without biases.
    lo : array_like of shape (2,)
        Lower-left corner of the box.
    hi : array_like of shape (2,)
        Upper-right corner, strictly above ``lo`` in both coordinates.
    n : int
        Grid points per side, an int ``>= 2``.
    chunk : int, default 100000
        Points evaluated per batch (memory only; a positive int, not checked).

    Returns
    -------
    set of tuple of bool
        The patterns met, each ``z > 0`` for every hidden unit, layer after layer (``{()}`` for a net
        without hidden layer).

    Raises
    ------
    TypeError
        If ``n`` is not an int, ``lo`` or ``hi`` is not numeric, or ``net`` is not a network of this package.
    ValueError
        If ``n < 2``, the net's input is not 2-D, the box is not valid (see
        :func:`nntheory.regions.regions_2d`), or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    n = v.integer(n, "n", least=2)
    ws, bs = _layers(net)
    if ws[0].shape[1] != 2:
        raise ValueError(f"grid_patterns needs a net with 2-D input, got input dimension {ws[0].shape[1]}")
    lo_, hi_ = _check_box(lo, hi)
    xs, ys = np.linspace(lo_[0], hi_[0], n), np.linspace(lo_[1], hi_[1], n)
    X = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1).reshape(-1, 2)
    if len(ws) == 1:
        return {()}
    packed = []
    for k in range(0, len(X), chunk):
        zs = nets.forward(ws, X[k:k + chunk], bs=bs, keep=True)[1]
        packed.append(_unique_rows(_as_words(np.hstack([z > 0 for z in zs]))))
    uniq = _unique_rows(np.vstack(packed))
    as_bits = np.unpackbits(uniq.view(np.uint8), axis=1)[:, :sum(hidden_widths(net))]
    return {tuple(row) for row in as_bits.astype(bool).tolist()}


def _as_words(bits: np.ndarray) -> np.ndarray:
    """Pack boolean rows into rows of uint64 words (fast to sort and compare)."""
    packed = np.packbits(bits, axis=1)
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.hstack([packed, np.zeros((len(packed), pad), dtype=np.uint8)])
    return np.ascontiguousarray(packed).view(np.uint64)


def _unique_rows(words: np.ndarray) -> np.ndarray:
    """Distinct rows of a 2-D uint64 array (lexicographic sort, then drop repeats)."""
    order = np.lexsort(words.T[::-1])
    w = words[order]
    keep = np.ones(len(w), dtype=bool)
    keep[1:] = np.any(w[1:] != w[:-1], axis=1)
    return w[keep]


def affine_map_at(net: nn.Sequential, x0: object) -> tuple[np.ndarray, np.ndarray]:
    r"""The affine map ``x -> M x + b`` built from the activation matrices at ``x0`` (homework 2.1).

    With :math:`A_i` the 0/1 activation matrices at ``x0``,
    :math:`M = W_L A_{L-1} W_{L-1} \cdots A_1 W_1`, and ``F(x) = M x + b`` on the region of ``x0``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases (read in float64).
    x0 : array_like of shape (d_in,)
        A point of the region, finite.

    Returns
    -------
    M : numpy.ndarray of shape (d_out, d_in)
        The linear part, float64.
    b : numpy.ndarray of shape (d_out,)
        The offset, float64 (0 for a bias-free net).

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net`, or ``x0`` is not a finite array of shape
        ``(d_in,)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from nntheory import nets, regions
    >>> net = nets.relu_net([2, 3, 1], bias=True, seed=0)
    >>> M, b = regions.affine_map_at(net, [0.3, 0.2])
    >>> x = np.array([0.3, 0.2])
    >>> bool(np.isclose((M @ x + b)[0], net(torch.from_numpy(x)).item()))
    True
    """
    As = nets.activation_matrices(net, x0)
    lins = nets.linear_layers(net)
    M = torch.eye(lins[0].in_features, dtype=lins[0].weight.dtype)
    b = torch.zeros(lins[0].in_features, dtype=lins[0].weight.dtype)
    with torch.no_grad():
        for i, lin in enumerate(lins):
            M = lin.weight @ M
            b = lin.weight @ b + (lin.bias if lin.bias is not None else 0.0)
            if i < len(As):
                M, b = As[i] @ M, As[i] @ b
    return M.numpy().astype(np.float64), b.numpy().astype(np.float64)


def arrangement_box(net: nn.Sequential, *, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A box containing every crossing of the first layer's zero lines of a 2-D-input net, meeting every line.

    The box holds the origin, each line's point nearest the origin and every crossing of two
    non-parallel lines, padded by ``margin`` times its side (at least ``margin``).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net` with 2-D input (first Linear ``in_features=2``), with or
        without biases.
    margin : float, default 0.1
        Relative padding on each side, a finite real ``> 0``.

    Returns
    -------
    lo : numpy.ndarray of shape (2,)
        Lower-left corner.
    hi : numpy.ndarray of shape (2,)
        Upper-right corner.

    Raises
    ------
    TypeError
        If ``margin`` is not a real number, or ``net`` is not a network of this package.
    ValueError
        If the net's input is not 2-D, ``margin`` is not positive and finite, or ``net`` fails
        :func:`nntheory.nets.check_net`.
    """
    ws, bs = _layers(net)
    if ws[0].shape[1] != 2:
        raise ValueError(f"arrangement_box needs a net with 2-D input, got input dimension {ws[0].shape[1]}")
    margin = v.positive(margin, "margin")
    W, b = ws[0], bs[0]
    pts = [np.zeros(2)]
    for w, c in zip(W, b):  # the point of each line nearest the origin: every line meets the box
        if np.any(w != 0):
            pts.append(-c * w / (w @ w))
    for i, j in itertools.combinations(range(len(W)), 2):
        M = W[[i, j]]
        if abs(np.linalg.det(M)) > 1e-12 * np.linalg.norm(M[0]) * np.linalg.norm(M[1]):
            pts.append(np.linalg.solve(M, -b[[i, j]]))
    P = np.array(pts)
    lo, hi = P.min(axis=0), P.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1.0)
    return lo - pad, hi + pad

