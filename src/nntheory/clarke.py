"""Numerical subdifferentials and Clarke differentials, and what autodiff returns instead.

The Clarke differential of a locally Lipschitz ``f`` at ``x`` is the convex hull of all limits of
gradients ``grad f(x_k)`` along sequences ``x_k -> x`` of points where ``f`` is differentiable. We
approximate it by the gradients at seeded random points within ``radius`` of ``x``: such points
avoid the (measure-zero) non-differentiable set with probability one, and autograd is exact there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.spatial import ConvexHull, QhullError

__all__ = [
    "autodiff_derivative",
    "gradient",
    "clarke_samples",
    "clarke_interval",
    "clarke_hull_2d",
    "hull_vertices_2d",
    "min_norm_element",
    "subdifferential_interval",
]

DEFAULT_SAMPLES = 2001


def _check_callable(f: object) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable (a function of a torch tensor), got {type(f).__name__}")


def _check_radius_samples(radius: float, samples: int) -> None:
    if isinstance(radius, bool) or not isinstance(radius, (int, float, np.floating, np.integer)):
        raise TypeError(f"radius must be a positive float, got {radius!r}")
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a positive finite float, got {radius!r}")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)):
        raise TypeError(f"samples must be an int, got {samples!r}")
    if samples < 2:
        raise ValueError(f"samples must be at least 2, got {samples}")


def _as_point(x: object, *, scalar: bool) -> torch.Tensor:
    """Convert a point to a float64 tensor: 0-d if ``scalar`` else 1-d."""
    if isinstance(x, torch.Tensor):
        t = x.detach().to(torch.float64)
    else:
        try:
            t = torch.as_tensor(np.asarray(x, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise TypeError(f"x must be a real number or array, got {type(x).__name__}") from err
    if scalar:
        if t.numel() != 1 or t.ndim > 1:
            raise ValueError(f"x must be a scalar point for f: R -> R, got shape {tuple(t.shape)}")
        t = t.reshape(())
    elif t.ndim != 1:
        raise ValueError(f"x must be a 1-d point for f: R^d -> R, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"x must be finite, got {t.tolist()}")
    return t


def gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Autograd gradient of scalar ``f`` at the float64 tensor ``x`` (zeros if f ignores x)."""
    _check_callable(f)
    xx = x.detach().clone().requires_grad_(True)
    y = f(xx)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"f must return a torch tensor, got {type(y).__name__}")
    if y.numel() != 1:
        raise ValueError(f"f must return a scalar, got output of shape {tuple(y.shape)}")
    y = y.reshape(())
    if not torch.isfinite(y):
        raise ValueError(f"f returned a non-finite value {y.item()} near x={x.tolist()}")
    if not y.requires_grad:
        return torch.zeros_like(xx)
    (g,) = torch.autograd.grad(y, xx, allow_unused=True)
    return torch.zeros_like(xx) if g is None else g.detach()


def autodiff_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: float) -> float:
    """The derivative PyTorch's autograd reports for ``f: R -> R`` exactly at ``x``."""
    return float(gradient(f, _as_point(x, scalar=True)))


def clarke_samples(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: object,
    *,
    radius: float = 1e-6,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """Gradients of ``f: R^d -> R`` at ``samples`` seeded random points in the ball of ``radius`` around ``x``."""
    _check_callable(f)
    _check_radius_samples(radius, samples)
    p = _as_point(x, scalar=False)
    d = p.numel()
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((samples, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = radius * rng.uniform(0.0, 1.0, size=(samples, 1)) ** (1.0 / d)
    pts = torch.as_tensor(p.numpy() + radii * dirs)
    return np.stack([gradient(f, q).numpy() for q in pts])


def clarke_interval(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: object,
    *,
    radius: float = 1e-6,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Clarke differential of ``f: R -> R`` at ``x`` as ``(lo, hi)``, from gradients at nearby points."""
    _check_callable(f)
    _check_radius_samples(radius, samples)
    p = _as_point(x, scalar=True)
    rng = np.random.default_rng(seed)
    # half the points on each side, so one-sided limits are always seen
    u = rng.uniform(0.0, 1.0, size=samples)
    u[: samples // 2] *= -1.0
    grads = [float(gradient(f, p + radius * float(ui))) for ui in u if ui != 0.0]
    return (min(grads), max(grads))


def clarke_hull_2d(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: object,
    *,
    radius: float = 1e-6,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    decimals: int = 9,
) -> np.ndarray:
    """Vertices (counter-clockwise, shape ``(k, 2)``) of the sampled Clarke differential of ``f: R^2 -> R``."""
    p = _as_point(x, scalar=False)
    if p.numel() != 2:
        raise ValueError(f"x must be a point of R^2, got shape {tuple(p.shape)}")
    g = clarke_samples(f, p, radius=radius, samples=samples, seed=seed)
    # gradients on one smooth piece agree up to O(radius); rounding merges them
    pts = np.unique(np.round(g, decimals), axis=0)
    return hull_vertices_2d(pts)


def hull_vertices_2d(points: np.ndarray) -> np.ndarray:
    """Convex-hull vertices of 2-D points (counter-clockwise); a segment or a point when degenerate."""
    pts = np.unique(np.asarray(points, dtype=float).reshape(-1, 2), axis=0)
    if len(pts) <= 2:
        return pts
    try:
        return pts[ConvexHull(pts).vertices]
    except QhullError:
        # collinear: the hull is the segment between the two extreme points
        direction = pts[-1] - pts[0]
        proj = pts @ direction
        return pts[[int(np.argmin(proj)), int(np.argmax(proj))]]


def min_norm_element(points: np.ndarray) -> np.ndarray:
    """The point of smallest Euclidean norm in the convex hull of the rows of ``points``."""
    g = np.asarray(points, dtype=float)
    if g.ndim != 2 or len(g) == 0:
        raise ValueError(f"points must be a non-empty (k, d) array, got shape {g.shape}")
    if not np.isfinite(g).all():
        raise ValueError("points contain NaN or infinite entries")
    k = len(g)
    if k == 1:
        return g[0].copy()
    gram = g @ g.T
    res = minimize(
        lambda lam: lam @ gram @ lam,
        np.full(k, 1.0 / k),
        jac=lambda lam: 2.0 * gram @ lam,
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda lam: lam.sum() - 1.0, "jac": lambda lam: np.ones(k)}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    lam = np.clip(res.x, 0.0, None)
    return (lam / lam.sum()) @ g


def subdifferential_interval(
    f: Callable[[float], float], x: float, points: np.ndarray
) -> tuple[float, float] | None:
    """Slopes ``s`` with ``f(x') >= f(x) + s (x' - x)`` for every ``x'`` in ``points``; ``None`` if there are none."""
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    pts = np.asarray(points, dtype=float).ravel()
    if pts.size == 0 or not np.isfinite(pts).all():
        raise ValueError("points must be a non-empty array of finite numbers")
    fx = float(f(float(x)))
    left, right = pts[pts < x], pts[pts > x]
    if left.size == 0 or right.size == 0:
        raise ValueError("points must contain points on both sides of x")
    lo = max((fx - float(f(p))) / (x - p) for p in left)
    hi = min((float(f(p)) - fx) / (p - x) for p in right)
    return None if lo > hi else (lo, hi)
