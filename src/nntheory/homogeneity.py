"""Positive homogeneity: degree estimates, Euler residuals, and per-layer inner products of ReLU nets.

A function ``f`` is positively homogeneous of degree ``k`` when ``f(c w) = c**k f(w)`` for every
``c > 0``. A bias-free ReLU net with ``L`` Linear layers is ``L``-homogeneous in all its weights
jointly and 1-homogeneous in each layer, which gives ``<W_i, dF/dW_i> = F(x)`` for every layer
and Euler's identity ``<s, w> = L F(x; w)`` for every ``s`` in the Clarke differential.

To look at the Clarke differential with respect to the *weights*, a net is seen as a function
``w -> F(x; w)`` of its flattened weight vector ``w = (vec W_1, ..., vec W_L)`` (row-major).
At a kink (some hidden pre-activation exactly zero) the function is a different polynomial on
each side; ``pattern_gradients`` returns the gradients of those polynomials at the kink. Every
on/off pattern of the zero units is a piece near the kink when each zero unit has a nonzero input
(its own incoming row can then switch it); ``pattern_gradients`` refuses kinks where this fails.

Two facts make the book's checks exact: multiplying by a power of two commutes with floating-point
rounding (``scaling_deviation``), and a net whose weights and input are dyadic computes every sum of
products exactly while ``float64_bits`` stays at most 53 (``round_dyadic``, ``make_kink``).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import _validate as v
from . import checks, clarke, nets

__all__ = [
    "layer_inner_products",
    "degree_estimate",
    "local_degrees",
    "euler_residual",
    "flat_weights",
    "weight_function",
    "layer_function",
    "flat_params",
    "param_function",
    "zero_preactivations",
    "pattern_gradients",
    "round_dyadic",
    "scale_weights",
    "make_kink",
    "abs_product",
    "roundoff_bound",
    "gradient_lipschitz_bound",
    "scaling_deviation",
    "small_scale_expansion",
    "large_scale_expansion",
    "float64_bits",
    "dyadic_net",
    "stuck_risk",
]

_EPS = float(np.finfo(np.float64).eps)
_MAX_KINKS = 10  # 2**10 pieces meet at a point with 10 zero pre-activations: plenty for a book


def layer_inner_products(net: nn.Sequential, x: object) -> list[float]:
    r"""``<W_i, dF/dW_i>`` (autograd) for each Linear layer of a bias-free scalar ReLU net at one input ``x``.

    ``F`` is 1-homogeneous in each weight matrix, so every entry equals ``F(x)``:
    :math:`\langle W_i, \partial F/\partial W_i\rangle = F(x)` for :math:`i = 1, \dots, L` (Euler's identity per
    layer), up to round-off (see :func:`nntheory.homogeneity.roundoff_bound`).

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    list of float
        ``L`` numbers, :math:`\langle W_i, \partial F/\partial W_i\rangle` for layers ``1, ..., L``.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net` with ``bias_free=True, scalar_output=True``, or ``x`` is
        not a finite array of shape ``(d_in,)``.

    Examples
    --------
    >>> import torch
    >>> from nntheory import homogeneity as hom, nets
    >>> net = nets.relu_net([2, 4, 3, 1], seed=3)
    >>> x = [1.0, -0.5]
    >>> print(round(net(torch.tensor(x, dtype=torch.float64)).item(), 6))
    0.581778
    >>> [round(p, 6) for p in hom.layer_inner_products(net, x)]   # each layer gives F(x)
    [0.581778, 0.581778, 0.581778]
    """
    weights = [m.weight for m in nets.linear_layers(net, bias_free=True, scalar_output=True)]
    t = nets.as_input(net, x, single=True)
    with torch.enable_grad():
        out = net(t).reshape(())
        grads = torch.autograd.grad(out, weights)
    return [float((w.detach() * g).sum()) for w, g in zip(weights, grads)]


# ---------------------------------------------------------------- degree and Euler residual


def _as_vector(w: object, name: str = "w") -> torch.Tensor:
    t = v.tensor64(w, name)
    if t.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-d vector, got shape {tuple(t.shape)}")
    return t


def _value(f: Callable, w: torch.Tensor) -> float:
    y = f(w)
    if isinstance(y, torch.Tensor):
        if y.numel() != 1:
            raise ValueError(f"f must return a scalar, got output of shape {tuple(y.shape)}")
        return float(y.detach().reshape(()))
    try:
        return float(y)
    except (TypeError, ValueError) as err:
        raise TypeError(f"f must return a scalar (tensor or float), got {type(y).__name__}") from err


def _check_scales(scales: object) -> np.ndarray:
    c = v.array(scales, "scales").ravel()
    if c.size < 2 or not np.all(c > 0):
        raise ValueError("scales must be at least 2 positive finite numbers")
    if np.unique(c).size < 2:
        raise ValueError("scales must contain at least 2 distinct values")
    return c


def _scaled_values(f: Callable, w: object, scales: object) -> tuple[np.ndarray, np.ndarray]:
    v.function(f, "f", "a function of a float64 tensor")
    t = _as_vector(w)
    c = _check_scales(scales)
    vals = np.array([_value(f, float(ci) * t) for ci in c])
    bad = np.flatnonzero(~np.isfinite(vals) | (vals == 0))
    if bad.size:
        raise ValueError(f"f(c w) is zero or not finite at c = {c[bad[0]]!r}: log|f| is undefined, pick another w")
    return c, np.abs(vals)


def degree_estimate(f: Callable[[torch.Tensor], torch.Tensor], w: object, scales: Sequence[float]) -> float:
    r"""Least-squares slope of ``log|f(c w)|`` against ``log c`` over the given ``scales`` (the degree if homogeneous).

    If :math:`f(c w) = c^k f(w)` for :math:`c > 0`, then :math:`\log|f(cw)| = k \log c + \log|f(w)|` and the
    slope is exactly ``k``.

    Parameters
    ----------
    f : callable
        The function: takes a float64 tensor of the shape of ``w`` and returns a scalar (a one-element tensor
        or a float), e.g. :func:`nntheory.homogeneity.weight_function`.
    w : array_like or torch.Tensor
        The point: a real scalar or a 1-d vector, finite.
    scales : sequence of float
        The factors ``c``: at least 2 positive finite numbers, not all equal.

    Returns
    -------
    float
        The fitted slope (the degree ``k`` when ``f`` is positively homogeneous along the ray of ``w``).

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something that is not a scalar, or ``w`` or ``scales`` is not
        numeric.
    ValueError
        If ``w`` is not finite or has more than one axis, ``scales`` has fewer than 2 distinct positive values,
        ``f`` returns a tensor of more than one element, or some ``f(c w)`` is 0 or not finite.

    Examples
    --------
    A bias-free ReLU net with ``L = 3`` layers is 3-homogeneous in its weights:

    >>> from nntheory import homogeneity as hom, nets
    >>> net = nets.relu_net([2, 4, 3, 1], seed=3)
    >>> f, w = hom.weight_function(net, [1.0, -0.5]), hom.flat_weights(net)
    >>> print(round(hom.degree_estimate(f, w, [0.5, 1.0, 2.0]), 6))
    3.0
    >>> g = lambda t: (t ** 2).sum() + 1.0              # not homogeneous: the slope is no degree
    >>> print(round(hom.degree_estimate(g, [1.0, 2.0], [1.0, 10.0]), 3))
    1.922
    """
    c, v = _scaled_values(f, w, scales)
    return checks.loglog_slope(c, v)


def local_degrees(f: Callable[[torch.Tensor], torch.Tensor], w: object, scales: Sequence[float]) -> np.ndarray:
    """Local slopes ``d log|f(c w)| / d log c`` at each of the sorted ``scales`` (constant iff homogeneous).

    The derivative is ``numpy.gradient`` of ``log|f(c w)|`` in ``log c`` (second-order differences inside,
    one-sided at the two ends); for a ``k``-homogeneous ``f`` every entry is ``k``.

    Parameters
    ----------
    f : callable
        The function: takes a float64 tensor of the shape of ``w`` and returns a scalar (a one-element tensor
        or a float), e.g. :func:`nntheory.homogeneity.weight_function`.
    w : array_like or torch.Tensor
        The point: a real scalar or a 1-d vector, finite.
    scales : sequence of float
        The factors ``c``: at least 2 positive, finite, pairwise distinct numbers, in any order.

    Returns
    -------
    numpy.ndarray of shape (len(scales),)
        The local slopes at the scales sorted increasingly.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something that is not a scalar, or ``w`` or ``scales`` is not
        numeric.
    ValueError
        If ``w`` is not finite or has more than one axis, ``scales`` has fewer than 2 values, a value that is
        not positive or a repeated value, ``f`` returns a tensor of more than one element, or some ``f(c w)``
        is 0 or not finite.
    """
    c, v = _scaled_values(f, w, scales)
    order = np.argsort(c)
    c, v = c[order], v[order]
    if np.unique(c).size != c.size:
        raise ValueError("scales must be distinct")
    return np.gradient(np.log(v), np.log(c))


def euler_residual(
    f: Callable[[torch.Tensor], torch.Tensor], w: object, degree: float, s: object | None = None
) -> float | np.ndarray:
    r"""``<s, w> - degree * f(w)``; ``s`` is autograd's gradient at ``w`` unless given (one vector or rows).

    For a ``k``-homogeneous locally Lipschitz ``f``, Euler's identity :math:`\langle s, w\rangle = k f(w)` holds
    for every ``s`` in the Clarke differential :math:`\partial f(w)`, so the residual is 0 up to round-off.

    Parameters
    ----------
    f : callable
        The function: takes a float64 tensor of the shape of ``w`` and returns a scalar (a one-element tensor
        or a float), e.g. :func:`nntheory.homogeneity.weight_function`.
    w : array_like or torch.Tensor
        The point: a real scalar or a 1-d vector, finite.
    degree : float
        The degree ``k`` to test, a finite real.
    s : array_like of shape (n,) or (m, n), optional
        One (sub)gradient, or ``m`` of them as rows, with ``n`` the size of ``w``; default: the autograd
        gradient of ``f`` at ``w``.

    Returns
    -------
    float or numpy.ndarray of shape (m,)
        The residual :math:`\langle s, w\rangle - k f(w)`: a float for one vector (or the autograd gradient),
        one residual per row when ``s`` has rows.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something that is not a scalar, ``degree`` is not a real number,
        or ``w`` or ``s`` is not numeric.
    ValueError
        If ``w`` or ``s`` is not finite, ``w`` has more than one axis, ``s`` does not have shape ``(n,)`` or
        ``(m, n)``, or ``degree`` is not finite.

    Examples
    --------
    >>> from nntheory import homogeneity as hom, nets
    >>> net = nets.relu_net([2, 4, 3, 1], seed=3)
    >>> f, w = hom.weight_function(net, [1.0, -0.5]), hom.flat_weights(net)
    >>> abs(hom.euler_residual(f, w, 3)) < 1e-12      # <grad F, w> = L F with L = 3
    True
    >>> abs(hom.euler_residual(f, w, 2)) > 0.5        # the wrong degree leaves F(x) = 0.58...
    True
    """
    v.function(f, "f", "a function of a float64 tensor")
    degree = v.real(degree, "degree")
    t = _as_vector(w)
    fw = _value(f, t)
    if s is None:
        g = clarke.gradient(f, t.reshape(-1)).reshape(t.shape)
        return float((g * t).sum()) - degree * fw
    sv = v.array(s, "s")
    wv = t.numpy().reshape(-1)
    if sv.ndim not in (1, 2) or sv.shape[-1] != wv.size:
        raise ValueError(f"s must have shape ({wv.size},) or (k, {wv.size}) to match w, got {sv.shape}")
    res = sv @ wv - degree * fw
    return float(res) if sv.ndim == 1 else res


# ---------------------------------------------------------------- a net as a function of its weights


def _single_input(net: nn.Sequential, x: object) -> torch.Tensor:
    return nets.as_input(net, x, single=True)


def _weights(net: nn.Sequential, **rules: bool) -> list[torch.Tensor]:
    return [m.weight.detach() for m in nets.linear_layers(net, **rules)]


def flat_weights(net: nn.Sequential) -> torch.Tensor:
    r"""All weights of a bias-free ReLU net as one float64 vector ``(vec W_1, ..., vec W_L)`` (row-major).

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net (:func:`nntheory.nets.check_net` with ``bias_free=True``).

    Returns
    -------
    torch.Tensor of shape (P,)
        A new float64 tensor (no gradient), :math:`P = \sum_i d_i d_{i-1}`: the entries of ``W_1`` row by row,
        then those of ``W_2``, and so on; the argument of :func:`nntheory.homogeneity.weight_function`.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net` with ``bias_free=True``.
    """
    return torch.cat([W.reshape(-1) for W in _weights(net, bias_free=True)]).to(torch.float64)


def _check_patterns(net: nn.Sequential, patterns: Sequence[object] | None) -> list[torch.Tensor] | None:
    if patterns is None:
        return None
    hidden = [W.shape[0] for W in _weights(net)][:-1]
    if isinstance(patterns, (str, bytes)) or not isinstance(patterns, Sequence) or len(patterns) != len(hidden):
        raise ValueError(f"patterns must be a list of {len(hidden)} 0/1 vectors (one per hidden layer)")
    out = []
    for i, (p, h) in enumerate(zip(patterns, hidden)):
        a = np.asarray(p, dtype=float).ravel()
        if a.size != h or not np.all((a == 0) | (a == 1)):
            raise ValueError(f"patterns[{i}] must be a 0/1 vector of length {h}, got {np.asarray(p).tolist()}")
        out.append(torch.as_tensor(a, dtype=torch.float64))
    return out


def weight_function(
    net: nn.Sequential, x: object, *, patterns: Sequence[object] | None = None, power: float = 1
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``w -> F(x; w)`` on flat weight vectors; ``patterns`` freezes the ReLUs to 0/1 masks, ``power`` uses ``relu(z)**power``.

    With ``power = p >= 1`` every hidden activation is the ``p``-homogeneous ``relu(z)**p`` instead of the
    ReLU (same weights), so ``F`` is homogeneous of degree ``p**(L - i)`` in ``W_i``; ``patterns`` and
    ``power`` cannot be combined.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.
    patterns : list of array_like, optional
        One 0/1 vector per hidden layer (length ``d_i``): unit ``j`` of layer ``i`` is frozen on (1) or off
        (0) whatever its pre-activation, which gives the polynomial of one piece. Default: the ReLU decides.
    power : float, default 1
        The exponent ``p`` of the activation ``relu(z)**p``, a real ``>= 1``; ``1`` is the ReLU net itself.

    Returns
    -------
    callable
        ``f(w)``: takes a float64 tensor ``w`` of shape ``(P,)`` laid out as
        :func:`nntheory.homogeneity.flat_weights` and returns ``F(x; w)`` as a 0-d tensor, differentiable by
        autograd. It raises ``ValueError`` for anything but a tensor of shape ``(P,)``.

    Raises
    ------
    TypeError
        If ``power`` is not a real number, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``patterns`` does not hold one 0/1 vector of the right length per hidden layer, ``power < 1``,
        ``patterns`` is given with ``power != 1``, or ``net`` or ``x`` fails its checks (see
        :func:`nntheory.nets.check_net`; ``x`` must have shape ``(d_in,)``).

    Examples
    --------
    >>> import torch
    >>> from nntheory import homogeneity as hom, nets
    >>> net = nets.relu_net([2, 4, 3, 1], seed=3)
    >>> f, w = hom.weight_function(net, [1.0, -0.5]), hom.flat_weights(net)
    >>> tuple(w.shape)                               # 2*4 + 4*3 + 3*1 weights
    (23,)
    >>> print(round(f(w).item(), 6), round(f(2 * w).item() / f(w).item(), 6))    # F(x), and 2**L with L = 3
    0.581778 8.0
    """
    shapes = [tuple(W.shape) for W in _weights(net, bias_free=True, scalar_output=True)]
    t = _single_input(net, x).to(torch.float64)
    sizes = [r * c for r, c in shapes]
    masks = _check_patterns(net, patterns)
    power = v.real(power, "power")
    if power < 1:
        raise ValueError(f"power must be at least 1 (relu(z)**power is then locally Lipschitz), got {power}")
    if masks is not None and power != 1:
        raise ValueError("patterns and power cannot be combined: frozen masks describe the pieces of a ReLU net")
    total = sum(sizes)

    def f(w: torch.Tensor) -> torch.Tensor:
        if not isinstance(w, torch.Tensor) or w.shape != (total,):
            raise ValueError(f"w must be a flat weight tensor of shape ({total},), got {getattr(w, 'shape', w)!r}")
        ws = [W.reshape(shape) for W, shape in zip(torch.split(w, sizes), shapes)]
        if power == 1:
            return nets.forward(ws, t, masks=masks).reshape(())
        h = t
        for W in ws[:-1]:
            h = torch.relu(h @ W.T) ** power
        return (h @ ws[-1].T).reshape(())

    return f


