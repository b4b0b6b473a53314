"""Unit tests of nntheory.clarke against Clarke differentials known in closed form."""

import itertools
import math

import numpy as np
import pytest
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
import torch

from nntheory import clarke

relu = torch.relu


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (torch.abs, 0.0, (-1.0, 1.0)),
        (relu, 0.0, (0.0, 1.0)),
        (lambda t: -torch.abs(t), 0.0, (-1.0, 1.0)),
        (lambda t: torch.maximum(t, -2 * t), 0.0, (-2.0, 1.0)),
        (lambda t: relu(t) - relu(-t), 0.0, (1.0, 1.0)),
        (lambda t: relu(-t) + t, 0.0, (0.0, 1.0)),
        (torch.abs, 1.5, (1.0, 1.0)),
    ],
)
def test_clarke_interval_piecewise_linear(f, x, expected):
    lo, hi = clarke.clarke_interval(f, x, samples=201)
    assert lo == pytest.approx(expected[0], abs=1e-9)
    assert hi == pytest.approx(expected[1], abs=1e-9)


def test_clarke_interval_smooth_is_gradient():
    # C^1: the interval shrinks to {f'(x)}; error <= radius * sup|f''| = 1e-6 * 2
    lo, hi = clarke.clarke_interval(lambda t: t**2, 0.7)
    assert abs(lo - 1.4) <= 2e-6 and abs(hi - 1.4) <= 2e-6


def test_clarke_interval_x2sin():
    f = lambda t: t**2 * torch.sin(1 / t)  # noqa: E731
    lo, hi = clarke.clarke_interval(f, 0.0, samples=4001)
    assert lo < -0.99 and hi > 0.99 and lo >= -1 - 1e-5 and hi <= 1 + 1e-5


def test_clarke_interval_deterministic():
    f = lambda t: t**2 * torch.sin(1 / t)  # noqa: E731
    assert clarke.clarke_interval(f, 0.0, seed=3) == clarke.clarke_interval(f, 0.0, seed=3)


def test_autodiff_derivative_relu_zero():
    assert clarke.autodiff_derivative(relu, 0.0) == 0.0
    assert clarke.autodiff_derivative(lambda t: relu(-t) + t, 0.0) == 1.0


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(f=3.0, x=0.0), TypeError, "callable"),
        (dict(f=relu, x=[0.0, 1.0]), ValueError, "scalar"),
        (dict(f=relu, x=np.zeros((2, 2))), ValueError, "scalar"),
        (dict(f=relu, x=0.0, radius=0.0), ValueError, "radius"),
        (dict(f=relu, x=0.0, radius=-1e-3), ValueError, "radius"),
        (dict(f=relu, x=0.0, radius=float("nan")), ValueError, "radius"),
        (dict(f=relu, x=0.0, samples=1), ValueError, "samples"),
        (dict(f=relu, x=float("inf")), ValueError, "finite"),
        (dict(f=relu, x="zero"), TypeError, "real number"),
        (dict(f=lambda t: torch.stack([t, t]), x=0.0), ValueError, "scalar"),
        (dict(f=lambda t: 1.0, x=0.0), TypeError, "torch tensor"),
        (dict(f=lambda t: torch.log(t), x=-1.0), ValueError, "non-finite"),
    ],
)
def test_clarke_interval_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        clarke.clarke_interval(**kwargs)


def test_clarke_hull_max_is_segment():
    f = lambda w: torch.max(w)  # noqa: E731  max(x1, x2) at a tie: segment from e1 to e2
    verts = clarke.clarke_hull_2d(f, [0.5, 0.5], samples=400)
    assert verts.shape == (2, 2)
    assert {tuple(np.round(v, 9)) for v in verts} == {(1.0, 0.0), (0.0, 1.0)}


def test_clarke_hull_l1_is_square():
    f = lambda w: w.abs().sum()  # noqa: E731
    verts = clarke.clarke_hull_2d(f, [0.0, 0.0], samples=400)
    assert {tuple(np.round(v, 9)) for v in verts} == {(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)}


def test_clarke_samples_shape_and_bad_point():
    g = clarke.clarke_samples(lambda w: (w**2).sum(), [1.0, 2.0, 3.0], samples=10)
    assert g.shape == (10, 3) and np.allclose(g, [2, 4, 6], atol=1e-5)
    with pytest.raises(ValueError, match="R\\^2"):
        clarke.clarke_hull_2d(lambda w: w.sum(), [0.0, 0.0, 0.0])


