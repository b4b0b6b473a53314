"""Numerical subdifferentials and Clarke differentials, and what autodiff returns instead.

The Clarke differential of a locally Lipschitz ``f`` at ``x`` is the convex hull of all limits of
gradients ``grad f(x_k)`` along sequences ``x_k -> x`` of points where ``f`` is differentiable. We
approximate it by the gradients at seeded random points within ``radius`` of ``x``. For the usual
programs such points almost surely put no primitive (relu, abs, max, ...) exactly on its kink, and
there autograd returns the true gradient; exactly on a kink it returns the primitive's chosen
value, which need not be a Clarke subgradient of the composite (``relu(x) - relu(-x)`` at 0).

What sampling approximates, from inside, is Goldstein's ``radius``-subdifferential, the convex hull
of the Clarke differentials at all points of the ball. That set contains the Clarke differential at
``x`` and shrinks to it as the radius goes to 0, but for a fixed radius it can be much larger: relu
at ``5e-7`` with radius ``1e-6`` gives ``[0, 1]`` although the Clarke differential there is ``{1}``.
For a piecewise-smooth ``f`` the two agree once the ball meets only the pieces that meet at ``x``.
The sampled hull itself need not contain the Clarke differential: finitely many samples can miss
extreme gradients (for ``x^2 sin(1/x)`` at 0 the sampled interval lies strictly inside ``[-1, 1]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from . import _validate as v
from . import geometry, nets

__all__ = [
    "autodiff_derivative",
    "gradient",
    "clarke_samples",
    "clarke_interval",
    "clarke_hull_2d",
    "subdifferential_interval",
    "supporting_gap",
    "relu2",
    "relu3",
    "MinNormFlow",
    "min_norm_flow",
    "autodiff_table",
    "cone_gradients_2d",
    "directional_derivatives",
    "inclusion_residual",
]

DEFAULT_SAMPLES = 2001
_F = "a scalar function of a float64 torch tensor"


def _radius_samples(radius: object, samples: object) -> tuple[float, int]:
    return v.positive(radius, "radius"), v.integer(samples, "samples", least=2)


def _as_point(x: object, *, scalar: bool) -> torch.Tensor:
    """A point as a float64 tensor: 0-d if ``scalar`` else 1-d."""
    t = v.tensor64(x, "x")
    if scalar:
        if t.numel() != 1 or t.ndim > 1:
            raise ValueError(f"x must be a scalar point for f: R -> R, got shape {tuple(t.shape)}")
        return t.reshape(())
    if t.ndim != 1:
        raise ValueError(f"x must be a 1-d point for f: R^d -> R, got shape {tuple(t.shape)}")
    return t


def gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Autograd gradient of scalar ``f`` at the float64 tensor ``x`` (zeros if f ignores x)."""
    v.function(f, "f", _F)
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
    v.function(f, "f", _F)
    radius, samples = _radius_samples(radius, samples)
    v.boolean(batched, "batched")
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
    """Clarke differential of ``f: R -> R`` at ``x`` as ``(lo, hi)``, from gradients at nearby points.

    Precisely: the range of the derivatives at ``samples`` seeded points within ``radius`` of ``x``, half on
    each side, which approximates Goldstein's ``radius``-subdifferential from inside (see the module docstring).
    """
    v.function(f, "f", _F)
    radius, samples = _radius_samples(radius, samples)
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
    return geometry.hull_vertices_2d(np.unique(np.round(g, decimals), axis=0))


def subdifferential_interval(
    f: Callable[[float], float], x: float, points: np.ndarray
) -> tuple[float, float] | None:
    """Slopes ``s`` with ``f(x') >= f(x) + s (x' - x)`` for every ``x'`` in ``points``; ``None`` if there are none."""
    v.function(f, "f", "a function of a float")
    x = v.real(x, "x")
    pts = v.array(points, "points").ravel()
    left, right = pts[pts < x], pts[pts > x]
    if left.size == 0 or right.size == 0:
        raise ValueError("points must contain points on both sides of x")
    fx = float(f(x))
    lo = max((fx - float(f(p))) / (x - p) for p in left)
    hi = min((float(f(p)) - fx) / (p - x) for p in right)
    return None if lo > hi else (lo, hi)


# --- the supporting-line test, minimum-norm flows, and autodiff versus Clarke ----------------------------


