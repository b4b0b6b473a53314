"""Unit tests of nntheory.clarke against Clarke differentials known in closed form."""

import math

import numpy as np
import pytest
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
    # the lecture's example: f(x) = min(|x|, ... ) style non-convexity at -1 -> no supporting line
    f = lambda t: -abs(t) if abs(t) < 2 else abs(t) - 4  # noqa: E731
    assert clarke.subdifferential_interval(f, -1.0, grid) is None
    with pytest.raises(ValueError, match="both sides"):
        clarke.subdifferential_interval(abs, 5.0, grid)
    assert math.isfinite(clarke.subdifferential_interval(lambda t: t * t, 1.0, grid)[0])
