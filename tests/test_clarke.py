"""Unit tests of nntheory.clarke against Clarke differentials known in closed form."""

import itertools
import math

import numpy as np
import pytest
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
import torch

from nntheory import clarke, geometry

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
        ((abs, float("inf"), [0.0], [1.0]), ValueError, "x must be finite"),
        ((abs, "0", [0.0], [1.0]), TypeError, "x must be a real number"),
    ],
)
def test_supporting_gap_bad_input(args, err, match):
    with pytest.raises(err, match=match):
        clarke.supporting_gap(*args)


def test_subdifferential_interval_bad_input():
    with pytest.raises(TypeError, match="callable"):
        clarke.subdifferential_interval(None, 0.0, [1.0, -1.0])
    with pytest.raises(ValueError, match="both sides"):
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
    run = clarke.min_norm_flow(_l1, [1.0, 1.0], lr=h, steps=80, radius=2 * h * np.sqrt(5),
                               samples=32, batched=True, adaptive=adaptive)
    ws, vs, radii = run.w, run.v, run.radius
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
    a = clarke.min_norm_flow(f1, [1.0, 1.0], lr=0.05, steps=15, radius=0.2, samples=16)
    b = clarke.min_norm_flow(_l1, [1.0, 1.0], lr=0.05, steps=15, radius=0.2, samples=16, batched=True)
    for x, y in ((a.w, b.w), (a.v, b.v), (a.radius, b.radius)):
        assert np.allclose(x, y, atol=1e-12)


def test_min_norm_flow_smooth_is_gradient_descent():
    f = lambda w: 0.5 * (w**2).sum()  # noqa: E731  gradient w; min-norm over a tiny ball ~ w
    ws = clarke.min_norm_flow(f, [1.0, -2.0], lr=0.1, steps=10, radius=1e-9, samples=8).w
    assert np.allclose(ws[-1], 0.9**10 * np.array([1.0, -2.0]), atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr="0.1"), TypeError, "lr"),
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(radius=-1.0), ValueError, "radius"),
        (dict(adaptive="yes"), TypeError, "adaptive"),
        (dict(w0=[[0.0, 1.0]]), ValueError, "1-d"),
    ],
)
def test_min_norm_flow_bad_input(kwargs, err, match):
    args = dict(w0=[1.0, 1.0], lr=0.1, steps=3, radius=0.1)
    args.update(kwargs)
    with pytest.raises(err, match=match):
        clarke.min_norm_flow(_l1, args.pop("w0"), **args)


# --- exact cone gradients of a small ReLU net -----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cone_gradients_match_sampled_hull(seed):
    from nntheory import nets

    net = nets.relu_net([2, 5, 1], seed=seed)
    exact = geometry.hull_vertices_2d(clarke.cone_gradients_2d(net))
    sampled = clarke.clarke_hull_2d(lambda x: net(x)[..., 0], [0.0, 0.0], samples=3000, batched=True)
    assert len(exact) == len(sampled) and geometry.hausdorff(exact, sampled) < 1e-8


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


def test_argument_checks_name_the_argument():
    with pytest.raises(TypeError, match="x must be a real number or array"):
        clarke.clarke_samples(lambda w: w.sum(), "a")
    with pytest.raises(ValueError, match="lr must be > 0"):
        clarke.min_norm_flow(lambda w: w.abs().sum(), [1.0, 1.0], lr=0.0, steps=3, radius=1e-3)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        clarke.min_norm_flow(lambda w: w.abs().sum(), [1.0, 1.0], lr=0.1, steps=0, radius=1e-3)


# --- Goldstein versus Clarke, directional derivatives, inclusion residuals ------------------------------


def test_clarke_interval_is_goldstein_near_a_kink():
    # relu at 5e-7: the ball of radius 1e-6 crosses the kink, the ball of radius 1e-7 does not
    assert clarke.clarke_interval(relu, 5e-7, radius=1e-6, samples=201) == (0.0, 1.0)
    assert clarke.clarke_interval(relu, 5e-7, radius=1e-7, samples=201) == (1.0, 1.0)


@pytest.mark.parametrize(
    "f, x, v, expected",
    [
        (relu, 0.0, 1.0, (1.0, 1.0)),
        (relu, 0.0, -1.0, (0.0, 0.0)),
        (torch.abs, 0.0, -1.0, (1.0, 1.0)),
        (lambda t: -torch.abs(t), 0.0, 1.0, (-1.0, 1.0)),  # not regular: f' = -1, f° = 1
        (lambda t: torch.maximum(t, -2 * t), 0.0, -1.0, (2.0, 2.0)),
        (lambda w: w.abs().sum(), [0.0, 0.0], [1.0, -1.0], (2.0, 2.0)),
        (lambda w: w[0].abs() - w[1].abs(), [0.0, 0.0], [0.0, 1.0], (-1.0, 1.0)),
    ],
)
def test_directional_derivatives_known_values(f, x, v, expected):
    one_sided, general = clarke.directional_derivatives(f, x, v)
    assert one_sided == pytest.approx(expected[0], abs=1e-7)
    assert general == pytest.approx(expected[1], abs=1e-7)
    assert general >= one_sided


def test_directional_derivative_is_support_function_of_clarke_interval():
    m = lambda t: 1.0 - torch.abs(torch.abs(t) - 1.0)  # noqa: E731
    lo, hi = clarke.clarke_interval(m, -1.0, samples=201)
    for v in (1.0, -1.0, 2.5):
        assert clarke.directional_derivatives(m, -1.0, v)[1] == pytest.approx(max(lo * v, hi * v), abs=1e-6)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(f=relu, x=0.0, direction=1.0, t=0.0), ValueError, "t must be > 0"),
        (dict(f=relu, x=0.0, direction=1.0, radius=-1.0), ValueError, "radius"),
        (dict(f=relu, x=[0.0, 1.0], direction=1.0), ValueError, "shape of x"),
        (dict(f="relu", x=0.0, direction=1.0), TypeError, "callable"),
        (dict(f=relu, x=0.0, direction="up"), TypeError, "direction"),
    ],
)
def test_directional_derivatives_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        clarke.directional_derivatives(**kwargs)


def test_inclusion_residual_non_unique_flows_of_minus_abs():
    f = lambda w: -w[..., 0].abs()  # noqa: E731
    t = np.linspace(0.1, 2.0, 20)[:, None]
    for w, wd in [(0 * t, 0 * t), (t, np.ones_like(t)), (-t, -np.ones_like(t))]:
        assert clarke.inclusion_residual(f, w, wd, batched=True).max() == 0.0
    slow = clarke.inclusion_residual(f, t / 2, np.full_like(t, 0.5), batched=True)
    assert np.allclose(slow, 0.5, atol=1e-12)


def test_inclusion_residual_matches_unbatched_and_checks_shapes():
    f1 = lambda w: w.abs().sum()  # noqa: E731
    fb = lambda w: w.abs().sum(-1)  # noqa: E731
    w = np.array([[0.0, 1.0], [0.5, -0.5]])
    wd = np.array([[0.3, -1.0], [-1.0, 1.0]])
    a = clarke.inclusion_residual(f1, w, wd, samples=40)
    b = clarke.inclusion_residual(fb, w, wd, samples=40, batched=True)
    assert np.allclose(a, b, atol=1e-12) and np.allclose(a, 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="w_dot"):
        clarke.inclusion_residual(f1, w, wd[:1])
    with pytest.raises(ValueError, match="w"):
        clarke.inclusion_residual(f1, np.zeros(3), np.zeros(3))