def layer_function(
    net: nn.Sequential, x: object, layer: int
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """``(v -> F(x; W_1, ..., W_layer = v, ..., W_L), vec W_layer)``: one layer's weights free, the others frozen.

    ``F`` is 1-homogeneous in each layer's weights alone, so the returned function has degree 1.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.
    layer : int
        Which Linear layer is free, counted from 1 to ``L``.

    Returns
    -------
    g : callable
        Takes a float64 tensor of shape ``(d_layer * d_{layer-1},)`` (``W_layer`` flattened row-major) and
        returns ``F(x)`` with that layer's weights as a 0-d tensor; ``ValueError`` for any other shape.
    w_layer : torch.Tensor of shape (n,)
        A float64 copy of the layer's current weights, flattened (``n = d_layer * d_{layer-1}``):
        ``g(w_layer)`` is ``F(x)``.

    Raises
    ------
    TypeError
        If ``layer`` is not an int, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``layer`` is outside ``1, ..., L``, or ``net`` or ``x`` fails its checks (bias-free, scalar output,
        ``x`` of shape ``(d_in,)``).
    """
    lins = nets.linear_layers(net, bias_free=True, scalar_output=True)
    layer = v.integer(layer, "layer (counted from 1)", least=1, most=len(lins))
    f, w = weight_function(net, x), flat_weights(net)
    sizes = [m.weight.numel() for m in lins]
    start = sum(sizes[: layer - 1])
    stop = start + sizes[layer - 1]
    head, own, tail = w[:start], w[start:stop].clone(), w[stop:]

    def g(u: torch.Tensor) -> torch.Tensor:
        if not isinstance(u, torch.Tensor) or u.shape != own.shape:
            raise ValueError(f"the weights of layer {layer} must be a flat tensor of shape {tuple(own.shape)}, "
                             f"got {getattr(u, 'shape', u)!r}")
        return f(torch.cat([head, u, tail]))

    return g, own


def flat_params(net: nn.Sequential) -> torch.Tensor:
    """All parameters (weights and any biases) of a ReLU net as one float64 vector, in ``net.parameters()`` order.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases.

    Returns
    -------
    torch.Tensor of shape (P,)
        A new float64 tensor (no gradient): ``vec W_1, b_1, vec W_2, b_2, ...`` (biases where present),
        the argument of :func:`nntheory.homogeneity.param_function`.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net`.
    """
    nets.check_net(net)
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).to(torch.float64)


