"""Bounds on the number of activation regions, and the expected number of switches along a segment.

Integer arithmetic only (no torch): each function takes the hidden widths ``[m_1, ..., m_L]`` of a
ReLU net (and the input dimension where the bound needs it) and returns an exact integer (or float).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import _validate as v

__all__ = [
    "naive_bound",
    "zaslavsky_count",
    "serra_bound",
    "univariate_bound",
    "telgarsky_bound",
    "montufar_lower_bound",
    "expected_crossings_one_layer",
]


def _widths(widths: object) -> list[int]:
    return v.int_list(widths, "widths", least=1)


def naive_bound(widths: Sequence[int]) -> int:
    """``2^N`` with ``N`` the total number of ReLU units: the number of possible activation patterns."""
    return 2 ** sum(_widths(widths))


def zaslavsky_count(m: int, d: int) -> int:
    """Regions cut from ``R^d`` by ``m`` hyperplanes in general position: ``sum_{i<=d} C(m, i)``."""
    m, d = v.integer(m, "m", least=0), v.integer(d, "d", least=0)
    return sum(math.comb(m, i) for i in range(d + 1))


def serra_bound(n0: int, widths: Sequence[int]) -> int:
    """Serra et al. (2018) upper bound on the regions of a ReLU net with input dimension ``n0`` (form unverified)."""
    n0 = v.integer(n0, "n0", least=1)
    ws = _widths(widths)

    def rec(layer: int, caps: int) -> int:
        # caps = min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}) so far
        if layer == len(ws):
            return 1
        n = ws[layer]
        return sum(math.comb(n, j) * rec(layer + 1, min(caps, n - j)) for j in range(min(caps, n) + 1))

    return rec(0, n0)


def univariate_bound(widths: Sequence[int]) -> int:
    """``prod_l (1 + m_l)``: regions of a univariate ReLU net (or of any net along a line)."""
    return math.prod(1 + w for w in _widths(widths))


def telgarsky_bound(widths: Sequence[int]) -> float:
    """``(2m/L)^L`` with ``m = sum of widths``, ``L`` layers: the bound quoted in the homework (>= prod 2 m_l)."""
    ws = _widths(widths)
    L = len(ws)
    if L == 0:
        return 1.0
    return (2.0 * sum(ws) / L) ** L


def montufar_lower_bound(n0: int, widths: Sequence[int]) -> int:
    """Montúfar et al. (2014) lower bound on the *maximal* number of regions (form unverified; widths >= n0)."""
    n0 = v.integer(n0, "n0", least=1)
    ws = _widths(widths)
    if not ws or min(ws) < n0:
        raise ValueError(f"the bound needs at least one hidden layer and widths >= n0={n0}, got {ws}")
    return math.prod((w // n0) ** n0 for w in ws[:-1]) * sum(math.comb(ws[-1], j) for j in range(n0 + 1))


def expected_crossings_one_layer(start: object, end: object, *, d_in: int, bias: bool = True) -> float:
    """Probability that one first-layer unit of ``nets.relu_net`` switches along the segment: ``arccos(rho)/pi``."""
    d_in = v.integer(d_in, "d_in", least=1)
    p, q = v.vector(start, "start", d_in), v.vector(end, "end", d_in)
    # relu_net: w ~ N(0, 2/d_in I), b ~ N(0, 1/d_in); z(p) = w.p + b and z(q) are jointly Gaussian
    wv, bv = 2.0 / d_in, (1.0 / d_in if bias else 0.0)
    vp, vq, cov = wv * p @ p + bv, wv * q @ q + bv, wv * p @ q + bv
    if vp <= 0 or vq <= 0:
        return 0.5  # one endpoint has z = 0 surely; the other a symmetric sign
    rho = float(np.clip(cov / math.sqrt(vp * vq), -1.0, 1.0))
    return math.acos(rho) / math.pi
