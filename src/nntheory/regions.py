"""Exact activation regions of ReLU networks: on a segment (1-D) and in a box of the plane (2-D).

An *activation pattern* of a ReLU network at an input ``x`` lists, for every ReLU unit, whether
its pre-activation is positive (``z > 0``, the convention of ``nntheory.nets``). An *activation
region* is a set of inputs of positive length (1-D) or area (2-D) sharing one pattern. Given a
pattern, every pre-activation is an affine function of ``x``, so each region is cut out by
half-planes: it is convex, hence connected, and cells and patterns are in one-to-one
correspondence. The counts below are therefore both "cells" and "patterns".

The counting is exact up to float64 round-off, not sampled:

* 1-D: walk the segment layer by layer; on each current piece the next layer's pre-activations
  are affine in the segment parameter, so each unit's zero is found in closed form.
* 2-D: start with the box polygon; for each ReLU layer cut every current (convex) cell by each
  unit's zero line, keep pieces of positive thickness, and update the cell's affine map by its pattern.

Pieces shorter than ``tol`` times the segment length (1-D), or thinner than ``tol`` times the box
diagonal (2-D; thickness ``2 * area / perimeter``, the inradius of a triangle), are degenerate touches
(a line through a vertex, a zero that only grazes, round-off slivers) and are not counted. A measure
of thickness rather than area keeps genuine tiny cells of a large box: round-off slivers are about
``1e-16`` of the box thin, while a real small triangle is thin only in proportion to its size.

Nets are any ``nn.Sequential`` of ``nn.Linear`` and ``nn.ReLU``, with or without biases; weights are
read in float64. The pattern of a region lists the units of every ``nn.ReLU`` module, in order.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

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
    "inradius",
    "interior_points",
    "affine_map_at",
    "boundary_flips",
    "naive_bound",
    "zaslavsky_count",
    "serra_bound",
    "univariate_bound",
    "telgarsky_bound",
    "montufar_lower_bound",
    "hidden_widths",
    "tent_net",
    "arrangement_box",
    "expected_crossings_one_layer",
    "two_moons",
    "train_snapshots",
    "plot_regions",
]

DEFAULT_TOL = 1e-12


# ----------------------------------------------------------------------------- parsing the net


def _steps(net: object) -> tuple[int, list[tuple[np.ndarray, np.ndarray] | None]]:
    """Read a Sequential of Linear/ReLU into ``(d_in, steps)``; a step is ``(W, b)`` or ``None`` for ReLU."""
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"net must be a torch.nn.Sequential of nn.Linear and nn.ReLU, got {type(net).__name__}")
    steps: list[tuple[np.ndarray, np.ndarray] | None] = []
    d_in = None
    width = None
    for i, m in enumerate(net):
        if isinstance(m, nn.Linear):
            W = m.weight.detach().cpu().to(torch.float64).numpy().copy()
            b = (m.bias.detach().cpu().to(torch.float64).numpy().copy() if m.bias is not None
                 else np.zeros(W.shape[0]))
            if width is not None and W.shape[1] != width:
                raise ValueError(f"net layer {i} (Linear) expects {W.shape[1]} inputs but receives {width}")
            if d_in is None:
                d_in = W.shape[1]
            width = W.shape[0]
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise ValueError(f"net layer {i} (Linear) has NaN or infinite parameters")
            steps.append((W, b))
        elif isinstance(m, nn.ReLU):
            steps.append(None)
        else:
            raise TypeError(f"net layer {i} is {type(m).__name__}; only nn.Linear and nn.ReLU are supported")
    if d_in is None:
        raise ValueError("net has no nn.Linear layer, so its input dimension is undefined")
    return d_in, steps


def hidden_widths(net: nn.Sequential) -> list[int]:
    """Number of ReLU units in each ReLU layer of ``net``, in order."""
    d_in, steps = _steps(net)
    widths, width = [], d_in
    for s in steps:
        if s is None:
            widths.append(width)
        else:
            width = s[0].shape[0]
    return widths


def _check_tol(tol: float) -> float:
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) or not (0 < tol <= 1e-3):
        raise ValueError(f"tol must be a number in (0, 1e-3] (a fraction of the segment length or box diagonal), got {tol!r}")
    return float(tol)


def _point(x: object, d: int, name: str) -> np.ndarray:
    p = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.float64)
    if p.ndim == 0 and d == 1:
        p = p.reshape(1)
    if p.shape != (d,):
        raise ValueError(f"{name} must be a point of shape ({d},) (the net's input dimension), got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite, got {p}")
    return p


# ----------------------------------------------------------------------------- 1-D


@dataclass(frozen=True, eq=False)
class Region1D:
    """One activation region met by a segment: parameters ``t0 < t1`` in [0, 1], pattern, local affine map."""

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


def regions_1d(net: nn.Sequential, start: object, end: object, *, tol: float = DEFAULT_TOL) -> list[Region1D]:
    """Activation regions met by the segment from ``start`` to ``end``, in order along it."""
    tol = _check_tol(tol)
    d_in, steps = _steps(net)
    p0, p1 = _point(start, d_in, "start"), _point(end, d_in, "end")
    direction = p1 - p0
    if not np.linalg.norm(direction) > 0:
        raise ValueError(f"start and end must differ (a segment of positive length), got start=end={p0}")
    # all pieces at once: t0, t1 (P,); the current map on piece p is h(x) = A[p] x + c[p]
    t0, t1 = np.array([0.0]), np.array([1.0])
    A, c = np.eye(d_in)[None], np.zeros((1, d_in))
    bits = np.zeros((1, 0), dtype=bool)
    for s in steps:
        if s is not None:
            W, b = s
            A, c = np.einsum("ij,pjk->pik", W, A), c @ W.T + b
            continue
        slope = A @ direction  # (P, n): z(t) = slope * t + offset on each piece
        offset = A @ p0 + c
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
        nt1 = np.where(last, t1[ep], np.roll(et, -1))
        mid = 0.5 * (et + nt1)
        on = slope[ep] * mid[:, None] + offset[ep] > 0
        A, c = A[ep] * on[:, :, None], c[ep] * on
        bits = np.hstack([bits[ep], on])
        t0, t1 = et, nt1
    return [Region1D(float(a), float(b), p0 + a * direction, p0 + b * direction, tuple(pat), Ap, cp)
            for a, b, pat, Ap, cp in zip(t0, t1, bits.tolist(), A, c)]


def count_regions_1d(net: nn.Sequential, start: object, end: object, *, tol: float = DEFAULT_TOL) -> int:
    """Exact number of activation regions met by the segment from ``start`` to ``end`` (pieces of positive length)."""
    return len(regions_1d(net, start, end, tol=tol))


def boundary_flips(regions: Sequence[Region1D]) -> np.ndarray:
    """For each boundary between consecutive 1-D regions, the number of units whose activation flips there."""
    _check_regions(regions)
    if not all(isinstance(r, Region1D) for r in regions):
        raise TypeError("boundary_flips needs the output of regions_1d (a list of Region1D)")
    pats = np.array([r.pattern for r in regions], dtype=bool)
    if len(pats) < 2:
        return np.zeros(0, dtype=int)
    return np.sum(pats[1:] != pats[:-1], axis=1)


# ----------------------------------------------------------------------------- 2-D


@dataclass(frozen=True, eq=False)
class Region2D:
    """One activation region in the box: convex polygon (counter-clockwise), pattern, local affine map."""

    vertices: np.ndarray  # (k, 2)
    pattern: tuple[bool, ...]
    weight: np.ndarray  # (d_out, 2): F(x) = weight @ x + bias on this region
    bias: np.ndarray

    @property
    def area(self) -> float:
        """Area of the polygon (shoelace formula)."""
        return _area(self.vertices)

    @property
    def centroid(self) -> np.ndarray:
        """Centroid of the polygon."""
        v = self.vertices
        x, y = v[:, 0], v[:, 1]
        xn, yn = np.roll(x, -1), np.roll(y, -1)
        cross = x * yn - xn * y
        a = cross.sum() / 2.0
        if abs(a) < 1e-300:
            return v.mean(axis=0)
        return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6.0 * a)


def _area(v: np.ndarray) -> float:
    """Signed area of a polygon (positive when counter-clockwise)."""
    if len(v) < 3:
        return 0.0
    x, y = v[:, 0], v[:, 1]
    return 0.5 * float(x[:-1] @ y[1:] - x[1:] @ y[:-1] + x[-1] * y[0] - x[0] * y[-1])


def _thickness(v: np.ndarray) -> float:
    """``2 * area / perimeter`` of a polygon: about its width for a sliver, its inradius for a triangle."""
    a = abs(_area(v))
    if a == 0.0:
        return 0.0
    e = np.diff(v, axis=0)
    perimeter = float(np.sqrt((e * e).sum(axis=1)).sum()) + math.dist(v[-1], v[0])
    return 2.0 * a / perimeter


def _clip(rows: np.ndarray, v: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a convex polygon (rows ``[x, y, z_1..z_n]``) by ``v >= 0`` / ``v <= 0``; ``v`` is column ``j``."""
    pos, neg = [], []
    k = len(rows)
    for i in range(k):
        vi, vn = v[i], v[(i + 1) % k]
        if vi >= 0:
            pos.append(rows[i])
        if vi <= 0:
            neg.append(rows[i])
        if (vi > 0 > vn) or (vi < 0 < vn):
            r = rows[i] + (vi / (vi - vn)) * (rows[(i + 1) % k] - rows[i])
            r[j] = 0.0
            pos.append(r)
            neg.append(r)
    return np.array(pos), np.array(neg)