def param_function(net: nn.Sequential, x: object) -> Callable[[torch.Tensor], torch.Tensor]:
    """``theta -> F(x; theta)`` on flat parameter vectors (biases included) of a scalar-output ReLU net.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net with scalar output, with or without biases (:func:`nntheory.nets.check_net` with
        ``scalar_output=True``).
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    callable
        ``f(theta)``: takes a float64 tensor of shape ``(P,)`` laid out as
        :func:`nntheory.homogeneity.flat_params` and returns ``F(x; theta)`` as a 0-d tensor (autograd
        works through it); ``ValueError`` for any other shape.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net` with ``scalar_output=True``, or ``x`` is not a finite
        array of shape ``(d_in,)``.
    """
    nets.check_net(net, scalar_output=True)
    t = _single_input(net, x).to(torch.float64)
    named = [(n, tuple(p.shape)) for n, p in net.named_parameters()]
    sizes = [int(np.prod(s)) for _, s in named]
    total = sum(sizes)

    def f(theta: torch.Tensor) -> torch.Tensor:
        if not isinstance(theta, torch.Tensor) or theta.shape != (total,):
            raise ValueError(f"theta must be a flat parameter tensor of shape ({total},), got {getattr(theta, 'shape', theta)!r}")
        params = {n: chunk.reshape(s) for (n, s), chunk in zip(named, torch.split(theta, sizes))}
        return torch.func.functional_call(net, params, (t,)).reshape(())

    return f