def supporting_gap(f: Callable[[float], float], x: float, slopes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each slope ``s``: ``min_p f(p) - f(x) - s (p - x)`` over ``points`` (>= 0 iff the line supports f there)."""
    v.function(f, "f", "a function of a float")
    s = v.array(slopes, "slopes").ravel()
    pts = v.array(points, "points").ravel()
    if s.size == 0 or pts.size == 0:
        raise ValueError(f"slopes and points must be non-empty, got {s.size} slopes and {pts.size} points")
    x = v.real(x, "x")
    fx = float(f(x))
    fp = np.array([float(f(float(p))) for p in pts])
    return np.min(fp[None, :] - fx - s[:, None] * (pts[None, :] - x), axis=1)


def relu2(t: torch.Tensor) -> torch.Tensor:
    """``relu(-t) + t``: the same function as relu, written so that autodiff reports 1 at 0 (Bolte-Pauwels)."""
    return torch.relu(-t) + t


def relu3(t: torch.Tensor) -> torch.Tensor:
    """``(relu(t) + relu2(t)) / 2``: relu again, and autodiff reports 1/2 at 0."""
    return 0.5 * (torch.relu(t) + relu2(t))


@dataclass(frozen=True)
class MinNormFlow:
    """Record of :func:`min_norm_flow`: iterates ``w`` ``(steps + 1, d)``, directions ``v`` and radii ``(steps,)``."""

    w: np.ndarray
    v: np.ndarray
    radius: np.ndarray


def min_norm_flow(
    f: Callable[[torch.Tensor], torch.Tensor],
    w0: object,
    *,
    lr: float,
    steps: int,
    radius: float,
    samples: int = 32,
    seed: int = 0,
    batched: bool = False,
    adaptive: bool = False,
) -> MinNormFlow:
    """Euler steps ``w <- w - lr * v``, ``v`` the min-norm element of gradients sampled within a radius of ``w``.

    With ``adaptive=False`` the radius is always ``radius``. With ``adaptive=True`` it starts at
    ``radius`` and then follows ``2 * lr * |v|`` of the previous step (at most ``radius``), doubled
    and resampled whenever ``lr * |v| > eps``, so that each step stays inside its sampling ball.
    ``batched`` is passed to :func:`clarke_samples`.
    """
    v.function(f, "f", _F)
    radius, samples = _radius_samples(radius, samples)
    lr, steps = v.positive(lr, "lr"), v.integer(steps, "steps", least=1)
    v.boolean(adaptive, "adaptive")
    w = _as_point(w0, scalar=False).numpy().copy()
    ws, vs, radii = [w.copy()], [], []
    eps = radius
    for k in range(steps):
        while True:
            g = clarke_samples(f, w, radius=eps, samples=samples, seed=seed + k, batched=batched)
            d = geometry.min_norm_point(g)
            if not adaptive or lr * np.linalg.norm(d) <= eps or eps >= radius:
                break
            eps = min(2.0 * eps, radius)
        w = w - lr * d
        ws.append(w.copy())
        vs.append(d)
        radii.append(eps)
        if adaptive:
            eps = min(radius, max(2.0 * lr * float(np.linalg.norm(d)), 1e-12 * radius))
    return MinNormFlow(np.array(ws), np.array(vs), np.array(radii))


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
    lins = nets.linear_layers(net, bias_free=True, scalar_output=True)
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


def directional_derivatives(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: object,
    direction: object,
    *,
    t: float = 1e-8,
    radius: float = 1e-6,
    samples: int = 201,
    seed: int = 0,
) -> tuple[float, float]:
    """``(f'(x; v), f°(x; v))`` by difference quotients with step ``t``: at ``x``, and the largest at points near ``x``.

    ``f'(x; v) ~ (f(x + t v) - f(x)) / t`` is the one-sided directional derivative; Clarke's generalized
    directional derivative ``f°(x; v) = limsup_{y -> x, t -> 0+} (f(y + t v) - f(y)) / t`` is estimated by the
    largest quotient over ``x`` and ``samples`` seeded points ``y`` within ``radius`` of ``x``. Take ``t`` much
    smaller than ``radius``, so that some segments ``[y, y + t v]`` lie inside one smooth piece; the round-off in a
    quotient is about ``2 eps |f| / t``.
    """
    v.function(f, "f", _F)
    radius, samples = _radius_samples(radius, samples)
    t = v.positive(t, "t")
    p = v.tensor64(x, "x").reshape(-1)
    d = v.tensor64(direction, "direction").reshape(-1)
    if d.shape != p.shape:
        raise ValueError(f"direction must have the shape of x ({p.numel()} entries), got {d.numel()}")
    shape = tuple(v.tensor64(x, "x").shape)
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((samples, p.numel()))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = radius * rng.uniform(0.0, 1.0, size=(samples, 1)) ** (1.0 / p.numel())
    ys = [p] + list(torch.as_tensor(p.numpy() + radii * dirs))

    def quotient(y: torch.Tensor) -> float:
        with torch.no_grad():
            return float((f((y + t * d).reshape(shape)) - f(y.reshape(shape))).reshape(())) / t

    one_sided = quotient(p)
    return one_sided, max(one_sided, *(quotient(y) for y in ys[1:]))


def inclusion_residual(
    f: Callable[[torch.Tensor], torch.Tensor],
    w: object,
    w_dot: object,
    *,
    radius: float = 1e-6,
    samples: int = 64,
    seed: int = 0,
    batched: bool = False,
) -> np.ndarray:
    """For a path ``w`` ``(n, d)`` with velocities ``w_dot``: the distance from ``-w_dot[i]`` to the sampled ``∂f(w[i])``.

    A solution of the gradient inclusion ``w' in -∂f(w)`` has residual 0 up to the sampling error (gradients
    within ``radius`` of ``w[i]``, see :func:`clarke_samples`); ``batched`` is passed on.
    """
    ws = v.matrix(w, "w")
    wd = v.matrix(w_dot, "w_dot", (ws.shape[0], ws.shape[1]))
    out = np.empty(len(ws))
    for i, (p, q) in enumerate(zip(ws, wd)):
        g = clarke_samples(f, p, radius=radius, samples=samples, seed=seed, batched=batched)
        out[i] = geometry.hull_distance(-q, g)
    return out