def test_min_norm_element():
    assert np.allclose(clarke.min_norm_element(np.array([[1.0, 0.0], [0.0, 1.0]])), [0.5, 0.5], atol=1e-7)
    assert np.allclose(clarke.min_norm_element(np.array([[-1.0, 2.0], [1.0, 2.0]])), [0.0, 2.0], atol=1e-7)
    assert np.allclose(clarke.min_norm_element(np.array([[2.0, 1.0], [3.0, 1.0]])), [2.0, 1.0], atol=1e-7)
    with pytest.raises(ValueError, match="non-empty"):
        clarke.min_norm_element(np.zeros((0, 2)))


def test_subdifferential_interval():
    grid = np.linspace(-3, 3, 601)
    lo, hi = clarke.subdifferential_interval(abs, 0.0, grid)
    assert (lo, hi) == (-1.0, 1.0)
    assert clarke.subdifferential_interval(lambda t: -abs(t), 0.0, grid) is None
    # the lecture's M-shaped example 1 - ||x| - 1| has no supporting line at its peak -1 ...
    m = lambda t: 1.0 - abs(abs(t) - 1.0)  # noqa: E731
    assert clarke.subdifferential_interval(m, -1.0, grid) is None
    # ... and the lecture's two test points x' = -2 and x' = 1 already certify it
    assert clarke.subdifferential_interval(m, -1.0, np.array([-2.0, 1.0])) is None
    with pytest.raises(ValueError, match="both sides"):
        clarke.subdifferential_interval(abs, 5.0, grid)
    assert math.isfinite(clarke.subdifferential_interval(lambda t: t * t, 1.0, grid)[0])


# --- supporting lines -------------------------------------------------------------------------------


def test_supporting_gap_abs_is_a_tent():
    pts = np.arange(-300, 301) / 100.0
    slopes = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 1.5])
    gap = clarke.supporting_gap(abs, 0.0, slopes, pts)
    # min over x' in [-3, 3] of |x'| - s x' is 0 for |s| <= 1 and 3 (1 - |s|) otherwise
    assert np.allclose(gap, np.minimum(0.0, 3 * (1 - np.abs(slopes))), atol=1e-12)


def test_supporting_gap_negative_for_minus_abs():
    pts = np.linspace(-1, 1, 201)
    gap = clarke.supporting_gap(lambda t: -abs(t), 0.0, np.linspace(-3, 3, 61), pts)
    assert gap.max() == pytest.approx(-1.0)  # best slope 0 misses by 1 at x' = +-1


@pytest.mark.parametrize(
    "args, err, match",
    [
        ((3, 0.0, [0.0], [1.0]), TypeError, "callable"),
        ((abs, 0.0, [], [1.0]), ValueError, "slopes"),
        ((abs, 0.0, [0.0], [np.nan]), ValueError, "points"),
        ((abs, float("inf"), [0.0], [1.0]), ValueError, "x must"),
        ((abs, "0", [0.0], [1.0]), ValueError, "x must"),
    ],
)
def test_supporting_gap_bad_input(args, err, match):
    with pytest.raises(err, match=match):
        clarke.supporting_gap(*args)


def test_subdifferential_interval_bad_input():
    with pytest.raises(TypeError, match="callable"):
        clarke.subdifferential_interval(None, 0.0, [1.0, -1.0])
    with pytest.raises(ValueError, match="non-empty"):
        clarke.subdifferential_interval(abs, 0.0, [])


# --- autodiff versus Clarke --------------------------------------------------------------------------


def test_relu2_relu3_are_relu_with_other_autodiff_values():
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    assert torch.equal(clarke.relu2(x), torch.relu(x))
    assert torch.allclose(clarke.relu3(x), torch.relu(x), atol=1e-15, rtol=0)
    assert clarke.autodiff_derivative(clarke.relu2, 0.0) == 1.0
    assert clarke.autodiff_derivative(clarke.relu3, 0.0) == 0.5


def test_autodiff_table_flags():
    rows = clarke.autodiff_table(
        {
            "relu": torch.relu,
            "x": lambda t: torch.relu(t) - torch.relu(-t),
            "zero": lambda t: clarke.relu2(t) - torch.relu(t),
            "leaky": lambda t: torch.nn.functional.leaky_relu(t, 0.1),
        }
    )
    flags = {r["function"]: (r["autodiff"], r["clarke_lo"], r["clarke_hi"], r["inside"]) for r in rows}
    assert flags["relu"] == (0.0, 0.0, 1.0, True)
    assert flags["x"] == (0.0, 1.0, 1.0, False)
    assert flags["zero"] == (1.0, 0.0, 0.0, False)
    assert flags["leaky"][3] and flags["leaky"][0] == pytest.approx(0.1)


def test_autodiff_table_bad_input():
    with pytest.raises(TypeError, match="non-empty dict"):
        clarke.autodiff_table({})
    with pytest.raises(TypeError, match="non-empty dict"):
        clarke.autodiff_table([torch.relu])
    with pytest.raises(TypeError, match="names"):
        clarke.autodiff_table({1: torch.relu})