@torch.no_grad()
def zero_preactivations(net: nn.Sequential, x: object) -> list[tuple[int, int]]:
    """``(layer, unit)`` of every hidden pre-activation exactly equal to 0 at ``x`` (layers count from 1).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases.
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    list of tuple of int
        ``(layer, unit)`` pairs, hidden layers counted from 1 and units from 0, in layer order; empty when
        ``x`` is at no kink.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net`, or ``x`` is not a finite array of shape ``(d_in,)``.
    """
    zs = nets.pre_activations(net, _single_input(net, x))
    return [(i + 1, int(j)) for i, z in enumerate(zs) for j in torch.nonzero(z == 0).flatten().tolist()]


def pattern_gradients(net: nn.Sequential, x: object) -> tuple[list[list[np.ndarray]], np.ndarray]:
    """Gradients in the weights, at the net's weights, of every piece meeting there (one per on/off choice of the zero pre-activations).

    Each pattern is a piece near the weights because every zero unit has a nonzero input, so that a
    small change of its own incoming row switches it either way; where a zero unit's layer has input
    0 (then not every pattern occurs, and the convex hull of the returned gradients could exceed the
    Clarke differential) a ``ValueError`` is raised.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    patterns : list of list of numpy.ndarray
        ``2**m`` patterns, ``m`` the number of zero pre-activations
        (:func:`nntheory.homogeneity.zero_preactivations`): each a list of one float 0/1 vector per hidden
        layer, equal to ``z_i > 0`` except at the zero units, which run through every on/off choice (all
        off first).
    gradients : numpy.ndarray of shape (2**m, P)
        Row ``j``: the gradient of the piece of ``patterns[j]`` with respect to the flat weights
        (:func:`nntheory.homogeneity.flat_weights`). Their convex hull is the Clarke differential of
        ``w -> F(x; w)``.

    Raises
    ------
    ValueError
        If more than 10 pre-activations are zero, or a zero unit's layer has input 0; also ``net`` or ``x``
        failing its checks (bias-free, scalar output, ``x`` of shape ``(d_in,)``).
    TypeError
        If ``net`` or ``x`` has the wrong type.

    Examples
    --------
    Make a kink on dyadic weights (:func:`nntheory.homogeneity.make_kink`), then Euler's identity holds for
    the gradient of each of the two pieces meeting there:

    >>> from nntheory import homogeneity as hom, nets
    >>> x = [1.0, -0.5]
    >>> net = hom.make_kink(hom.round_dyadic(nets.relu_net([2, 4, 3, 1], seed=3)), x, layer=1, unit=0)
    >>> hom.zero_preactivations(net, x)
    [(1, 0)]
    >>> patterns, grads = hom.pattern_gradients(net, x)
    >>> grads.shape
    (2, 23)
    >>> f, w = hom.weight_function(net, x), hom.flat_weights(net)
    >>> hom.euler_residual(f, w, 3, grads).tolist()     # exactly 0 for both pieces
    [0.0, 0.0]
    """
    nets.check_net(net, bias_free=True, scalar_output=True)
    t = _single_input(net, x)
    kinks = zero_preactivations(net, t)
    if len(kinks) > _MAX_KINKS:
        raise ValueError(f"{len(kinks)} zero pre-activations at x: 2**{len(kinks)} pieces is too many (max {_MAX_KINKS})")
    zs = nets.pre_activations(net, t)
    inputs = [t] + [torch.relu(z) for z in zs[:-1]]  # the input of each hidden layer
    for layer in sorted({layer for layer, _ in kinks}):
        if not torch.any(inputs[layer - 1] != 0):
            where = "x is 0" if layer == 1 else f"the input of hidden layer {layer} is 0 (every unit of layer {layer - 1} outputs 0)"
            raise ValueError(
                f"{where}: the zero units of layer {layer} cannot be switched by their own rows, so not every "
                "on/off pattern is a piece near the weights; pattern_gradients needs every zero unit to have a "
                "nonzero input")
    base = [(z > 0).numpy().astype(float) for z in zs]
    w = flat_weights(net)
    pats, grads = [], []
    for bits in itertools.product((0.0, 1.0), repeat=len(kinks)):
        p = [b.copy() for b in base]
        for (layer, unit), bit in zip(kinks, bits):
            p[layer - 1][unit] = bit
        pats.append(p)
        grads.append(clarke.gradient(weight_function(net, t, patterns=p), w).numpy())
    return pats, np.stack(grads)