def _check_box(lo: object, hi: object) -> tuple[np.ndarray, np.ndarray]:
    lo_, hi_ = _point(lo, 2, "lo"), _point(hi, 2, "hi")
    if not np.all(lo_ < hi_):
        raise ValueError(f"lo must be strictly below hi in both coordinates, got lo={lo_}, hi={hi_}")
    return lo_, hi_


def regions_2d(net: nn.Sequential, lo: object, hi: object, *, tol: float = DEFAULT_TOL) -> list[Region2D]:
    """Activation regions of a net with 2-D input inside the box ``[lo[0], hi[0]] x [lo[1], hi[1]]``."""
    tol = _check_tol(tol)
    d_in, steps = _steps(net)
    if d_in != 2:
        raise ValueError(f"regions_2d needs a net with 2-D input (first Linear in_features=2), got {d_in}")
    lo_, hi_ = _check_box(lo, hi)
    min_width = tol * float(np.linalg.norm(hi_ - lo_))
    box = np.array([[lo_[0], lo_[1]], [hi_[0], lo_[1]], [hi_[0], hi_[1]], [lo_[0], hi_[1]]])
    # a cell: (vertices (k, 2), A (n, 2), c (n,), bits); the current map is h(x) = A x + c
    cells = [(box, np.eye(2), np.zeros(2), [])]
    for s in steps:
        if s is not None:
            W, b = s
            cells = [(V, W @ A, W @ c + b, bits) for V, A, c, bits in cells]
            continue
        new = []
        for V, A, c, bits in cells:
            Z = V @ A.T + c  # (k, n) pre-activations at the vertices
            zmax, zmin = Z.max(axis=0), Z.min(axis=0)
            fixed_on = zmin >= 0
            crossing = np.flatnonzero((zmax > 0) & (zmin < 0))
            pieces = [(np.hstack([V, Z]), fixed_on & (zmax > 0))]
            for j in crossing:
                col = 2 + j
                nxt = []
                for rows, on in pieces:
                    v = rows[:, col]
                    if v.max() <= 0:
                        nxt.append((rows, on))
                    elif v.min() >= 0:
                        on = on.copy()
                        on[j] = True
                        nxt.append((rows, on))
                    else:
                        P, N = _clip(rows, v, col)
                        thinP, thinN = _thickness(P[:, :2]) <= min_width, _thickness(N[:, :2]) <= min_width
                        if thinP and thinN:  # a sliver: decide by the mean vertex value
                            keep_on = bool(rows[:, col].mean() > 0)
                            on = on.copy()
                            on[j] = keep_on
                            nxt.append((rows, on))
                        elif thinP:
                            nxt.append((rows, on))  # only a degenerate touch on the positive side
                        elif thinN:
                            on = on.copy()
                            on[j] = True
                            nxt.append((rows, on))
                        else:
                            onP = on.copy()
                            onP[j] = True
                            nxt.append((P, onP))
                            nxt.append((N, on))
                pieces = nxt
            for rows, on in pieces:
                d = on.astype(np.float64)
                new.append((_dedupe(rows[:, :2]), A * d[:, None], c * d, bits + on.tolist()))
        cells = new
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
    """Exact number of activation regions of a 2-D-input net inside the box (cells of positive area)."""
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
    """Number of distinct activation patterns among the regions."""
    _check_regions(regions)
    return len({r.pattern for r in regions})


