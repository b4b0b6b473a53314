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
    "inradius", "interior_points", "INRADIUS_SLACK",
]

#: Relative slack with which ``inradius`` accepts a vertex of its linear program whose constraints fail by round-off
#: (times the scale ``max |vertex| + 1``).
INRADIUS_SLACK = 1e-9


# ----------------------------------------------------------------------------- hulls and projections


def hull_vertices_2d(points: object) -> np.ndarray:
    """Convex-hull vertices of 2-D points (counter-clockwise); a segment or a point when degenerate.

    Parameters
    ----------
    points : array_like of shape (k, 2)
        Finite points in the plane, one per row, ``k >= 1``; repeated points are allowed.

    Returns
    -------
    numpy.ndarray of shape (m, 2)
        The hull's vertices in counter-clockwise order (``m >= 3``); for collinear points the two end
        points of the segment (``m = 2``), for a single distinct point that point (``m = 1``).

    Raises
    ------
    TypeError
        If ``points`` is not an array of real numbers.
    ValueError
        If ``points`` is empty, has NaN/infinite entries, or is not of shape ``(k, 2)``.

    Examples
    --------
    >>> from nntheory import geometry
    >>> geometry.hull_vertices_2d([[0, 0], [2, 0], [2, 1], [0, 1], [1, 0.5]]).tolist()   # interior point dropped
    [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]]
    >>> geometry.hull_vertices_2d([[0, 0], [1, 1], [2, 2]]).tolist()   # collinear: a segment
    [[0.0, 0.0], [2.0, 2.0]]
    >>> geometry.hull_vertices_2d([[1, 2, 3]])
    Traceback (most recent call last):
    ...
    ValueError: points must have shape (n, 2), got (1, 3)
    """
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
    r"""The point of smallest Euclidean norm in the convex hull of the rows of ``points`` (0 projected on it).

    Exact in one and two dimensions (an interval; a polygon's edges); a quadratic program otherwise.

    For the gradients :math:`g_1, \dots, g_k` of a Clarke differential this is the min-norm subgradient
    :math:`\arg\min\{\|g\| : g \in \mathrm{conv}\{g_1, \dots, g_k\}\}`, which is 0 exactly at Clarke
    critical points. In three or more dimensions the quadratic program over the convex weights is
    solved by SLSQP, so the result is approximate (to the solver's tolerance).

    Parameters
    ----------
    points : array_like of shape (k, d)
        Finite points, one per row, ``k >= 1``, ``d >= 1``.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The min-norm point of the hull (the zero vector when the hull contains 0).

    Raises
    ------
    TypeError
        If ``points`` is not an array of real numbers.
    ValueError
        If ``points`` is not 2-D, is empty, or has NaN/infinite entries.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import geometry
    >>> geometry.min_norm_point([[-1.0], [2.0]]).tolist()         # the interval [-1, 2] contains 0
    [0.0]
    >>> geometry.min_norm_point([[1, 1], [1, -1]]).tolist()       # the segment's midpoint
    [1.0, 0.0]
    >>> np.round(geometry.min_norm_point([[1, 1, 1], [1, -1, 1]]), 6).tolist()
    [1.0, 0.0, 1.0]
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
    r"""Euclidean distance from ``point`` to the convex hull of the rows of ``points``.

    Computed as the norm of the min-norm point of the translated hull, ``min_norm_point(points - point)``.

    Parameters
    ----------
    point : array_like of shape (d,)
        A finite point.
    points : array_like of shape (k, d)
        Finite points, one per row, ``k >= 1``, of the same dimension ``d``.

    Returns
    -------
    float
        :math:`\mathrm{dist}(p, \mathrm{conv}\{g_1, \dots, g_k\}) \ge 0`; 0 when ``point`` is in the hull.

    Raises
    ------
    TypeError
        If ``point`` or ``points`` is not an array of real numbers.
    ValueError
        If ``points`` is not 2-D or is empty, ``point`` does not have length ``d``, or an entry is NaN or infinite.

    Examples
    --------
    >>> from nntheory import geometry
    >>> geometry.hull_distance([0, 0], [[1, 1], [1, -1]])
    1.0
    >>> geometry.hull_distance([1, 0.5], [[1, 1], [1, -1]])      # on the segment
    0.0
    """
    g = v.points(points, "points")
    p = v.vector(point, "point", g.shape[1])
    return float(np.linalg.norm(min_norm_point(g - p)))


def hausdorff(a: object, b: object) -> float:
    r"""Hausdorff distance between two finite point sets (rows), e.g. two lists of hull vertices.

    :math:`d_H(A, B) = \max\{\max_{a\in A}\min_{b\in B}\|a - b\|,\ \max_{b\in B}\min_{a\in A}\|a - b\|\}`.

    Parameters
    ----------
    a : array_like of shape (k, d)
        First point set, one point per row, finite and non-empty.
    b : array_like of shape (m, d)
        Second point set, finite and non-empty, of the same dimension ``d``.

    Returns
    -------
    float
        The Hausdorff distance of the two finite sets.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not an array of real numbers.
    ValueError
        If a set is not 2-D, is empty or has NaN/infinite entries, or the dimensions differ.

    Examples
    --------
    >>> from nntheory import geometry
    >>> geometry.hausdorff([[0, 0], [1, 0]], [[0, 0], [1, 0], [1, 3]])   # (1, 3) is 3 away from a
    3.0
    """
    pa = v.points(a, "a")
    pb = v.points(b, "b", pa.shape[1])
    d = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


# ----------------------------------------------------------------------------- convex polygons


def polygon_area(vs: np.ndarray) -> float:
    r"""Signed area of a polygon (positive when counter-clockwise), by the shoelace formula.

    :math:`A = \frac12\sum_i (x_i y_{i+1} - x_{i+1} y_i)`, indices mod ``k``.

    Parameters
    ----------
    vs : numpy.ndarray of shape (k, 2)
        Vertices of the polygon in order around it, one per row (not validated: a float numpy array).

    Returns
    -------
    float
        The signed area; 0 for fewer than 3 vertices.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import geometry
    >>> rect = np.array([[0, 0], [2, 0], [2, 1], [0, 1.0]])
    >>> geometry.polygon_area(rect), geometry.polygon_area(rect[::-1])
    (2.0, -2.0)
    """
    if len(vs) < 3:
        return 0.0
    x, y = vs[:, 0], vs[:, 1]
    return 0.5 * float(x[:-1] @ y[1:] - x[1:] @ y[:-1] + x[-1] * y[0] - x[0] * y[-1])


def polygon_centroid(vs: np.ndarray) -> np.ndarray:
    """Centroid of a polygon (the vertex mean if it has no area).

    Parameters
    ----------
    vs : numpy.ndarray of shape (k, 2)
        Vertices of the polygon in order around it, one per row (not validated: a float numpy array).

    Returns
    -------
    numpy.ndarray of shape (2,)
        The centroid of the enclosed region (either orientation); the mean of the vertices if the
        signed area is 0.
    """
    x, y = vs[:, 0], vs[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-300:
        return vs.mean(axis=0)
    return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6.0 * a)


def polygon_thickness(vs: np.ndarray) -> float:
    r"""``2 * area / perimeter`` of a polygon: about its width for a sliver, its inradius for a triangle.

    For a polygon with an inscribed circle touching every edge (a triangle, a square) it equals the
    inradius; for any convex polygon it is at least :func:`inradius`.

    Parameters
    ----------
    vs : numpy.ndarray of shape (k, 2)
        Vertices of the polygon in order around it, one per row (not validated: a float numpy array).

    Returns
    -------
    float
        :math:`2|A|/P \ge 0`, with :math:`A` the area and :math:`P` the perimeter; 0 for a polygon of no area.
    """
    a = abs(polygon_area(vs))
    if a == 0.0:
        return 0.0
    e = np.diff(vs, axis=0)
    perimeter = float(np.sqrt((e * e).sum(axis=1)).sum()) + math.dist(vs[-1], vs[0])
    return 2.0 * a / perimeter


def split_polygon(rows: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Split a convex polygon by the sign of column ``j`` of its vertex rows (an affine function of the vertex).

    ``rows`` are ``[x, y, z_1, ..., z_n]`` per vertex; every column is affine on the polygon, so new
    vertices where column ``j`` crosses 0 are interpolated in every column (and column ``j`` set to 0).
    Returns the pieces where it is ``>= 0`` and ``<= 0``.

    In :mod:`nntheory.regions` the ``z`` columns are a net's pre-activations, so splitting by a unit's
    column cuts an activation region along that unit's hyperplane.

    Parameters
    ----------
    rows : numpy.ndarray of shape (k, m)
        One row per vertex of a convex polygon, in order around it (not validated), ``m >= 3``.
    j : int
        The column whose sign splits the polygon (any column index; ``j >= 2`` for a ``z`` column).

    Returns
    -------
    pos : numpy.ndarray
        The vertex rows, in the same cyclic order, of the piece where column ``j`` is ``>= 0``.
    neg : numpy.ndarray
        The same for ``<= 0``. Vertices where the column is exactly 0 belong to both. A piece can be
        degenerate (one or two rows, when the polygon only touches the line), and a piece with no
        vertex is an empty array of shape ``(0,)``, not ``(0, m)``.

    Examples
    --------
    Cut the rectangle :math:`[0, 2] \times [0, 1]` along :math:`x = 1` (column 2 holds :math:`z = x - 1`):

    >>> import numpy as np
    >>> from nntheory import geometry
    >>> rect = np.array([[0, 0], [2, 0], [2, 1], [0, 1.0]])
    >>> rows = np.column_stack([rect, rect[:, 0] - 1])
    >>> pos, neg = geometry.split_polygon(rows, 2)
    >>> pos[:, :2].tolist()
    [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0]]
    >>> geometry.polygon_area(neg[:, :2])
    1.0
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
    """True if convex polygons P and Q have boundary segments on one line overlapping in length more than ``eps``.

    Parameters
    ----------
    P : numpy.ndarray of shape (k, 2)
        Vertices of the first convex polygon in order around it (not validated).
    Q : numpy.ndarray of shape (m, 2)
        Vertices of the second convex polygon (not validated).
    eps : float
        Tolerance, in the units of the coordinates: vertices of ``Q`` within ``eps`` of a line through an edge
        of ``P`` count as on it, edges of ``P`` not longer than ``eps`` are ignored, and the overlap must
        exceed ``eps``.

    Returns
    -------
    bool
        Whether the polygons are neighbours across an edge (touching at a corner is not enough).

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import geometry
    >>> sq = np.array([[0, 0], [1, 0], [1, 1], [0, 1.0]])
    >>> geometry.share_edge(sq, sq + [1, 0.5], 1e-9), geometry.share_edge(sq, sq + [1, 1], 1e-9)
    (True, False)
    """
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
    r"""Radius of the largest disc inside a convex polygon (the best vertex of its Chebyshev-centre LP).

    With inward unit normals :math:`n_i` and offsets :math:`d_i` of the edges, it maximizes :math:`r`
    subject to :math:`n_i \cdot c - r \ge d_i` by trying every triple of edges, :math:`O(k^3)` work.

    Parameters
    ----------
    vs : numpy.ndarray of shape (k, 2)
        Vertices of a convex polygon in **counter-clockwise** order (not validated; in clockwise order
        the normals point outwards and the result is 0.0). Repeated vertices are allowed.

    Returns
    -------
    float
        The inradius :math:`\ge 0`; 0 when fewer than 3 edges have positive length.

    Examples
    --------
    The 3-4-5 right triangle has inradius :math:`(3 + 4 - 5)/2 = 1`:

    >>> import numpy as np
    >>> from nntheory import geometry
    >>> tri = np.array([[0, 0], [4, 0], [0, 3.0]])
    >>> round(geometry.inradius(tri), 6), round(geometry.polygon_thickness(tri), 6)
    (1.0, 1.0)
    >>> rect = np.array([[0, 0], [2, 0], [2, 1], [0, 1.0]])
    >>> round(geometry.inradius(rect), 6), round(geometry.polygon_thickness(rect), 6)
    (0.5, 0.666667)
    """
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
    feasible = np.all(slack >= -INRADIUS_SLACK * (float(np.abs(vs).max()) + 1.0), axis=1)
    if not feasible.any():
        return 0.0
    return float(max(sol[feasible, 2].max(), 0.0))


def interior_points(vs: np.ndarray, n: int, *, seed: int = 0, shrink: float = 0.9) -> np.ndarray:
    r"""``n`` random points strictly inside a convex polygon (random convex combinations pulled toward the centroid).

    Each point is :math:`c + s(\sum_i \lambda_i v_i - c)` with :math:`\lambda` uniform on the simplex
    (Dirichlet(1, ..., 1)), :math:`c` the centroid and :math:`s` = ``shrink``; the points are not uniform
    in the polygon.

    Parameters
    ----------
    vs : numpy.ndarray of shape (k, 2)
        Vertices of a convex polygon with positive area (not validated).
    n : int
        Number of points, ``>= 1``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng`` (passed on unchecked).
    shrink : float, default 0.9
        Pull toward the centroid, a real in the open interval ``(0, 1)``.

    Returns
    -------
    numpy.ndarray of shape (n, 2)
        The points.

    Raises
    ------
    TypeError
        If ``n`` is not an int or ``shrink`` not a real number.
    ValueError
        If ``n < 1`` or ``shrink`` is not in ``(0, 1)``.
    """
    n = v.integer(n, "n", least=1)
    shrink = v.real(shrink, "shrink")
    if not 0 < shrink < 1:
        raise ValueError(f"shrink must be in (0, 1), got {shrink!r}")
    w = np.random.default_rng(seed).dirichlet(np.ones(len(vs)), size=n)
    c = polygon_centroid(vs)
    return c + shrink * (w @ vs - c)