# ---------------------------------------------------------------- building exact kinks


def round_dyadic(net: nn.Sequential, bits: int = 5) -> nn.Sequential:
    """A copy of ``net`` with every parameter rounded to a multiple of ``2**-bits`` (so sums of products are exact).

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`; biases, if any, are rounded too.
    bits : int, default 5
        The grid is ``2**-bits``; an int in ``[0, 20]``.

    Returns
    -------
    torch.nn.Sequential
        A deep copy with rounded parameters (``net`` itself is unchanged).

    Raises
    ------
    TypeError
        If ``bits`` is not an int, or ``net`` is not a network of this package.
    ValueError
        If ``bits`` is outside ``[0, 20]``, or ``net`` fails :func:`nntheory.nets.check_net`.
    """
    nets.check_net(net)
    bits = v.integer(bits, "bits", least=0, most=20)
    out = copy.deepcopy(net)
    with torch.no_grad():
        for p in out.parameters():
            p.copy_(torch.round(p * 2.0**bits) / 2.0**bits)
    return out


def scale_weights(net: nn.Sequential, c: float, *, layer: int | None = None) -> nn.Sequential:
    """A copy of ``net`` with every weight matrix (or only Linear layer ``layer``, from 1) multiplied by ``c``.

    For a bias-free net and ``c > 0`` the output is multiplied by ``c**L`` (all layers) or by ``c`` (one
    layer). Biases are not scaled.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU net of :func:`nntheory.nets.check_net`, with or without biases.
    c : float
        The factor, any finite real.
    layer : int, optional
        Scale only this Linear layer, counted from 1 to ``L``; default: every layer.

    Returns
    -------
    torch.nn.Sequential
        A deep copy with scaled weights (``net`` itself is unchanged).

    Raises
    ------
    TypeError
        If ``c`` is not a real number, ``layer`` is not an int, or ``net`` is not a network of this package.
    ValueError
        If ``c`` is not finite, ``layer`` is outside ``1, ..., L``, or ``net`` fails
        :func:`nntheory.nets.check_net`.
    """
    nets.check_net(net)
    c = v.real(c, "c")
    out = copy.deepcopy(net)
    lins = [m for m in out if isinstance(m, nn.Linear)]
    if layer is not None:
        layer = v.integer(layer, "layer", least=1, most=len(lins))
    with torch.no_grad():
        for i, m in enumerate(lins, start=1):
            if layer is None or i == layer:
                m.weight.mul_(c)
    return out


def make_kink(net: nn.Sequential, x: object, layer: int, unit: int) -> nn.Sequential:
    """A copy of ``net`` whose hidden ``unit`` of ``layer`` (from 1) has pre-activation exactly 0 at ``x``.

    The unit's incoming row ``r`` becomes ``2**-e (a_k r - z e_k)`` with ``a`` the layer's input,
    ``z = <r, a>`` and ``k`` the largest ``|a_k|``, so ``<row, a> = 0`` in exact arithmetic. Floating
    point gives exactly 0 when weights and ``x`` are dyadic (see ``round_dyadic``); this is verified.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net (:func:`nntheory.nets.check_net` with ``bias_free=True``), best with dyadic
        weights (:func:`nntheory.homogeneity.round_dyadic`).
    x : array_like of shape (d_in,)
        The input where the kink is made, best dyadic.
    layer : int
        The hidden layer of the unit, from 1 to ``L - 1``.
    unit : int
        The unit within that layer, from 0 to ``d_layer - 1``.

    Returns
    -------
    torch.nn.Sequential
        A deep copy of ``net`` in which only the unit's incoming row differs.

    Raises
    ------
    TypeError
        If ``layer`` or ``unit`` is not an int, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``layer`` or ``unit`` is out of range, the layer's input is 0 at ``x`` (every unit there is
        dead), the new pre-activation is not exactly 0 (weights or ``x`` not dyadic), or ``net`` or ``x``
        fails its checks.
    """
    lins = nets.linear_layers(net, bias_free=True)
    t = _single_input(net, x)
    layer = v.integer(layer, "layer (a hidden layer, counted from 1)", least=1, most=len(lins) - 1)
    unit = v.integer(unit, "unit", least=0, most=lins[layer - 1].out_features - 1)
    out = copy.deepcopy(net)
    olins = [m for m in out if isinstance(m, nn.Linear)]
    with torch.no_grad():
        # the layer's input: relu of the previous layer's pre-activation (x itself for layer 1)
        a = t if layer == 1 else torch.relu(nets.pre_activations(out, t)[layer - 2])
        if not torch.any(a != 0):
            raise ValueError(f"the input of layer {layer} is zero at x: every unit there is dead, no kink to make")
        k = int(torch.argmax(a.abs()))
        row = olins[layer - 1].weight[unit].clone()
        z = row @ a
        new = a[k] * row
        new[k] -= z
        e = int(np.floor(np.log2(abs(float(a[k])))))
        olins[layer - 1].weight[unit] = new * 2.0 ** (-e)  # exact power-of-two rescaling keeps sizes O(1)
    got = float(nets.pre_activations(out, t)[layer - 1][unit])
    if got != 0.0:
        raise ValueError(
            f"pre-activation of layer {layer} unit {unit} is {got!r}, not exactly 0: "
            "round the weights and x to a dyadic grid first (round_dyadic)"
        )
    return out


# ---------------------------------------------------------------- tolerances from first principles


@torch.no_grad()
def abs_product(net: nn.Sequential, x: object) -> float:
    """``|W_L| |W_{L-1}| ... |W_1| |x|`` (entrywise absolute values, no masks): the scale of round-off in F(x).

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    float
        The product, ``>= |F(x)|``; every partial sum of the forward pass is bounded by its prefix.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net` with ``bias_free=True, scalar_output=True``, or ``x`` is
        not a finite array of shape ``(d_in,)``.
    """
    ws = _weights(net, bias_free=True, scalar_output=True)
    return float(nets.forward([W.abs() for W in ws], _single_input(net, x).abs(), relu=False).reshape(()))


