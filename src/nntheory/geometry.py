"""Convex geometry for the book: convex hulls, minimum-norm points, distances, and convex polygons.

Used by ``clarke`` (a Clarke differential is a convex hull, its minimum-norm element a projection of
0) and by ``regions`` (activation regions of a 2-D-input net are convex polygons). Polygons are
``(k, 2)`` arrays of vertices in counter-clockwise order.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import ConvexHull, QhullError

from . import _validate as v

__all__ = [
    "hull_vertices_2d", "min_norm_point", "hull_distance", "hausdorff",
    "polygon_area", "polygon_centroid", "polygon_thickness", "split_polygon", "share_edge",
    "inradius", "interior_points",
]


# ----------------------------------------------------------------------------- hulls and projections


def hull_vertices_2d(points: object) -> np.ndarray:
    """Convex-hull vertices of 2-D points (counter-clockwise); a segment or a point when degenerate."""
    pts = np.unique(v.points(points, "points", 2), axis=0)
    if len(pts) <= 2:
        return pts
    try:
        return pts[ConvexHull(pts).vertices]
    except QhullError:
        # collinear: the hull is the segment between the two extreme points
        proj = pts @ (pts[-1] - pts[0])
        return pts[[int(np.argmin(proj)), int(np.argmax(proj))]]


def min_norm_point(points: object) -> np.ndarray:
    """The point of smallest Euclidean norm in the convex hull of the rows of ``points`` (0 projected on it).

    Exact in one and two dimensions (an interval; a polygon's edges); a quadratic program otherwise.
    """
    g = v.points(points, "points")
    if len(g) == 1:
        return g[0].copy()
    if g.shape[1] == 1:  # an interval: clip 0 into it
        return np.array([min(max(0.0, g.min()), g.max())])
    if g.shape[1] == 2:
        return _min_norm_polygon(hull_vertices_2d(g))
    g = np.unique(g, axis=0)  # repeated gradients make the QP degenerate, not different
    k = len(g)
    gram = g @ g.T
    res = minimize(lambda lam: lam @ gram @ lam, np.full(k, 1.0 / k), jac=lambda lam: 2.0 * gram @ lam,
                   bounds=[(0.0, 1.0)] * k, method="SLSQP", options={"ftol": 1e-15, "maxiter": 500},
                   constraints=[{"type": "eq", "fun": lambda lam: lam.sum() - 1.0, "jac": lambda lam: np.ones(k)}])
    lam = np.clip(res.x, 0.0, None)
    return (lam / lam.sum()) @ g


def _closest_on_segment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point of the segment [a, b] nearest the origin."""
    d = b - a
    dd = float(d @ d)
    t = 0.0 if dd == 0.0 else min(max(-float(a @ d) / dd, 0.0), 1.0)
    return a + t * d


def _min_norm_polygon(vs: np.ndarray) -> np.ndarray:
    """Exact min-norm point of a convex polygon (counter-clockwise vertices), a segment or a point."""
    if len(vs) == 1:
        return vs[0].copy()
    if len(vs) == 2:
        return _closest_on_segment(vs[0], vs[1])
    nxt = np.roll(vs, -1, axis=0)
    cross = (nxt[:, 0] - vs[:, 0]) * (-vs[:, 1]) - (nxt[:, 1] - vs[:, 1]) * (-vs[:, 0])
    if np.all(cross >= 0):  # the origin is inside (left of every edge)
        return np.zeros(2)
    return min((_closest_on_segment(a, b) for a, b in zip(vs, nxt)), key=lambda c: float(c @ c))


def hull_distance(point: object, points: object) -> float:
    """Euclidean distance from ``point`` to the convex hull of the rows of ``points``."""
    g = v.points(points, "points")
    p = v.vector(point, "point", g.shape[1])
    return float(np.linalg.norm(min_norm_point(g - p)))


def hausdorff(a: object, b: object) -> float:
    """Hausdorff distance between two finite point sets (rows), e.g. two lists of hull vertices."""
    pa = v.points(a, "a")
    pb = v.points(b, "b", pa.shape[1])
    d = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


# ----------------------------------------------------------------------------- convex polygons


def polygon_area(vs: np.ndarray) -> float:
    """Signed area of a polygon (positive when counter-clockwise), by the shoelace formula."""
    if len(vs) < 3:
        return 0.0
    x, y = vs[:, 0], vs[:, 1]
    return 0.5 * float(x[:-1] @ y[1:] - x[1:] @ y[:-1] + x[-1] * y[0] - x[0] * y[-1])


def polygon_centroid(vs: np.ndarray) -> np.ndarray:
    """Centroid of a polygon (the vertex mean if it has no area)."""
    x, y = vs[:, 0], vs[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-300:
        return vs.mean(axis=0)
    return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6.0 * a)


def polygon_thickness(vs: np.ndarray) -> float:
    """``2 * area / perimeter`` of a polygon: about its width for a sliver, its inradius for a triangle."""
    a = abs(polygon_area(vs))
    if a == 0.0:
        return 0.0
    e = np.diff(vs, axis=0)
    perimeter = float(np.sqrt((e * e).sum(axis=1)).sum()) + math.dist(vs[-1], vs[0])
    return 2.0 * a / perimeter


def split_polygon(rows: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Split a convex polygon by the sign of column ``j`` of its vertex rows (an affine function of the vertex).

    ``rows`` are ``[x, y, z_1, ..., z_n]`` per vertex; every column is affine on the polygon, so new
    vertices where column ``j`` crosses 0 are interpolated in every column (and column ``j`` set to 0).
    Returns the pieces where it is ``>= 0`` and ``<= 0``.
    """
    col = rows[:, j]
    pos, neg = [], []
    k = len(rows)
    for i in range(k):
        vi, vn = col[i], col[(i + 1) % k]
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


def share_edge(P: np.ndarray, Q: np.ndarray, eps: float) -> bool:
    """True if convex polygons P and Q have boundary segments on one line overlapping in length more than ``eps``."""
    for a, b in zip(P, np.roll(P, -1, axis=0)):
        e = b - a
        length = float(np.linalg.norm(e))
        if length <= eps:
            continue
        u = e / length
        on = np.abs((Q - a) @ np.array([-u[1], u[0]])) <= eps
        if on.sum() < 2:
            continue
        proj = (Q[on] - a) @ u
        if min(proj.max(), length) - max(proj.min(), 0.0) > eps:
            return True
    return False


def inradius(vs: np.ndarray) -> float:
    """Radius of the largest disc inside a convex polygon (the best vertex of its Chebyshev-centre LP)."""
    E = np.roll(vs, -1, axis=0) - vs
    lengths = np.linalg.norm(E, axis=1)
    keep = lengths > 0
    if keep.sum() < 3:
        return 0.0
    n_in = np.stack([-E[keep, 1], E[keep, 0]], axis=1) / lengths[keep, None]  # inward normals (counter-clockwise)
    d = np.sum(n_in * vs[keep], axis=1)
    # maximise r subject to n_i . x - r >= d_i: a linear program in (x, y, r) whose optimum is attained
    # where three constraints are tight, so try every triple (polygons here have few edges)
    tri = np.array(list(itertools.combinations(range(len(d)), 3)))
    M = np.concatenate([n_in[tri], -np.ones((len(tri), 3, 1))], axis=2)
    ok = np.abs(np.linalg.det(M)) > 1e-12
    sol = np.linalg.solve(M[ok], d[tri[ok]][..., None])[..., 0]
    slack = sol[:, :2] @ n_in.T - sol[:, 2:3] - d
    feasible = np.all(slack >= -1e-9 * (float(np.abs(vs).max()) + 1.0), axis=1)
    if not feasible.any():
        return 0.0
    return float(max(sol[feasible, 2].max(), 0.0))


def interior_points(vs: np.ndarray, n: int, *, seed: int = 0, shrink: float = 0.9) -> np.ndarray:
    """``n`` random points strictly inside a convex polygon (random convex combinations pulled toward the centroid)."""
    n = v.integer(n, "n", least=1)
    shrink = v.real(shrink, "shrink")
    if not 0 < shrink < 1:
        raise ValueError(f"shrink must be in (0, 1), got {shrink!r}")
    w = np.random.default_rng(seed).dirichlet(np.ones(len(vs)), size=n)
    c = polygon_centroid(vs)
    return c + shrink * (w @ vs - c)
