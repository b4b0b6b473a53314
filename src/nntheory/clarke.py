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
    "as_float64",
    "autodiff_derivative",
    "gradient",
    "clarke_samples",
    "clarke_interval",
    "clarke_hull_2d",
    "hull_vertices_2d",
    "min_norm_element",
    "subdifferential_interval",
    "supporting_gap",
    "relu2",
    "relu3",
    "hull_distance",
    "min_norm_flow",
    "autodiff_table",
    "cone_gradients_2d",
    "hausdorff",
]

DEFAULT_SAMPLES = 2001


def _check_callable(f: object) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable (a function of a torch tensor), got {type(f).__name__}")


def _positive_float(name: str, value: object) -> float:
    """``value`` as a positive finite float, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a positive float, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite float, got {value!r}")
    return float(value)


def _int_at_least(name: str, value: object, least: int) -> int:
    """``value`` as an int ``>= least``, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return int(value)


def _check_radius_samples(radius: float, samples: int) -> None:
    _positive_float("radius", radius)
    _int_at_least("samples", samples, 2)


def as_float64(x: object, name: str = "x") -> torch.Tensor:
    """``x`` (number, array or tensor) as a detached float64 tensor, or a TypeError naming ``name``."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(torch.float64)
    try:
        return torch.as_tensor(np.asarray(x, dtype=np.float64))
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a real number or array, got {type(x).__name__}") from err


def _as_point(x: object, *, scalar: bool) -> torch.Tensor:
    """Convert a point to a float64 tensor: 0-d if ``scalar`` else 1-d."""
    t = as_float64(x)
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
    batched: bool = False,
) -> np.ndarray:
    """Gradients of ``f: R^d -> R`` at ``samples`` seeded random points in the ball of ``radius`` around ``x``.

    With ``batched=True``, ``f`` maps an ``(n, d)`` tensor to the ``(n,)`` values row by row, and one
    backward pass gives every gradient (much faster; the rows must not interact).
    """
    _check_callable(f)
    _check_radius_samples(radius, samples)
    if not isinstance(batched, bool):
        raise TypeError(f"batched must be a bool, got {batched!r}")
    p = _as_point(x, scalar=False)
    d = p.numel()
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((samples, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = radius * rng.uniform(0.0, 1.0, size=(samples, 1)) ** (1.0 / d)
    pts = torch.as_tensor(p.numpy() + radii * dirs)
    if batched:
        return _batched_gradients(f, pts)
    return np.stack([gradient(f, q).numpy() for q in pts])


def _batched_gradients(f: Callable[[torch.Tensor], torch.Tensor], pts: torch.Tensor) -> np.ndarray:
    """Row-wise gradients of a batched ``f: (n, d) -> (n,)`` from one backward pass."""
    xx = pts.detach().clone().requires_grad_(True)
    y = f(xx)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"f must return a torch tensor, got {type(y).__name__}")
    if y.shape != (len(pts),):
        raise ValueError(f"batched f must map ({len(pts)}, d) points to shape ({len(pts)},), got {tuple(y.shape)}")
    if not torch.isfinite(y).all():
        raise ValueError("f returned a non-finite value near x")
    if not y.requires_grad:
        return np.zeros(tuple(pts.shape))
    (g,) = torch.autograd.grad(y.sum(), xx, allow_unused=True)
    return np.zeros(tuple(pts.shape)) if g is None else g.detach().numpy()


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
    batched: bool = False,
) -> np.ndarray:
    """Vertices (counter-clockwise, shape ``(k, 2)``) of the sampled Clarke differential of ``f: R^2 -> R``."""
    p = _as_point(x, scalar=False)
    if p.numel() != 2:
        raise ValueError(f"x must be a point of R^2, got shape {tuple(p.shape)}")
    g = clarke_samples(f, p, radius=radius, samples=samples, seed=seed, batched=batched)
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
    if g.shape[1] == 1:  # an interval: clip 0 into it
        return np.array([min(max(0.0, g.min()), g.max())])
    if g.shape[1] == 2:
        return _min_norm_polygon(hull_vertices_2d(g))
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


def _closest_on_segment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point of the segment [a, b] nearest the origin."""
    d = b - a
    dd = float(d @ d)
    t = 0.0 if dd == 0.0 else min(max(-float(a @ d) / dd, 0.0), 1.0)
    return a + t * d