def roundoff_bound(net: nn.Sequential, x: object) -> float:
    """Worst-case float64 bound on ``|<W_i, dF/dW_i> - F(x)|``: ``2 N eps |W_L|...|W_1||x|`` with N the summation lengths.

    Here ``N = d_0 + d_1 + ... + d_L + max_i d_i d_{i-1}`` and ``eps = 2**-52``; the tolerance for
    :func:`nntheory.homogeneity.layer_inner_products`.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.

    Returns
    -------
    float
        The bound, ``2 N eps`` times :func:`nntheory.homogeneity.abs_product`.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`nntheory.nets.check_net` with ``bias_free=True, scalar_output=True``, or ``x`` is
        not a finite array of shape ``(d_in,)``.
    """
    scale = abs_product(net, x)  # validates the net and x
    Ws = _weights(net)
    widths = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    # F sums over every width once on the way up; <W_i, G_i> sums d_i * d_{i-1} products
    n = sum(widths) + max(a * b for a, b in zip(widths[:-1], widths[1:]))
    return 2.0 * n * _EPS * scale


def gradient_lipschitz_bound(net: nn.Sequential, x: object, radius: float) -> float:
    r"""Lipschitz constant of ``w -> grad p(w)`` on the ball of ``radius`` around the weights, for every frozen-pattern piece ``p``.

    The value is :math:`L \|x\| \max_{i<j} \prod_{k \ne i,j} (\|W_k\|_F + r)` with ``r = radius`` (0 for
    ``L = 1``, where each piece is linear in the weights).

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.
    radius : float
        Radius ``r`` of the ball in the flat weight space, a finite real ``>= 0``.

    Returns
    -------
    float
        A Lipschitz constant of the gradient of every piece (pattern frozen) on that ball.

    Raises
    ------
    TypeError
        If ``radius`` is not a real number, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``radius`` is negative or not finite, or ``net`` or ``x`` fails its checks (bias-free, scalar
        output, ``x`` of shape ``(d_in,)``).
    """
    ws = _weights(net, bias_free=True, scalar_output=True)
    radius = v.nonnegative(radius, "radius")
    xn = float(_single_input(net, x).norm())
    norms = [float(W.norm()) + radius for W in ws]
    L = len(norms)
    best = 0.0
    for i, j in itertools.combinations(range(L), 2):
        best = max(best, float(np.prod([n for k, n in enumerate(norms) if k not in (i, j)])))
    # second derivative in directions U, V: sum over layer pairs i != j of terms bounded by
    # |x| |U_i| |V_j| prod_{k != i, j} |W_k|_F, and sum_{i != j} |U_i||V_j| <= L |U| |V|
    return L * xn * best


# ---------------------------------------------------------------- exact scaling checks and bias expansions


def scaling_deviation(f: Callable[[torch.Tensor], torch.Tensor], w: object, degree: float,
                      powers: Sequence[int]) -> float:
    """Largest ``|f(2^k w) - 2^(k degree) f(w)| / |2^(k degree) f(w)|`` over ``k`` in ``powers`` (0 when homogeneous).

    Scaling by a power of two is exact in floating point, so for a homogeneous ``f`` evaluated by
    sums, products, maxima and correctly rounded powers the deviation is exactly 0 whenever
    ``2^(k degree)`` is itself a power of two.

    Parameters
    ----------
    f : callable
        The function: takes a float64 tensor of the shape of ``w`` and returns a scalar (a one-element tensor
        or a float), e.g. :func:`nntheory.homogeneity.weight_function`.
    w : array_like or torch.Tensor
        The point: a real scalar or a 1-d vector, finite.
    degree : float
        The degree to test, a finite real.
    powers : sequence of int
        The exponents ``k`` of the factors ``2**k``: non-empty, each an int in ``[-60, 60]``.

    Returns
    -------
    float
        The largest relative deviation from ``f(2^k w) = 2^(k degree) f(w)``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or returns something that is not a scalar, ``degree`` is not a real number,
        an entry of ``powers`` is not an int, or ``w`` is not numeric.
    ValueError
        If ``powers`` is empty or not a sequence, an entry is outside ``[-60, 60]``, ``w`` is not finite or
        has more than one axis, or ``f(w)`` is 0 or not finite.

    Examples
    --------
    >>> from nntheory import homogeneity as hom, nets
    >>> net = nets.relu_net([2, 4, 3, 1], seed=3)
    >>> f, w = hom.weight_function(net, [1.0, -0.5]), hom.flat_weights(net)
    >>> hom.scaling_deviation(f, w, 3, [-2, -1, 1, 2])       # exact, not merely small
    0.0
    """
    v.function(f, "f", "a function of a float64 tensor")
    degree = v.real(degree, "degree")
    t = _as_vector(w)
    if isinstance(powers, (str, bytes)) or not isinstance(powers, (Sequence, np.ndarray)) or len(powers) == 0:
        raise ValueError(f"powers must be a non-empty sequence of integers, got {powers!r}")
    ks = [v.integer(k, f"powers[{i}]", least=-60, most=60) for i, k in enumerate(powers)]
    f0 = _value(f, t)
    if f0 == 0 or not np.isfinite(f0):
        raise ValueError(f"f(w) = {f0}: the relative deviation is undefined, pick another w")
    return max(abs(_value(f, 2.0**k * t) - 2.0 ** (k * degree) * f0) / abs(2.0 ** (k * degree) * f0) for k in ks)


def _with_biases(net: nn.Sequential) -> tuple[list[np.ndarray], list[np.ndarray]]:
    nets.check_net(net, scalar_output=True)
    ws, bs = nets.weights(net), nets.biases(net)
    if len(ws) < 3:
        raise ValueError(f"the expansions need at least two hidden layers, got {len(ws) - 1}")
    return ws, [np.zeros(w.shape[0]) if b is None else b for w, b in zip(ws, bs)]


