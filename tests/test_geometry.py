"""Unit tests of nntheory.geometry: hulls, minimum-norm points, distances and convex polygons."""

import itertools

import numpy as np
import pytest
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st

from nntheory import geometry


def test_min_norm_element():
    assert np.allclose(geometry.min_norm_point(np.array([[1.0, 0.0], [0.0, 1.0]])), [0.5, 0.5], atol=1e-7)
    assert np.allclose(geometry.min_norm_point(np.array([[-1.0, 2.0], [1.0, 2.0]])), [0.0, 2.0], atol=1e-7)
    assert np.allclose(geometry.min_norm_point(np.array([[2.0, 1.0], [3.0, 1.0]])), [2.0, 1.0], atol=1e-7)
    with pytest.raises(ValueError, match="non-empty"):
        geometry.min_norm_point(np.zeros((0, 2)))

def test_hull_distance_known_values():
    seg = np.array([[-1.0, 0.0], [-0.1, 0.0]])
    assert geometry.hull_distance([0.0, 0.0], seg) == pytest.approx(0.1, abs=1e-12)
    assert geometry.hull_distance([-0.5, 0.0], seg) == pytest.approx(0.0, abs=1e-12)
    square = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    assert geometry.hull_distance([3.0, 0.0], square) == pytest.approx(2.0, abs=1e-12)
    assert geometry.hull_distance([2.0, 2.0], square) == pytest.approx(np.sqrt(2.0), abs=1e-12)
    cube = np.array([[a, b, c] for a in (0.0, 1.0) for b in (0.0, 1.0) for c in (0.0, 1.0)])
    assert geometry.hull_distance([2.0, 0.5, 0.5], cube) == pytest.approx(1.0, abs=1e-6)


