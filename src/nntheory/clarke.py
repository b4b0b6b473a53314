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
    r"""Autograd gradient of scalar ``f`` at the float64 tensor ``x`` (zeros if f ignores x).

    At a point where a primitive sits exactly on its kink this is autograd's chosen value (e.g.
    ``relu'(0) = 0``), which need not be a Clarke subgradient of ``f``.

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : torch.Tensor
        The point, a float64 tensor of any shape (not converted: pass a tensor); it is not modified.

    Returns
    -------
    torch.Tensor
        :math:`\nabla f(x)`, of the shape and dtype of ``x``, detached.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor.
    ValueError
        If ``f`` returns more than one value or a NaN/infinite value.

    Examples
    --------
    >>> import torch
    >>> from nntheory import clarke
    >>> x = torch.tensor([1.0, -2.0, 0.0], dtype=torch.float64)
    >>> clarke.gradient(lambda w: w.abs().sum(), x).tolist()    # sign(x), and |.|'(0) = 0 in torch
    [1.0, -1.0, 0.0]
    """
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
    r"""The derivative PyTorch's autograd reports for ``f: R -> R`` exactly at ``x``.

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : float
        The point: a real number (or a one-element array or tensor).

    Returns
    -------
    float
        Autograd's derivative of ``f`` at ``x``; at a kink, the value implied by the primitives' conventions.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor, or ``x`` is not numeric.
    ValueError
        If ``x`` has more than one entry or is not finite, or ``f`` returns more than one value or a non-finite
        value.

    Examples
    --------
    Three programs for the same function :math:`\sigma(t) = \max(t, 0)`, and one for :math:`t`:

    >>> import torch
    >>> from nntheory import clarke
    >>> [clarke.autodiff_derivative(f, 0.0) for f in (torch.relu, clarke.relu2, clarke.relu3)]
    [0.0, 1.0, 0.5]
    >>> clarke.autodiff_derivative(lambda t: torch.relu(t) - torch.relu(-t), 0.0)   # t has derivative 1
    0.0
    """
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
    r"""Gradients of ``f: R^d -> R`` at ``samples`` seeded random points in the ball of ``radius`` around ``x``.

    With ``batched=True``, ``f`` maps an ``(n, d)`` tensor to the ``(n,)`` values row by row, and one
    backward pass gives every gradient (much faster; the rows must not interact).

    The points are uniform in the ball :math:`\{y : \|y - x\| \le \mathrm{radius}\}`; the convex hull of the
    returned gradients approximates Goldstein's ``radius``-subdifferential from inside (see the module docstring).

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : array_like of shape (d,)
        The point, a finite 1-d array or tensor.
    radius : float, default 1e-6
        Radius of the sampling ball around ``x``, finite ``> 0``.
    samples : int, default DEFAULT_SAMPLES (2001)
        Number of sampled points, ``>= 2``.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the points.
    batched : bool, default False
        ``f`` maps an ``(n, d)`` tensor to its ``(n,)`` values row by row; one backward pass then gives all
        gradients (much faster; the rows must not interact).

    Returns
    -------
    numpy.ndarray of shape (samples, d)
        One gradient per row.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor, or ``radius``, ``samples``, ``batched``
        or ``x`` has the wrong type.
    ValueError
        If ``radius <= 0``, ``samples < 2``, ``x`` is not 1-d or not finite, or ``f`` returns a non-scalar (with
        ``batched``: not shape ``(n,)``) or non-finite value.

    Examples
    --------
    Near :math:`(0, 1)` the function :math:`|w_1| + |w_2|` has two gradients, :math:`(\pm 1, 1)`:

    >>> import numpy as np
    >>> from nntheory import clarke
    >>> g = clarke.clarke_samples(lambda w: w.abs().sum(), [0.0, 1.0], samples=200)
    >>> g.shape, np.unique(g, axis=0).tolist()
    ((200, 2), [[-1.0, 1.0], [1.0, 1.0]])
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
    r"""Clarke differential of ``f: R -> R`` at ``x`` as ``(lo, hi)``, from gradients at nearby points.

    Precisely: the range of the derivatives at ``samples`` seeded points within ``radius`` of ``x``, half on
    each side, which approximates Goldstein's ``radius``-subdifferential from inside (see the module docstring).

    For :math:`f: \mathbb{R} \to \mathbb{R}` the Clarke differential is the interval
    :math:`\partial f(x) = [\liminf_{y\to x} f'(y), \limsup_{y\to x} f'(y)]` (over points of differentiability).

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : float
        The point: a real number (or a one-element array or tensor).
    radius : float, default 1e-6
        Radius of the sampling interval around ``x``, finite ``> 0``.
    samples : int, default DEFAULT_SAMPLES (2001)
        Number of sampled points, ``>= 2``; the first ``samples // 2`` lie left of ``x``, the rest right of it.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the points.

    Returns
    -------
    tuple of (float, float)
        ``(lo, hi)``, the smallest and largest sampled derivative.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor, or ``radius``, ``samples`` or ``x`` has
        the wrong type.
    ValueError
        If ``radius <= 0``, ``samples < 2``, ``x`` has more than one entry or is not finite, or
        ``f`` returns more than one value or a non-finite value.

    Examples
    --------
    >>> import torch
    >>> from nntheory import clarke
    >>> clarke.clarke_interval(torch.abs, 0.0)
    (-1.0, 1.0)
    >>> clarke.clarke_interval(torch.relu, 0.0)
    (0.0, 1.0)

    A fixed radius sees kinks nearby: at :math:`5 \cdot 10^{-7}` the Clarke differential of relu is
    :math:`\{1\}`, which only a smaller ball finds:

    >>> clarke.clarke_interval(torch.relu, 5e-7, samples=201)
    (0.0, 1.0)
    >>> clarke.clarke_interval(torch.relu, 5e-7, radius=1e-7, samples=201)
    (1.0, 1.0)
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
    r"""Vertices (counter-clockwise, shape ``(k, 2)``) of the sampled Clarke differential of ``f: R^2 -> R``.

    The convex hull of :func:`clarke_samples`'s gradients, after rounding them to ``decimals`` decimals
    (gradients on one smooth piece differ by :math:`O(\mathrm{radius})`; rounding merges them).

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : array_like of shape (2,)
        The point of :math:`\mathbb{R}^2`.
    radius : float, default 1e-6
        Radius of the sampling ball around ``x``, finite ``> 0``.
    samples : int, default DEFAULT_SAMPLES (2001)
        Number of sampled points, ``>= 2``.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the points.
    decimals : int, default 9
        Decimals the gradients are rounded to before taking the hull.
    batched : bool, default False
        ``f`` maps an ``(n, d)`` tensor to its ``(n,)`` values row by row; one backward pass then gives all
        gradients (much faster; the rows must not interact).

    Returns
    -------
    numpy.ndarray of shape (k, 2)
        The hull's vertices (see :func:`nntheory.geometry.hull_vertices_2d`: two rows for a segment, one for a
        point).

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor, or ``radius``, ``samples``, ``batched``
        or ``x`` has the wrong type.
    ValueError
        If ``x`` is not a finite point of :math:`\mathbb{R}^2`, ``radius <= 0``, ``samples < 2``, or
        ``f`` returns a non-scalar (with ``batched``: not shape ``(n,)``) or non-finite value.

    Examples
    --------
    The Clarke differential of :math:`\|w\|_1` at 0 is the square :math:`[-1, 1]^2`; of
    :math:`\max(w_1, w_2)` the segment from :math:`(0, 1)` to :math:`(1, 0)`:

    >>> from nntheory import clarke
    >>> clarke.clarke_hull_2d(lambda W: W.abs().sum(dim=1), [0.0, 0.0], batched=True).tolist()
    [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    >>> clarke.clarke_hull_2d(lambda W: W.max(dim=1).values, [0.0, 0.0], batched=True).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    p = _as_point(x, scalar=False)
    if p.numel() != 2:
        raise ValueError(f"x must be a point of R^2, got shape {tuple(p.shape)}")
    g = clarke_samples(f, p, radius=radius, samples=samples, seed=seed, batched=batched)
    # gradients on one smooth piece agree up to O(radius); rounding merges them
    return geometry.hull_vertices_2d(np.unique(np.round(g, decimals), axis=0))


def subdifferential_interval(
    f: Callable[[float], float], x: float, points: np.ndarray
) -> tuple[float, float] | None:
    r"""Slopes ``s`` with ``f(x') >= f(x) + s (x' - x)`` for every ``x'`` in ``points``; ``None`` if there are none.

    The interval is :math:`[\max_{p < x} \frac{f(x) - f(p)}{x - p}, \min_{p > x} \frac{f(p) - f(x)}{p - x}]`. For a
    convex ``f`` it contains the convex subdifferential :math:`[f'_-(x), f'_+(x)]` and shrinks to it as the
    points close in on ``x``; ``None`` shows that no line supports ``f`` at ``x`` (so ``f`` is not convex).

    Parameters
    ----------
    f : callable
        A function of a float returning a real number (plain Python/numpy, no torch needed).
    x : float
        The point, a finite real number.
    points : array_like
        Test points ``x'`` (any shape; flattened), finite, with at least one on each side of ``x``.

    Returns
    -------
    tuple of (float, float) or None
        ``(lo, hi)``, or ``None`` if ``lo > hi``. The entries are numpy float64 scalars.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a real number, or ``points`` is not an array of reals.
    ValueError
        If ``x`` or a point is not finite, or ``points`` has no point on one side of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import clarke
    >>> pts = np.linspace(-1, 1, 11)
    >>> [float(s) for s in clarke.subdifferential_interval(abs, 0.0, pts)]
    [-1.0, 1.0]
    >>> print(clarke.subdifferential_interval(lambda t: -abs(t), 0.0, pts))    # concave kink: no support
    None
    """
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
    r"""For each slope ``s``: ``min_p f(p) - f(x) - s (p - x)`` over ``points`` (>= 0 iff the line supports f there).

    Parameters
    ----------
    f : callable
        A function of a float returning a real number.
    x : float
        The point, a finite real number.
    slopes : array_like
        Slopes to test (any shape; flattened), finite, non-empty.
    points : array_like
        Test points (any shape; flattened), finite, non-empty.

    Returns
    -------
    numpy.ndarray of shape (len(slopes),)
        The gap for each slope: non-negative exactly when the line :math:`p \mapsto f(x) + s(p - x)` lies
        below ``f`` at every point.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``slopes`` or ``points`` is not an array of reals, or ``x`` is not a real number.
    ValueError
        If ``slopes`` or ``points`` is empty, or an entry or ``x`` is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory import clarke
    >>> clarke.supporting_gap(abs, 0.0, [-1, 0, 1, 1.5], np.linspace(-1, 1, 5)).tolist()
    [0.0, 0.0, 0.0, -0.5]
    """
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
    r"""``relu(-t) + t``: the same function as relu, written so that autodiff reports 1 at 0 (Bolte-Pauwels).

    Parameters
    ----------
    t : torch.Tensor
        Input of any shape.

    Returns
    -------
    torch.Tensor
        :math:`\sigma(t)`, elementwise, of the shape of ``t``.
    """
    return torch.relu(-t) + t


def relu3(t: torch.Tensor) -> torch.Tensor:
    r"""``(relu(t) + relu2(t)) / 2``: relu again, and autodiff reports 1/2 at 0.

    Parameters
    ----------
    t : torch.Tensor
        Input of any shape.

    Returns
    -------
    torch.Tensor
        :math:`\sigma(t)`, elementwise, of the shape of ``t``.
    """
    return 0.5 * (torch.relu(t) + relu2(t))


@dataclass(frozen=True)
class MinNormFlow:
    """Record of :func:`min_norm_flow`: iterates ``w`` ``(steps + 1, d)``, directions ``v`` and radii ``(steps,)``.

    Parameters
    ----------
    w : numpy.ndarray of shape (steps + 1, d)
        The iterates, starting with ``w0``.
    v : numpy.ndarray of shape (steps, d)
        The min-norm sampled subgradient used at each step, ``w[k + 1] = w[k] - lr * v[k]``.
    radius : numpy.ndarray of shape (steps,)
        The sampling radius used at each step.
    """

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
    r"""Euler steps ``w <- w - lr * v``, ``v`` the min-norm element of gradients sampled within a radius of ``w``.

    With ``adaptive=False`` the radius is always ``radius``. With ``adaptive=True`` it starts at
    ``radius`` and then follows ``2 * lr * |v|`` of the previous step (at most ``radius``), doubled
    and resampled whenever ``lr * |v| > eps``, so that each step stays inside its sampling ball.
    ``batched`` is passed to :func:`clarke_samples`.

    Here ``eps`` is the current radius, and ``v`` approximates the min-norm element of the Clarke
    differential, :math:`\arg\min\{\|g\| : g \in \partial f(w)\}`: the velocity (with a minus sign) of the
    slow solution of the gradient inclusion :math:`w' \in -\partial f(w)`. Step ``k`` samples with seed
    ``seed + k``.

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    w0 : array_like of shape (d,)
        The starting point, finite.
    lr : float
        Step size eta, finite ``> 0``.
    steps : int
        Number of steps, ``>= 1``.
    radius : float
        (Largest) sampling radius, finite ``> 0``.
    samples : int, default 32
        Gradients sampled per step, ``>= 2``.
    seed : int, default 0
        Seed of the first step's samples.
    batched : bool, default False
        ``f`` maps an ``(n, d)`` tensor to its ``(n,)`` values row by row; one backward pass then gives all
        gradients (much faster; the rows must not interact).
    adaptive : bool, default False
        Adapt the radius to the step length as described above.

    Returns
    -------
    MinNormFlow
        The iterates, directions and radii.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something other than a tensor, or ``lr``, ``steps``, ``radius``,
        ``samples``, ``batched``,
        ``adaptive`` or ``w0`` has the wrong type.
    ValueError
        If ``lr``, ``radius`` are not finite and ``> 0``, ``steps < 1``, ``samples < 2``, ``w0`` is not 1-d
        or not finite, or ``f`` returns a non-scalar (with ``batched``: not shape ``(n,)``) or non-finite value.

    Examples
    --------
    On :math:`f(w) = |w|` the flow reaches the kink and stays there (gradient descent would oscillate):

    >>> from nntheory import clarke
    >>> flow = clarke.min_norm_flow(lambda w: w.abs().sum(), [0.75], lr=0.25, steps=5, radius=0.01)
    >>> flow.w[:, 0].tolist()
    [0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    >>> flow.v[:, 0].tolist()          # at 0 the min-norm element of [-1, 1] is 0
    [1.0, 1.0, 1.0, 0.0, 0.0]
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
    """One row per named ``f: R -> R``: autodiff's derivative at ``x``, the Clarke interval, and whether it is inside.

    Parameters
    ----------
    functions : dict of str to callable
        Non-empty ``{name: f}``, each ``f`` mapping a 0-d float64 tensor to a 0-d tensor.
    x : float, default 0.0
        The point.
    radius : float, default 1e-6
        Sampling radius of :func:`clarke_interval`, finite ``> 0``.
    samples : int, default 201
        Sampled points of :func:`clarke_interval`, ``>= 2``.
    tol : float, default 1e-9
        Slack of the inside test ``lo - tol <= autodiff <= hi + tol``.

    Returns
    -------
    list of dict
        One dict per function with keys ``"function"`` (name), ``"autodiff"``, ``"clarke_lo"``,
        ``"clarke_hi"`` (floats) and ``"inside"`` (bool).

    Raises
    ------
    TypeError
        If ``functions`` is not a non-empty dict or a key is not a str, or as :func:`autodiff_derivative`
        and :func:`clarke_interval`.
    ValueError
        As :func:`autodiff_derivative` and :func:`clarke_interval` (bad ``x``, ``radius``, ``samples``, or ``f``
        values).

    Examples
    --------
    Autodiff can leave the Clarke differential: ``relu(t) - relu(-t)`` is :math:`t`, with derivative 1:

    >>> import torch
    >>> from nntheory import clarke
    >>> fs = {"relu": torch.relu, "relu2": clarke.relu2, "t": lambda t: torch.relu(t) - torch.relu(-t)}
    >>> for row in clarke.autodiff_table(fs):
    ...     print(row["function"], row["autodiff"], (row["clarke_lo"], row["clarke_hi"]), row["inside"])
    relu 0.0 (0.0, 1.0) True
    relu2 1.0 (0.0, 1.0) True
    t 0.0 (1.0, 1.0) False
    """
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
    r"""Exact gradients ``W2 A W1`` on each cone around 0 of a bias-free ``[2, m, 1]`` ReLU net, shape ``(k, 2)``.

    The lines :math:`\{u : W_1[j, :] \cdot u = 0\}` of the hidden units cut the plane into cones at 0; on each
    the activation matrix :math:`A` is constant and :math:`\nabla_x F = W_2 A W_1`. The Clarke differential of
    :math:`x \mapsto F(x)` at 0 is the convex hull of these gradients.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net of widths ``[2, m, 1]``.

    Returns
    -------
    numpy.ndarray of shape (k, 2)
        The distinct gradients (rounded to 12 decimals), rows sorted lexicographically; ``k <= 2m``.
        A single zero row when every hidden unit has zero incoming weights.

    Raises
    ------
    TypeError
        If ``net`` is not a ReLU net of this package.
    ValueError
        If the net has biases or non-finite weights, or is not of widths ``[2, m, 1]``.

    Examples
    --------
    The exact cone gradients agree with the sampled Clarke differential at 0:

    >>> from nntheory import clarke, geometry, nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> g = clarke.cone_gradients_2d(net)
    >>> g.shape
    (6, 2)
    >>> sampled = clarke.clarke_hull_2d(lambda X: net(X)[:, 0], [0.0, 0.0], batched=True)
    >>> geometry.hausdorff(geometry.hull_vertices_2d(g), sampled) < 1e-6
    True
    """
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
    r"""``(f'(x; v), f°(x; v))`` by difference quotients with step ``t``: at ``x``, and the largest at points near ``x``.

    ``f'(x; v) ~ (f(x + t v) - f(x)) / t`` is the one-sided directional derivative; Clarke's generalized
    directional derivative ``f°(x; v) = limsup_{y -> x, t -> 0+} (f(y + t v) - f(y)) / t`` is estimated by the
    largest quotient over ``x`` and ``samples`` seeded points ``y`` within ``radius`` of ``x``. Take ``t`` much
    smaller than ``radius``, so that some segments ``[y, y + t v]`` lie inside one smooth piece; the round-off in a
    quotient is about ``2 eps |f| / t``.

    Always :math:`f'(x; v) \le f^\circ(x; v)`, and
    :math:`f^\circ(x; v) = \max_{g \in \partial f(x)} \langle g, v\rangle`.

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    x : array_like
        The point, a number or a finite array/tensor of any shape (``f`` is called on tensors of that shape).
    direction : array_like
        The direction ``v``, with as many entries as ``x``, finite.
    t : float, default 1e-8
        Step of the difference quotients, finite ``> 0``.
    radius : float, default 1e-6
        Radius of the sampling ball around ``x``, finite ``> 0``.
    samples : int, default 201
        Number of sampled points, ``>= 2``.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the points.

    Returns
    -------
    tuple of (float, float)
        :math:`(f'(x; v), f^\circ(x; v))` estimates.

    Raises
    ------
    TypeError
        If ``f`` is not callable, or ``t``, ``radius``, ``samples``, ``x`` or ``direction`` has the wrong type.
    ValueError
        If ``t`` or ``radius`` is not finite and ``> 0``, ``samples < 2``, ``x`` or ``direction`` is not
        finite, or ``direction`` has a different number of entries from ``x``.

    Examples
    --------
    For :math:`f = -|x|` at 0: :math:`f'(0; 1) = -1` but :math:`f^\circ(0; 1) = 1`:

    >>> from nntheory import clarke
    >>> d, d_clarke = clarke.directional_derivatives(lambda t: -t.abs(), 0.0, 1.0)
    >>> round(d, 6), round(d_clarke, 6)
    (-1.0, 1.0)
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
    r"""For a path ``w`` ``(n, d)`` with velocities ``w_dot``: the distance from ``-w_dot[i]`` to the sampled ``∂f(w[i])``.

    A solution of the gradient inclusion ``w' in -∂f(w)`` has residual 0 up to the sampling error (gradients
    within ``radius`` of ``w[i]``, see :func:`clarke_samples`); ``batched`` is passed on.

    Residual ``i`` is :math:`\mathrm{dist}(-\dot w_i, \mathrm{conv}\{\nabla f(y_1), \dots, \nabla f(y_s)\})` with
    :math:`y_j` the sampled points around :math:`w_i` (the same ``seed`` for every ``i``).

    Parameters
    ----------
    f : callable
        The function, mapping a float64 torch tensor to a one-element tensor (built from torch
        operations, so that autograd can differentiate it).
    w : array_like of shape (n, d)
        Points of the path, one per row, finite.
    w_dot : array_like of shape (n, d)
        Velocities at those points, finite.
    radius : float, default 1e-6
        Radius of the sampling ball around ``x``, finite ``> 0``.
    samples : int, default 64
        Number of sampled points, ``>= 2``.
    seed : int, default 0
        Seed of the ``numpy.random.default_rng`` that draws the points.
    batched : bool, default False
        ``f`` maps an ``(n, d)`` tensor to its ``(n,)`` values row by row; one backward pass then gives all
        gradients (much faster; the rows must not interact).

    Returns
    -------
    numpy.ndarray of shape (n,)
        The residuals, ``>= 0``.

    Raises
    ------
    TypeError
        If ``w`` or ``w_dot`` is not an array of reals, or ``f`` is not callable or returns something other than a
        tensor (or as :func:`clarke_samples`).
    ValueError
        If ``w`` is not a finite non-empty 2-D array, ``w_dot`` does not have its shape, or as
        :func:`clarke_samples` (bad ``radius``, ``samples``, or ``f`` values).

    Examples
    --------
    For :math:`f = |w|`: at 0 any velocity in :math:`[-1, 1]` is allowed, at 0.5 only :math:`-1`:

    >>> from nntheory import clarke
    >>> r = clarke.inclusion_residual(lambda w: w.abs().sum(), [[0.0], [0.5], [0.5]], [[0.0], [-1.0], [-0.5]])
    >>> r.tolist()
    [0.0, 0.0, 0.5]
    """
    ws = v.matrix(w, "w")
    wd = v.matrix(w_dot, "w_dot", (ws.shape[0], ws.shape[1]))
    out = np.empty(len(ws))
    for i, (p, q) in enumerate(zip(ws, wd)):
        g = clarke_samples(f, p, radius=radius, samples=samples, seed=seed, batched=batched)
        out[i] = geometry.hull_distance(-q, g)
    return out