def small_scale_expansion(net: nn.Sequential, x: object, c: float) -> tuple[float, float, float]:
    r"""``(F(x; c theta), c b_L + c^2 W_L relu(b_{L-1}), bound)`` for a ReLU net with biases and ``L >= 3`` layers.

    The remainder is at most ``c^2 ||W_L|| ||W_{L-1} h_{L-2}(c)||`` (ReLU is 1-Lipschitz), with
    ``h_{L-2}(c)`` the output of hidden layer ``L-2`` when every parameter is multiplied by ``c``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A scalar-output ReLU net with at least 3 Linear layers; missing biases count as 0.
    x : array_like of shape (d_in,)
        One input, finite reals.
    c : float
        The factor multiplying every parameter ``theta`` (weights and biases), a finite real ``> 0``;
        the expansion is for small ``c``.

    Returns
    -------
    value : float
        ``F(x; c theta)``.
    approx : float
        The expansion :math:`c b_L + c^2 W_L \max(b_{L-1}, 0)`.
    bound : float
        A bound on ``|value - approx|``.

    Raises
    ------
    TypeError
        If ``c`` is not a real number, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``c`` is not positive and finite, ``net`` has fewer than 3 Linear layers or fails
        :func:`nntheory.nets.check_net` with ``scalar_output=True``, or ``x`` does not have shape ``(d_in,)``.
    """
    ws, bs = _with_biases(net)
    c = v.positive(c, "c")
    h = nets.as_input(net, x, single=True).numpy().astype(np.float64)
    for W, b in zip(ws[:-2], bs[:-2]):
        h = np.maximum(c * W @ h + c * b, 0.0)
    inner = c * ws[-2] @ h
    value = (c * ws[-1] @ np.maximum(inner + c * bs[-2], 0.0) + c * bs[-1]).item()
    approx = (c * bs[-1] + c**2 * ws[-1] @ np.maximum(bs[-2], 0.0)).item()
    return value, approx, float(c * np.linalg.norm(ws[-1]) * np.linalg.norm(inner))


def large_scale_expansion(net: nn.Sequential, x: object, c: float) -> tuple[float, float, float]:
    """``(F(x; c theta), c^L F_1(x), bound)``: ``F_1`` keeps only the first layer's bias; ``L >= 3`` layers.

    With ``g_i = h_i(c) / c^i`` and ``g_i^1`` the same for ``F_1``, ``||g_i - g_i^1|| <= e_i`` where
    ``e_1 = 0`` and ``e_i = ||W_i|| e_{i-1} + c^(1-i) ||b_i||`` (spectral norms; ReLU is 1-Lipschitz),
    so ``|F(x; c theta) - c^L F_1(x)| <= c^L ||W_L|| e_{L-1} + c |b_L|``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A scalar-output ReLU net with at least 3 Linear layers; missing biases count as 0.
    x : array_like of shape (d_in,)
        One input, finite reals.
    c : float
        The factor multiplying every parameter ``theta`` (weights and biases), a finite real ``> 0``;
        the expansion is for large ``c``.

    Returns
    -------
    value : float
        ``F(x; c theta)``.
    approx : float
        :math:`c^L F_1(x)`, with :math:`F_1` the net without the biases of layers ``2, ..., L``.
    bound : float
        A bound on ``|value - approx|``.

    Raises
    ------
    TypeError
        If ``c`` is not a real number, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``c`` is not positive and finite, ``net`` has fewer than 3 Linear layers or fails
        :func:`nntheory.nets.check_net` with ``scalar_output=True``, or ``x`` does not have shape ``(d_in,)``.
    """
    ws, bs = _with_biases(net)
    c = v.positive(c, "c")
    x0 = nets.as_input(net, x, single=True).numpy().astype(np.float64)
    L = len(ws)
    h, g1 = x0, np.maximum(ws[0] @ x0 + bs[0], 0.0)
    for W, b in zip(ws[:-1], bs[:-1]):
        h = np.maximum(c * W @ h + c * b, 0.0)
    value = (c * ws[-1] @ h + c * bs[-1]).item()
    e = 0.0
    for i in range(1, L - 1):  # layers 2 .. L-1 (0-based 1 .. L-2)
        g1 = np.maximum(ws[i] @ g1, 0.0)
        e = np.linalg.norm(ws[i], 2) * e + c ** (-i) * np.linalg.norm(bs[i])
    approx = (c**L * ws[-1] @ g1).item()
    return value, approx, float(c**L * np.linalg.norm(ws[-1]) * e + c * abs(float(bs[-1][0])))


def _grid_bits(a: np.ndarray, name: str) -> int:
    """The smallest ``B >= 0`` with every entry of ``a`` a multiple of ``2**-B`` (``ValueError`` if none up to 60)."""
    for b in range(61):
        s = a * 2.0**b
        if np.all(s == np.round(s)):
            return b
    raise ValueError(f"{name} is not dyadic (not a multiple of 2**-60): round it to a grid first (round_dyadic)")