def test_hull_distance_bad_input():
    with pytest.raises(ValueError, match="shape"):
        geometry.hull_distance([0.0, 0.0, 0.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        geometry.hull_distance([np.nan, 0.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        geometry.hull_distance([0.0, 0.0], np.zeros((0, 2)))


def test_min_norm_element_one_dimension_and_bad_values():
    assert geometry.min_norm_point(np.array([[2.0], [5.0], [3.0]]))[0] == 2.0
    assert geometry.min_norm_point(np.array([[-2.0], [5.0]]))[0] == 0.0
    assert geometry.min_norm_point(np.array([[-2.0], [-5.0]]))[0] == -2.0
    with pytest.raises(ValueError, match="NaN"):
        geometry.min_norm_point(np.array([[np.inf, 0.0]]))


def _distance_to_hull_2d(v: np.ndarray, p: np.ndarray) -> float:
    """Distance from v to conv(p), by brute force and sharing no code with clarke's polygon routines.

    conv(p) is the union of the triangles on triples of points (Caratheodory), and when v lies outside
    it the nearest point is on an edge, i.e. on a segment between two of the points: so the distance is
    0 if v is strictly inside a triangle, and otherwise the least distance to the segments between pairs.
    """
    def seg(a, b):
        d = b - a
        t = 0.0 if d @ d == 0 else np.clip((v - a) @ d / (d @ d), 0.0, 1.0)
        return float(np.linalg.norm(v - (a + t * d)))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    for a, b, c in itertools.combinations(p, 3):
        s = [cross(a, b, v), cross(b, c, v), cross(c, a, v)]
        if min(s) > 0 or max(s) < 0:
            return 0.0
    pairs = itertools.combinations(p, 2) if len(p) > 1 else [(p[0], p[0])]
    return min(seg(a, b) for a, b in pairs)


def _projection_tolerances(p: np.ndarray) -> tuple[float, float]:
    """Round-off bounds (distance, squared norm) for a min-norm point of conv(p) computed in float64.

    The computed point is fl(a + t fl(b - a)) on a segment [a, b] (or 0); each coordinate carries at most
    about 5 roundings of numbers of size <= 2M, M = max(1, max |p_ij|), so it lies within delta = 8 u M
    (u = 2^-53, sqrt 2 for the two coordinates) of a point of the segment. The brute-force distance has
    the same error, so distances agree to 2 delta; a squared norm |x + e|^2 - |x|^2 <= 2 |x| |e| + |e|^2
    with |x| <= sqrt(2) M gives 2 * 2 sqrt(2) M delta < 64 u M^2 for the two computations together.
    """
    u, m = np.finfo(float).eps / 2, max(1.0, float(np.abs(p).max()))
    return 16 * u * m, 64 * u * m**2


@examples(60)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=12))
def test_min_norm_element_2d_is_the_projection_of_zero(pts):
    """v = P_C(0) for C = conv(pts): v lies in C and no point of C is shorter, both to round-off."""
    p = np.array(pts, dtype=float)
    v = geometry.min_norm_point(p)
    tol_dist, tol_sq = _projection_tolerances(p)
    assert _distance_to_hull_2d(v, p) <= tol_dist
    assert v @ v <= _distance_to_hull_2d(np.zeros(2), p) ** 2 + tol_sq


def test_min_norm_element_2d_known_failure_case():
    # hypothesis found this: v = (2.98e-8, -2.98e-8) is in the hull to round-off, which an exact-equality
    # feasibility LP called infeasible
    p = np.array([(0.0, -2.0), (1.0, 0.0), (5.960464477539063e-08, 0.0), (-1.0, -1.0)])
    v = geometry.min_norm_point(p)
    tol_dist, tol_sq = _projection_tolerances(p)
    assert _distance_to_hull_2d(v, p) <= tol_dist
    assert v @ v <= _distance_to_hull_2d(np.zeros(2), p) ** 2 + tol_sq


def test_min_norm_tolerances_reject_a_wrong_projection():
    # negative control: the nearest vertex instead of the nearest point of the edge fails the norm check
    p = np.array([(1.0, -1.0), (1.0, 1.0)])
    tol_dist, tol_sq = _projection_tolerances(p)
    v = p[0]
    assert _distance_to_hull_2d(v, p) <= tol_dist
    assert not v @ v <= _distance_to_hull_2d(np.zeros(2), p) ** 2 + tol_sq

def test_hausdorff():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert geometry.hausdorff(a, a[::-1]) == 0.0
    assert geometry.hausdorff(a, np.array([[0.0, 0.0]])) == 1.0  # (1, 0) is 1 away from the single point
    assert geometry.hausdorff(a, a + [0.0, 0.5]) == 0.5
    with pytest.raises(ValueError, match=r"b must have shape \(n, 2\)"):
        geometry.hausdorff(a, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        geometry.hausdorff(a, np.zeros((0, 2)))


def test_polygon_area_centroid_thickness():
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    assert geometry.polygon_area(square) == 4.0 and geometry.polygon_area(square[::-1]) == -4.0
    np.testing.assert_allclose(geometry.polygon_centroid(square), [1.0, 1.0])
    assert geometry.polygon_thickness(square) == pytest.approx(1.0)  # 2 * 4 / 8
    tri = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    assert geometry.polygon_thickness(tri) == pytest.approx(1.0)  # the inradius (3 + 4 - 5) / 2
    assert geometry.inradius(tri) == pytest.approx(1.0, abs=1e-12)
    assert geometry.inradius(square) == pytest.approx(1.0, abs=1e-12)


def test_split_polygon_and_shared_edges():
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    rows = np.hstack([square, (square[:, 0] - 1.0)[:, None]])  # column 2: x - 1, zero on the line x = 1
    pos, neg = geometry.split_polygon(rows, 2)
    assert geometry.polygon_area(pos[:, :2]) == pytest.approx(2.0) and geometry.polygon_area(neg[:, :2]) == pytest.approx(2.0)
    assert np.all(pos[:, 2] >= 0) and np.all(neg[:, 2] <= 0)
    assert geometry.share_edge(pos[:, :2], neg[:, :2], 1e-12)
    far = square + [5.0, 0.0]
    assert not geometry.share_edge(square, far, 1e-12)
    corner = square + [2.0, 2.0]  # touches at one vertex only: no edge of positive length
    assert not geometry.share_edge(square, corner, 1e-12)


def test_interior_points_are_inside():
    tri = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    pts = geometry.interior_points(tri, 200, seed=1)
    assert pts.shape == (200, 2)
    assert np.all(pts[:, 0] > 0) and np.all(pts[:, 1] > 0) and np.all(4 * pts[:, 0] + 3 * pts[:, 1] < 12)
    with pytest.raises(ValueError, match="shrink"):
        geometry.interior_points(tri, 3, shrink=1.0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        geometry.interior_points(tri, 0)