# --- hulls, distances, minimum-norm elements ----------------------------------------------------------


def test_hull_distance_known_values():
    seg = np.array([[-1.0, 0.0], [-0.1, 0.0]])
    assert clarke.hull_distance([0.0, 0.0], seg) == pytest.approx(0.1, abs=1e-12)
    assert clarke.hull_distance([-0.5, 0.0], seg) == pytest.approx(0.0, abs=1e-12)
    square = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    assert clarke.hull_distance([3.0, 0.0], square) == pytest.approx(2.0, abs=1e-12)
    assert clarke.hull_distance([2.0, 2.0], square) == pytest.approx(np.sqrt(2.0), abs=1e-12)
    cube = np.array([[a, b, c] for a in (0.0, 1.0) for b in (0.0, 1.0) for c in (0.0, 1.0)])
    assert clarke.hull_distance([2.0, 0.5, 0.5], cube) == pytest.approx(1.0, abs=1e-6)


def test_hull_distance_bad_input():
    with pytest.raises(ValueError, match="shape"):
        clarke.hull_distance([0.0, 0.0, 0.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        clarke.hull_distance([np.nan, 0.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        clarke.hull_distance([0.0, 0.0], np.zeros((0, 2)))


def test_min_norm_element_one_dimension_and_bad_values():
    assert clarke.min_norm_element(np.array([[2.0], [5.0], [3.0]]))[0] == 2.0
    assert clarke.min_norm_element(np.array([[-2.0], [5.0]]))[0] == 0.0
    assert clarke.min_norm_element(np.array([[-2.0], [-5.0]]))[0] == -2.0
    with pytest.raises(ValueError, match="NaN"):
        clarke.min_norm_element(np.array([[np.inf, 0.0]]))


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
    v = clarke.min_norm_element(p)
    tol_dist, tol_sq = _projection_tolerances(p)
    assert _distance_to_hull_2d(v, p) <= tol_dist
    assert v @ v <= _distance_to_hull_2d(np.zeros(2), p) ** 2 + tol_sq


def test_min_norm_element_2d_known_failure_case():
    # hypothesis found this: v = (2.98e-8, -2.98e-8) is in the hull to round-off, which an exact-equality
    # feasibility LP called infeasible
    p = np.array([(0.0, -2.0), (1.0, 0.0), (5.960464477539063e-08, 0.0), (-1.0, -1.0)])
    v = clarke.min_norm_element(p)
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


# --- batched sampling ---------------------------------------------------------------------------------


def test_clarke_samples_batched_matches_loop():
    f1 = lambda w: 0.5 * (w[0] - 2) ** 2 + torch.abs(w[1] - w[0])  # noqa: E731
    fb = lambda w: 0.5 * (w[..., 0] - 2) ** 2 + torch.abs(w[..., 1] - w[..., 0])  # noqa: E731
    a = clarke.clarke_samples(f1, [1.0, 1.0], radius=0.1, samples=50, seed=4)
    b = clarke.clarke_samples(fb, [1.0, 1.0], radius=0.1, samples=50, seed=4, batched=True)
    assert np.allclose(a, b, atol=1e-14, rtol=0)


def test_clarke_samples_batched_bad_input():
    with pytest.raises(ValueError, match="shape"):
        clarke.clarke_samples(lambda w: w.sum(), [0.0, 0.0], samples=5, batched=True)
    with pytest.raises(TypeError, match="batched"):
        clarke.clarke_samples(lambda w: w.sum(), [0.0, 0.0], samples=5, batched=1)
    with pytest.raises(ValueError, match="non-finite"):
        clarke.clarke_samples(lambda w: torch.log(w[..., 0]), [-1.0, 0.0], samples=5, batched=True)


# --- the minimum-norm flow ----------------------------------------------------------------------------


def _l1(w):
    return w[..., 0].abs() + 2 * w[..., 1].abs()


@pytest.mark.parametrize("adaptive", [False, True])
def test_min_norm_flow_l1_slides_and_descends(adaptive):
    """|w1| + 2|w2| from (1, 1): w = (1 - t, 1 - 2t) until t = 1/2, then slides along w2 = 0."""
    h = 0.01
    ws, vs, radii = clarke.min_norm_flow(_l1, [1.0, 1.0], step=h, steps=80, radius=2 * h * np.sqrt(5),
                                         samples=32, batched=True, adaptive=adaptive)
    assert ws.shape == (81, 2) and vs.shape == (80, 2) and radii.shape == (80,)
    assert np.allclose(ws[0], [1.0, 1.0])
    vn = np.linalg.norm(vs, axis=1)
    assert np.all(h * vn <= radii + 1e-15)
    r = _l1(torch.tensor(ws)).numpy()
    assert np.all(np.diff(r) <= 1e-12)  # piecewise linear: sampled hull is exact, descent is exact
    assert np.linalg.norm(ws[-1] - [0.2, 0.0]) <= 2 * radii.max()
    assert np.allclose(vs[:40], [1.0, 2.0], atol=1e-9)  # before the kink: the gradient itself


def test_min_norm_flow_batched_matches_loop():
    f1 = lambda w: w[0].abs() + 2 * w[1].abs()  # noqa: E731
    a = clarke.min_norm_flow(f1, [1.0, 1.0], step=0.05, steps=15, radius=0.2, samples=16)
    b = clarke.min_norm_flow(_l1, [1.0, 1.0], step=0.05, steps=15, radius=0.2, samples=16, batched=True)
    for x, y in zip(a, b):
        assert np.allclose(x, y, atol=1e-12)


def test_min_norm_flow_smooth_is_gradient_descent():
    f = lambda w: 0.5 * (w**2).sum()  # noqa: E731  gradient w; min-norm over a tiny ball ~ w
    ws, _, _ = clarke.min_norm_flow(f, [1.0, -2.0], step=0.1, steps=10, radius=1e-9, samples=8)
    assert np.allclose(ws[-1], 0.9**10 * np.array([1.0, -2.0]), atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(step=0.0), ValueError, "step"),
        (dict(step="0.1"), TypeError, "step"),
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(radius=-1.0), ValueError, "radius"),
        (dict(adaptive="yes"), TypeError, "adaptive"),
        (dict(w0=[[0.0, 1.0]]), ValueError, "1-d"),
    ],
)
def test_min_norm_flow_bad_input(kwargs, err, match):
    args = dict(w0=[1.0, 1.0], step=0.1, steps=3, radius=0.1)
    args.update(kwargs)
    with pytest.raises(err, match=match):
        clarke.min_norm_flow(_l1, args.pop("w0"), **args)


# --- exact cone gradients of a small ReLU net -----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cone_gradients_match_sampled_hull(seed):
    from nntheory import nets

    net = nets.relu_net([2, 5, 1], seed=seed)
    exact = clarke.hull_vertices_2d(clarke.cone_gradients_2d(net))
    sampled = clarke.clarke_hull_2d(lambda x: net(x)[..., 0], [0.0, 0.0], samples=3000, batched=True)
    assert len(exact) == len(sampled) and clarke.hausdorff(exact, sampled) < 1e-8


def test_cone_gradients_bad_input():
    from nntheory import nets

    with pytest.raises(ValueError, match="one-hidden-layer"):
        clarke.cone_gradients_2d(nets.relu_net([2, 3, 3, 1]))
    with pytest.raises(ValueError, match="one-hidden-layer"):
        clarke.cone_gradients_2d(nets.relu_net([3, 3, 1]))
    with pytest.raises(ValueError, match="bias"):
        clarke.cone_gradients_2d(nets.relu_net([2, 3, 1], bias=True))
    with pytest.raises(TypeError):
        clarke.cone_gradients_2d("net")


def test_clarke_hull_2d_batched_matches_loop():
    from nntheory import nets

    net = nets.relu_net([2, 4, 1], seed=5)
    a = clarke.clarke_hull_2d(lambda x: net(x).reshape(()), [0.0, 0.0], samples=300)
    b = clarke.clarke_hull_2d(lambda x: net(x)[..., 0], [0.0, 0.0], samples=300, batched=True)
    assert np.array_equal(a, b)


def test_hausdorff():
    a = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert clarke.hausdorff(a, a[::-1]) == 0.0
    assert clarke.hausdorff(a, np.array([[0.0, 0.0]])) == 1.0  # (1, 0) is 1 away from the single point
    assert clarke.hausdorff(a, a + [0.0, 0.5]) == 0.5
    with pytest.raises(ValueError, match="same d"):
        clarke.hausdorff(a, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        clarke.hausdorff(a, np.zeros((0, 2)))


def test_as_float64_and_argument_checks_name_the_argument():
    assert clarke.as_float64([1, 2]).dtype == torch.float64
    with pytest.raises(TypeError, match="w must be a real number"):
        clarke.as_float64("a", "w")
    with pytest.raises(ValueError, match="step must be a positive finite float"):
        clarke.min_norm_flow(lambda w: w.abs().sum(), [1.0, 1.0], step=0.0, steps=3, radius=1e-3)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        clarke.min_norm_flow(lambda w: w.abs().sum(), [1.0, 1.0], step=0.1, steps=0, radius=1e-3)