def float64_bits(net: nn.Sequential, x: object, bits: int | None = None) -> float:
    """Bits a dyadic net needs for exact float64 forward and backward passes: at most 53 is exact.

    ``bits``: the weights and ``x`` are multiples of ``2**-bits`` (checked); ``None`` reads each layer's
    grid ``2**-B_i`` (and ``x``'s) from the numbers themselves. A value computed from ``x`` and
    ``W_1, ..., W_i`` is a multiple of ``2**-(B_x + B_1 + ... + B_i)``, one computed from
    ``W_{i+1}, ..., W_L`` a multiple of ``2**-(B_{i+1} + ... + B_L)``; each is bounded by the same
    chain with entrywise absolute values and no masks. The result is the largest ``log2(bound) + grid``
    over the forward partial sums of every layer, the backward row vectors ``W_L A_{L-1} ... W_{i+1} A_i``,
    the entries of ``dF/dW_i`` and the sums ``<W_i, dF/dW_i>``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,)
        One input, finite reals.
    bits : int, optional
        The common grid exponent of the weights and ``x``, an int in ``[0, 20]``; default ``None``: each
        layer's (and ``x``'s) own finest grid, up to ``2**-60``.

    Returns
    -------
    float
        The number of significant bits needed (0.0 if every bound is 0); the passes are exact in float64
        when it is at most 53.

    Raises
    ------
    TypeError
        If ``bits`` is not an int or ``None``, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``bits`` is outside ``[0, 20]``, the weights or ``x`` are not multiples of ``2**-bits`` (or, with
        ``bits=None``, of ``2**-60``), or ``net`` or ``x`` fails its checks.

    Examples
    --------
    >>> from nntheory import homogeneity as hom, nets
    >>> net = hom.round_dyadic(nets.relu_net([2, 4, 3, 1], seed=3), 5)
    >>> print(round(hom.float64_bits(net, [1.0, -0.5], 5), 2))    # <= 53: every sum is exact
    21.47
    >>> print(round(hom.float64_bits(net, [1.0, -0.5]), 2))       # each layer's own (coarser) grid
    16.47
    """
    ws = [W.abs().numpy() for W in _weights(net, bias_free=True, scalar_output=True)]
    xa = _single_input(net, x).abs().numpy().astype(np.float64)
    if bits is None:
        grids = [_grid_bits(xa, "x")] + [_grid_bits(W, f"the weights of layer {i}") for i, W in enumerate(ws, start=1)]
    else:
        bits = v.integer(bits, "bits", least=0, most=20)
        for name, a in [("x", xa)] + [(f"the weights of layer {i}", W) for i, W in enumerate(ws, start=1)]:
            if not np.all(a * 2.0**bits == np.round(a * 2.0**bits)):
                raise ValueError(f"{name} are not multiples of 2**-{bits}: pass bits=None to read each layer's grid")
        grids = [bits] * (len(ws) + 1)
    L = len(ws)
    fwd = [xa]  # |W_i| ... |W_1| |x|, on the grid 2**-(B_x + B_1 + ... + B_i)
    for W in ws:
        fwd.append(W @ fwd[-1])
    bwd = [np.ones(1)]  # |W_L| ... |W_{i+1}| as a row vector, on the grid 2**-(B_{i+1} + ... + B_L)
    for W in ws[:0:-1]:
        bwd.insert(0, bwd[0] @ W)
    e_fwd = np.cumsum(grids)  # e_fwd[i] = B_x + B_1 + ... + B_i
    e_bwd = [sum(grids[i + 1:]) for i in range(L + 1)]  # e_bwd[i] = B_{i+1} + ... + B_L
    need = [(float(np.max(fwd[i])), e_fwd[i]) for i in range(1, L + 1)]
    need += [(float(np.max(bwd[i - 1])), e_bwd[i]) for i in range(1, L)]
    need += [(float(np.max(bwd[i - 1]) * np.max(fwd[i - 1])), e_bwd[i] + e_fwd[i - 1]) for i in range(1, L + 1)]
    return max((float(np.log2(m)) + e for m, e in need if m > 0), default=0.0)


def dyadic_net(net: nn.Sequential, x: object, *, max_bits: int = 5) -> tuple[nn.Sequential, np.ndarray, int]:
    """``(net, x)`` rounded to multiples of ``2**-bits``, for the largest ``bits <= max_bits`` at which float64 is exact.

    Parameters
    ----------
    net : torch.nn.Sequential
        A bias-free ReLU net with scalar output, as built by :func:`nntheory.nets.relu_net` with ``bias=False``
        and ``d_out = 1``.
    x : array_like of shape (d_in,) or (n, d_in)
        One input or a batch of inputs (rows), finite reals.
    max_bits : int, default 5
        The finest grid tried, ``2**-max_bits``; an int in ``[0, 20]``.

    Returns
    -------
    net : torch.nn.Sequential
        A copy of ``net`` rounded by :func:`nntheory.homogeneity.round_dyadic`.
    x : numpy.ndarray
        ``x`` rounded to the same grid, of the same shape.
    bits : int
        The grid exponent used: :func:`nntheory.homogeneity.float64_bits` is at most 53 at every row.

    Raises
    ------
    TypeError
        If ``max_bits`` is not an int, or ``net`` or ``x`` has the wrong type.
    ValueError
        If ``max_bits`` is outside ``[0, 20]``, no grid down to ``2**0`` keeps the net exact, or ``net`` or
        ``x`` fails its checks.
    """
    X = v.array(x, "x")
    rows = X.reshape(1, -1) if X.ndim == 1 else X
    for bits in range(v.integer(max_bits, "max_bits", least=0, most=20), -1, -1):
        rounded, Xr = round_dyadic(net, bits), np.round(rows * 2.0**bits) / 2.0**bits
        if max(float64_bits(rounded, r, bits) for r in Xr) <= 53:
            return rounded, Xr.reshape(X.shape), bits
    raise ValueError("no dyadic grid keeps this net exact in float64: it is too deep or too large")


def stuck_risk(p: torch.Tensor) -> torch.Tensor:
    r"""Square-loss risk of ``F(x) = v relu(w x)`` on the data ``(1, 1), (-1, -1)`` at ``p = (w, v)``.

    It equals ``((v w - 1)^2 + 1) / 4`` for every ``(w, v)``: smooth, with gradient ``(-1/2, 0)`` at
    ``(0, 1)``, where autograd (``relu'(0) = 0``) returns ``(0, 0)``.

    Parameters
    ----------
    p : torch.Tensor or array_like of shape (..., 2)
        Points ``(w, v)`` in the last axis. A float64 tensor is used as it is (autograd flows through);
        anything else is converted to a new float64 tensor.

    Returns
    -------
    torch.Tensor of shape p.shape[:-1]
        The risk :math:`\tfrac12 \sum_i \tfrac12 (F(x_i) - y_i)^2` at each point.

    Raises
    ------
    TypeError
        If ``p`` is not numeric.
    ValueError
        If the last axis of ``p`` does not have length 2, or (converted input) ``p`` is not finite.

    Examples
    --------
    >>> import torch
    >>> from nntheory import homogeneity as hom
    >>> p = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    >>> risk = hom.stuck_risk(p)
    >>> risk.backward()
    >>> print(risk.item(), p.grad.tolist())     # the true gradient is (-1/2, 0): autograd is stuck
    0.5 [0.0, 0.0]
    """
    t = p if isinstance(p, torch.Tensor) and p.dtype == torch.float64 else v.tensor64(p, "p")  # keeps autograd
    if t.shape[-1:] != (2,):
        raise ValueError(f"p must hold (w, v) in its last axis, got shape {tuple(t.shape)}")
    w, vv = t[..., 0], t[..., 1]
    return 0.25 * ((vv * torch.relu(w) - 1.0) ** 2 + (vv * torch.relu(-w) + 1.0) ** 2)