def _min_norm_polygon(v: np.ndarray) -> np.ndarray:
    """Exact min-norm point of a convex polygon (counter-clockwise vertices), a segment or a point."""
    if len(v) == 1:
        return v[0].copy()
    if len(v) == 2:
        return _closest_on_segment(v[0], v[1])
    nxt = np.roll(v, -1, axis=0)
    cross = (nxt[:, 0] - v[:, 0]) * (-v[:, 1]) - (nxt[:, 1] - v[:, 1]) * (-v[:, 0])
    if np.all(cross >= 0):  # the origin is inside (left of every edge)
        return np.zeros(2)
    cands = [_closest_on_segment(a, b) for a, b in zip(v, nxt)]
    return min(cands, key=lambda c: float(c @ c))


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


# --- the supporting-line test, minimum-norm flows, and autodiff versus Clarke ----------------------------


def supporting_gap(f: Callable[[float], float], x: float, slopes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each slope ``s``: ``min_p f(p) - f(x) - s (p - x)`` over ``points`` (>= 0 iff the line supports f there)."""
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    s = np.asarray(slopes, dtype=float).ravel()
    pts = np.asarray(points, dtype=float).ravel()
    if s.size == 0 or not np.isfinite(s).all():
        raise ValueError("slopes must be a non-empty array of finite numbers")
    if pts.size == 0 or not np.isfinite(pts).all():
        raise ValueError("points must be a non-empty array of finite numbers")
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not np.isfinite(x):
        raise ValueError(f"x must be a finite real number, got {x!r}")
    fx = float(f(float(x)))
    fp = np.array([float(f(float(p))) for p in pts])
    return np.min(fp[None, :] - fx - s[:, None] * (pts[None, :] - x), axis=1)


def relu2(t: torch.Tensor) -> torch.Tensor:
    """``relu(-t) + t``: the same function as relu, written so that autodiff reports 1 at 0 (Bolte-Pauwels)."""
    return torch.relu(-t) + t


def relu3(t: torch.Tensor) -> torch.Tensor:
    """``(relu(t) + relu2(t)) / 2``: relu again, and autodiff reports 1/2 at 0."""
    return 0.5 * (torch.relu(t) + relu2(t))


def hull_distance(point: np.ndarray, points: np.ndarray) -> float:
    """Euclidean distance from ``point`` to the convex hull of the rows of ``points``."""
    g = np.asarray(points, dtype=float)
    p = np.asarray(point, dtype=float).ravel()
    if g.ndim != 2 or len(g) == 0:
        raise ValueError(f"points must be a non-empty (k, d) array, got shape {g.shape}")
    if p.shape != (g.shape[1],):
        raise ValueError(f"point must have shape ({g.shape[1]},) to match points, got {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("point contains NaN or infinite entries")
    return float(np.linalg.norm(min_norm_element(_reduce(g - p))))


def _reduce(g: np.ndarray) -> np.ndarray:
    """Fewer points with the same convex hull: the extremes in 1-D, hull vertices in 2-D, distinct rows otherwise."""
    if g.shape[1] == 1:
        return np.array([[g.min()], [g.max()]])
    if g.shape[1] == 2:
        return hull_vertices_2d(g)
    return np.unique(g, axis=0)


def min_norm_flow(
    f: Callable[[torch.Tensor], torch.Tensor],
    w0: object,
    *,
    step: float,
    steps: int,
    radius: float,
    samples: int = 32,
    seed: int = 0,
    batched: bool = False,
    adaptive: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euler steps ``w <- w - step * v``, ``v`` the min-norm element of gradients sampled within a radius of ``w``.

    With ``adaptive=False`` the radius is always ``radius``. With ``adaptive=True`` it starts at
    ``radius`` and then follows ``2 * step * |v|`` of the previous step (at most ``radius``), doubled
    and resampled whenever ``step * |v| > eps``, so that each step stays inside its sampling ball.
    Returns the iterates ``(steps + 1, d)`` (``w0`` first), the directions ``v`` ``(steps, d)`` and the
    radii used ``(steps,)``. ``batched`` is passed to :func:`clarke_samples`.
    """
    _check_callable(f)
    _check_radius_samples(radius, samples)
    _positive_float("step", step)
    _int_at_least("steps", steps, 1)
    if not isinstance(adaptive, bool):
        raise TypeError(f"adaptive must be a bool, got {adaptive!r}")
    w = _as_point(w0, scalar=False).numpy().copy()
    ws, vs, radii = [w.copy()], [], []
    eps = float(radius)
    for k in range(int(steps)):
        while True:
            g = clarke_samples(f, w, radius=eps, samples=samples, seed=seed + k, batched=batched)
            v = min_norm_element(_reduce(g))
            if not adaptive or step * np.linalg.norm(v) <= eps or eps >= radius:
                break
            eps = min(2.0 * eps, float(radius))
        w = w - step * v
        ws.append(w.copy())
        vs.append(v)
        radii.append(eps)
        if adaptive:
            eps = min(float(radius), max(2.0 * step * float(np.linalg.norm(v)), 1e-12 * float(radius)))
    return np.array(ws), np.array(vs), np.array(radii)


def autodiff_table(
    functions: dict[str, Callable[[torch.Tensor], torch.Tensor]],
    x: float = 0.0,
    *,
    radius: float = 1e-6,
    samples: int = 201,
    tol: float = 1e-9,
) -> list[dict]:
    """One row per named ``f: R -> R``: autodiff's derivative at ``x``, the Clarke interval, and whether it is inside."""
    if not isinstance(functions, dict) or not functions:
        raise TypeError("functions must be a non-empty dict {name: f} of callables on 0-d tensors")
    rows = []
    for name, f in functions.items():
        if not isinstance(name, str):
            raise TypeError(f"functions keys must be names (str), got {name!r}")
        a = autodiff_derivative(f, x)
        lo, hi = clarke_interval(f, x, radius=radius, samples=samples)
        rows.append({"function": name, "autodiff": a, "clarke_lo": lo, "clarke_hi": hi,
                     "inside": bool(lo - tol <= a <= hi + tol)})
    return rows


def cone_gradients_2d(net: torch.nn.Sequential) -> np.ndarray:
    """Exact gradients ``W2 A W1`` on each cone around 0 of a bias-free ``[2, m, 1]`` ReLU net, shape ``(k, 2)``."""
    from nntheory import nets  # local import: nets is only needed here

    nets.check_relu_net(net, bias_free=True, scalar_output=True)
    lins = nets.linear_layers(net)
    if len(lins) != 2 or lins[0].in_features != 2:
        raise ValueError("net must be a bias-free one-hidden-layer net with widths [2, m, 1]")
    w1 = lins[0].weight.detach().numpy()
    w2 = lins[1].weight.detach().numpy()
    rows = w1[np.linalg.norm(w1, axis=1) > 0]
    # hidden unit j switches on the line u . w_j = 0, i.e. at the angles of +-(-w_j2, w_j1)
    base = np.arctan2(rows[:, 0], -rows[:, 1])
    cuts = np.sort(np.mod(np.concatenate([base, base + np.pi]), 2 * np.pi))
    if cuts.size == 0:
        return w2 @ np.zeros_like(w1)
    mids = (cuts + np.diff(np.append(cuts, cuts[0] + 2 * np.pi)) / 2.0)
    grads = [w2 @ np.diag((w1 @ np.array([np.cos(a), np.sin(a)]) > 0).astype(float)) @ w1 for a in mids]
    return np.unique(np.round(np.vstack(grads), 12), axis=0)


def hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    """Hausdorff distance between two finite point sets (rows), e.g. two lists of hull vertices."""
    pa, pb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if pa.ndim != 2 or pb.ndim != 2 or len(pa) == 0 or len(pb) == 0 or pa.shape[1] != pb.shape[1]:
        raise ValueError(f"a and b must be non-empty (k, d) arrays with the same d, got {pa.shape} and {pb.shape}")
    d = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))