def _same_map(r: Region1D | Region2D, s: Region1D | Region2D, rtol: float) -> bool:
    scale = max(np.abs(r.weight).max(), np.abs(s.weight).max(), np.abs(r.bias).max(), np.abs(s.bias).max(), 1e-300)
    return bool(np.abs(r.weight - s.weight).max() <= rtol * scale and np.abs(r.bias - s.bias).max() <= rtol * scale)


def piece_labels(regions: Sequence[Region1D | Region2D], *, rtol: float = 1e-9) -> np.ndarray:
    """Label each region by its affine piece: regions merge when adjacent (common edge of positive length) with one map."""
    _check_regions(regions)
    if not (0 < rtol < 1):
        raise ValueError(f"rtol must be in (0, 1), got {rtol!r}")
    if isinstance(regions[0], Region1D):
        if not all(isinstance(r, Region1D) for r in regions):
            raise TypeError("regions must all be Region1D or all Region2D")
        # on a segment only the restriction t -> F(start + t (end - start)) matters: compare its slope
        d = (regions[0].end - regions[0].start) / max(regions[0].t1 - regions[0].t0, 1e-300)
        slopes = [r.weight @ d for r in regions]
        labels = np.zeros(len(regions), dtype=int)
        for i, (a, b) in enumerate(zip(slopes[:-1], slopes[1:])):
            scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
            labels[i + 1] = labels[i] + int(np.abs(a - b).max() > rtol * scale)
        return labels
    if not all(isinstance(r, Region2D) for r in regions):
        raise TypeError("regions must all be Region1D or all Region2D")
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
        if len(idx) < 2:
            continue
        boxes = np.array([[*regions[i].vertices.min(axis=0), *regions[i].vertices.max(axis=0)] for i in idx])
        for a, b in itertools.combinations(range(len(idx)), 2):
            if (boxes[a, 0] > boxes[b, 2] + eps or boxes[b, 0] > boxes[a, 2] + eps
                    or boxes[a, 1] > boxes[b, 3] + eps or boxes[b, 1] > boxes[a, 3] + eps):
                continue  # bounding boxes apart: not adjacent
            i, j = idx[a], idx[b]
            if _same_map(regions[i], regions[j], rtol) and _share_edge(regions[i].vertices, regions[j].vertices, eps):
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(regions))]
    _, labels = np.unique(roots, return_inverse=True)
    return labels


def count_pieces(regions: Sequence[Region1D | Region2D], *, rtol: float = 1e-9) -> int:
    """Number of affine pieces: maximal connected unions of adjacent regions with one affine map."""
    return int(piece_labels(regions, rtol=rtol).max()) + 1


def _share_edge(P: np.ndarray, Q: np.ndarray, eps: float) -> bool:
    """True if convex polygons P and Q have boundary segments on one line overlapping in positive length."""
    for a, b in zip(P, np.roll(P, -1, axis=0)):
        e = b - a
        L = float(np.linalg.norm(e))
        if L <= eps:
            continue
        u = e / L
        normal = np.array([-u[1], u[0]])
        dist = (Q - a) @ normal
        on = np.abs(dist) <= eps
        if on.sum() < 2:
            continue
        proj = (Q[on] - a) @ u
        lo, hi = max(proj.min(), 0.0), min(proj.max(), L)
        if hi - lo > eps:
            return True
    return False


# ----------------------------------------------------------------------------- grids, geometry, maps


def grid_patterns(net: nn.Sequential, lo: object, hi: object, n: int, *, chunk: int = 100_000) -> set[tuple[bool, ...]]:
    """Distinct activation patterns at the ``n x n`` grid of points spanning the box (corners included)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2 (grid points per side), got {n!r}")
    d_in, steps = _steps(net)
    if d_in != 2:
        raise ValueError(f"grid_patterns needs a net with 2-D input, got input dimension {d_in}")
    lo_, hi_ = _check_box(lo, hi)
    xs, ys = np.linspace(lo_[0], hi_[0], n), np.linspace(lo_[1], hi_[1], n)
    X = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1).reshape(-1, 2)
    packed = []
    for k in range(0, len(X), chunk):
        h = X[k:k + chunk]
        bits = []
        for s in steps:
            if s is None:
                on = h > 0
                bits.append(on)
                h = h * on
            else:
                h = h @ s[0].T + s[1]
        if not bits:
            return {()}
        packed.append(_unique_rows(_as_words(np.hstack(bits))))
    uniq = _unique_rows(np.vstack(packed))
    N = sum(hidden_widths(net))
    as_bits = np.unpackbits(uniq.view(np.uint8), axis=1)[:, :N]
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


def inradius(region: Region2D) -> float:
    """Radius of the largest disc inside a convex region (the best vertex of its Chebyshev-centre LP)."""
    if not isinstance(region, Region2D):
        raise TypeError(f"region must be a Region2D, got {type(region).__name__}")
    V = region.vertices
    E = np.roll(V, -1, axis=0) - V
    L = np.linalg.norm(E, axis=1)
    keep = L > 0
    if keep.sum() < 3:
        return 0.0
    n_in = np.stack([-E[keep, 1], E[keep, 0]], axis=1) / L[keep, None]  # inward normals (counter-clockwise)
    d = np.sum(n_in * V[keep], axis=1)
    # maximise r subject to n_i . x - r >= d_i: a linear program in (x, y, r) whose optimum is attained
    # where three constraints are tight, so try every triple (polygons here have few edges)
    tri = np.array(list(itertools.combinations(range(len(d)), 3)))
    M = np.concatenate([n_in[tri], -np.ones((len(tri), 3, 1))], axis=2)
    ok = np.abs(np.linalg.det(M)) > 1e-12
    sol = np.linalg.solve(M[ok], d[tri[ok]][..., None])[..., 0]
    slack = sol[:, :2] @ n_in.T - sol[:, 2:3] - d
    scale = float(np.abs(V).max()) + 1.0
    feasible = np.all(slack >= -1e-9 * scale, axis=1)
    if not feasible.any():
        return 0.0
    return float(max(sol[feasible, 2].max(), 0.0))


def interior_points(region: Region2D, n: int, *, seed: int = 0, shrink: float = 0.9) -> np.ndarray:
    """``n`` random points strictly inside a region (random convex combinations, pulled toward the centroid)."""
    if not isinstance(region, Region2D):
        raise TypeError(f"region must be a Region2D, got {type(region).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not (0 < shrink < 1):
        raise ValueError(f"shrink must be in (0, 1), got {shrink!r}")
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(len(region.vertices)), size=n)
    c = region.centroid
    return c + shrink * (w @ region.vertices - c)


def affine_map_at(net: nn.Sequential, x0: object) -> tuple[np.ndarray, np.ndarray]:
    """The affine map ``x -> M x + b`` built from the activation matrices at ``x0`` (homework 2.1)."""
    from . import nets

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


# ----------------------------------------------------------------------------- bounds


def _check_widths(widths: object, name: str = "widths") -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"{name} must be a sequence of positive ints (hidden widths), got {type(widths).__name__}")
    out = []
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w <= 0:
            raise ValueError(f"{name} must contain positive ints, got {w!r} in {list(widths)}")
        out.append(int(w))
    return out


def naive_bound(widths: Sequence[int]) -> int:
    """``2^N`` with ``N`` the total number of ReLU units: the number of possible activation patterns."""
    return 2 ** sum(_check_widths(widths))


def zaslavsky_count(m: int, d: int) -> int:
    """Regions cut from ``R^d`` by ``m`` hyperplanes in general position: ``sum_{i<=d} C(m, i)``."""
    for v, name in ((m, "m"), (d, "d")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a non-negative int, got {v!r}")
    return sum(math.comb(int(m), i) for i in range(int(d) + 1))


def serra_bound(n0: int, widths: Sequence[int]) -> int:
    """Serra et al. (2018) upper bound on the regions of a ReLU net with input dimension ``n0`` (form unverified)."""
    if isinstance(n0, bool) or not isinstance(n0, (int, np.integer)) or n0 < 1:
        raise ValueError(f"n0 must be a positive int (input dimension), got {n0!r}")
    ws = _check_widths(widths)

    def rec(layer: int, caps: int) -> int:
        # caps = min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}) so far
        if layer == len(ws):
            return 1
        n = ws[layer]
        return sum(math.comb(n, j) * rec(layer + 1, min(caps, n - j)) for j in range(min(caps, n) + 1))

    return rec(0, int(n0))


def univariate_bound(widths: Sequence[int]) -> int:
    """``prod_l (1 + m_l)``: regions of a univariate ReLU net (or of any net along a line)."""
    return math.prod(1 + w for w in _check_widths(widths))


def telgarsky_bound(widths: Sequence[int]) -> float:
    """``(2m/L)^L`` with ``m = sum of widths``, ``L`` layers: the bound quoted in the homework (>= prod 2 m_l)."""
    ws = _check_widths(widths)
    L = len(ws)
    if L == 0:
        return 1.0
    return (2.0 * sum(ws) / L) ** L


def montufar_lower_bound(n0: int, widths: Sequence[int]) -> int:
    """Montúfar et al. (2014) lower bound on the *maximal* number of regions (form unverified; widths >= n0)."""
    if isinstance(n0, bool) or not isinstance(n0, (int, np.integer)) or n0 < 1:
        raise ValueError(f"n0 must be a positive int (input dimension), got {n0!r}")
    ws = _check_widths(widths)
    if not ws or min(ws) < n0:
        raise ValueError(f"the bound needs at least one hidden layer and widths >= n0={n0}, got {ws}")
    return math.prod((w // n0) ** n0 for w in ws[:-1]) * sum(math.comb(ws[-1], j) for j in range(n0 + 1))


# ----------------------------------------------------------------------------- examples


def tent_net(depth: int, *, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Telgarsky's tent map ``m(x) = 2(s(x) - 2 s(x - 1/2) + s(x - 1))`` composed ``depth`` times, as a ReLU net."""
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    shifts = torch.tensor([0.0, -0.5, -1.0], dtype=dtype)
    combine = torch.tensor([[2.0, -4.0, 2.0]], dtype=dtype)
    layers: list[nn.Module] = []
    for i in range(depth):
        lin = nn.Linear(1 if i == 0 else 3, 3, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.ones(3, 1, dtype=dtype) if i == 0 else combine.repeat(3, 1))
            lin.bias.copy_(shifts)
        layers += [lin, nn.ReLU()]
    out = nn.Linear(3, 1, dtype=dtype)
    with torch.no_grad():
        out.weight.copy_(combine)
        out.bias.zero_()
    return nn.Sequential(*layers, out)


def arrangement_box(net: nn.Sequential, *, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """A box containing every crossing of the first layer's zero lines of a 2-D-input net, meeting every line."""
    d_in, steps = _steps(net)
    if d_in != 2 or steps[0] is None:
        raise ValueError("arrangement_box needs a net with 2-D input whose first layer is nn.Linear")
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin!r}")
    W, b = steps[0]
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


def expected_crossings_one_layer(start: object, end: object, *, d_in: int, bias: bool = True) -> float:
    """Probability that one first-layer unit of ``nets.relu_net`` switches along the segment: ``arccos(rho)/pi``."""
    if isinstance(d_in, bool) or not isinstance(d_in, (int, np.integer)) or d_in < 1:
        raise ValueError(f"d_in must be a positive int, got {d_in!r}")
    p, q = _point(start, d_in, "start"), _point(end, d_in, "end")
    # relu_net: w ~ N(0, 2/d_in I), b ~ N(0, 1/d_in); z(p) = w.p + b and z(q) are jointly Gaussian
    wv, bv = 2.0 / d_in, (1.0 / d_in if bias else 0.0)
    vp, vq, cov = wv * p @ p + bv, wv * q @ q + bv, wv * p @ q + bv
    if vp <= 0 or vq <= 0:
        return 0.5  # one endpoint has z = 0 surely; the other a symmetric sign
    rho = float(np.clip(cov / math.sqrt(vp * vq), -1.0, 1.0))
    return math.acos(rho) / math.pi


def two_moons(n: int, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-circles in the plane (the usual "two moons"), ``n`` points, labels 0/1."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be a non-negative standard deviation, got {noise!r}")
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
) -> tuple[list[nn.Sequential], list[float]]:
    """Train a copy of ``net`` with full-batch Adam on the logistic loss; return copies at ``snapshot_steps`` and losses."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    snaps = sorted(set(int(s) for s in snapshot_steps))
    if not snaps or snaps[0] < 0 or snaps[-1] > steps:
        raise ValueError(f"snapshot_steps must lie in [0, steps={steps}], got {list(snapshot_steps)}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    model = copy.deepcopy(net)
    dtype = next(model.parameters()).dtype
    X = torch.as_tensor(np.asarray(x), dtype=dtype)
    Y = torch.as_tensor(np.asarray(y), dtype=dtype).reshape(-1)
    if X.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"x must be (n, d) and y (n,), got {tuple(X.shape)} and {tuple(Y.shape)}")
    params = list(model.parameters())
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults, written out (constructing a
    out, losses = [], []                  # torch optimizer imports the compiler stack: seconds, for nothing)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny problems: thread start-up costs more than it saves on a busy machine
    try:
        for t in range(steps + 1):
            if t in snaps:
                out.append(copy.deepcopy(model))
            if t == steps:
                break
            loss = nn.functional.binary_cross_entropy_with_logits(model(X).reshape(-1), Y)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g, a, v in zip(params, grads, m1, m2):
                    a.mul_(beta1).add_(g, alpha=1 - beta1)
                    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                    step = lr / (1 - beta1 ** (t + 1))
                    p.addcdiv_(a, (v / (1 - beta2 ** (t + 1))).sqrt_().add_(eps), value=-step)
            losses.append(float(loss.detach()))
    finally:
        torch.set_num_threads(threads)
    return out, losses


# ----------------------------------------------------------------------------- drawing


def plot_regions(ax, regions: Sequence[Region2D], *, values: np.ndarray | None = None, cmap: str = "tab20",
                 seed: int = 0, edgecolor: str = "#333333", linewidth: float = 0.3, fill: bool = True,
                 rasterized: bool = True):
    """Draw 2-D regions as polygons: random qualitative colours, or coloured by ``values`` (one per region).

    Thousands of polygons make a heavy SVG, so the collection is rasterized by default (axes and labels
    stay vector).
    """
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection

    _check_regions(regions)
    if not all(isinstance(r, Region2D) for r in regions):
        raise TypeError("plot_regions draws Region2D objects (from regions_2d)")
    polys = [r.vertices for r in regions]
    if not fill:
        coll = PolyCollection(polys, facecolors="none", edgecolors=edgecolor, linewidths=linewidth)
    elif values is None:
        cm = colormaps[cmap]
        n = getattr(cm, "N", 20)
        idx = np.random.default_rng(seed).integers(0, n, size=len(polys))
        coll = PolyCollection(polys, facecolors=[cm(i % n) for i in idx], edgecolors=edgecolor, linewidths=linewidth)
    else:
        vals = np.asarray(values, dtype=float)
        if vals.shape != (len(polys),) or not np.all(np.isfinite(vals)):
            raise ValueError(f"values must be {len(polys)} finite numbers (one per region), got shape {vals.shape}")
        coll = PolyCollection(polys, array=vals, cmap=cmap, edgecolors=edgecolor, linewidths=linewidth)
    coll.set_rasterized(rasterized)
    ax.add_collection(coll)
    allv = np.vstack(polys)
    ax.set_xlim(allv[:, 0].min(), allv[:, 0].max())
    ax.set_ylim(allv[:, 1].min(), allv[:, 1].max())
    ax.set_aspect("equal")
    return coll
