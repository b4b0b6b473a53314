"""The book's check cells: print a measured quantity beside its tolerance, assert it, record it in the ledger.

Every check states a *claim* (what is being checked, in a few words), the *kind* of its tolerance, and
optionally ``ref``, the label of the theorem or section it backs:

* ``exact``: zero, or exact in floating point;
* ``round-off``: a bound derived from floating-point error analysis;
* ``truncation``: a bound on a discretisation or truncation error (a step size, a solver's tolerance, a
  remainder of a series or a finite difference);
* ``statistical``: seeds and a stated confidence;
* ``asymptotic``: slopes and rates, with a tolerance from the fit;
* ``inequality``: a theorem's bound, loose by design.

A check computes ``ratio = measured / tolerance`` (``value / bound`` for ``check_le``, ``|error| / tol``
for ``check_close``). A check far inside its tolerance (ratio below ``TIGHT = 1e-3``) cannot tell a
right implementation from a slightly wrong one, so it must say why it is that loose (``reason=``, e.g.
"exact in floating point"); without a reason it raises ``ValueError`` and the build fails.

In a Jupyter kernel each check also emits a record (MIME type ``MIME``), which the book's Sphinx
extension collects into ``_build/checks.json`` and the appendix "Every check in this book". A failed
check raises ``CheckFailed`` (an ``AssertionError``), so a planted fault is seen as a failed check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from . import _validate as v

__all__ = ["KINDS", "TIGHT", "MIME", "PASS_MARK", "FAIL_MARK", "Check", "CheckFailed", "check_le", "check_ge",
           "check_close", "check_all_le", "check_mean", "first_index", "loglog_slope", "history", "measure_text",
           "result_line"]

KINDS = ("exact", "round-off", "truncation", "statistical", "asymptotic", "inequality")
TIGHT = 1e-3
MIME = "application/vnd.nntheory.check+json"
PASS_MARK, FAIL_MARK = "\u2713", "\u2717"  # the first character of a printed check line
_RELATION = {"<=": "\u2264", ">=": "\u2265"}
_HISTORY: list[Check] = []


class CheckFailed(AssertionError):
    """A book check whose measured value is outside its tolerance."""


@dataclass(frozen=True)
class Check:
    """One check as the ledger records it."""

    claim: str
    kind: str
    relation: str  # "<=", ">=", "close", "all <="
    value: float  # the measured quantity (for "close": the value compared with the target)
    tolerance: float  # the bound (<=, >=) or the allowed |error| (close)
    target: float | None  # for "close" only
    error: float | None  # |value - target| for "close"
    ratio: float | None  # measured / tolerance; None when undefined (then a reason is required)
    passed: bool
    ref: str | None
    reason: str | None
    note: str | None  # extra detail, e.g. how many steps a range check covered


def history() -> list[Check]:
    """The checks run so far in this process (the kernel), oldest first."""
    return list(_HISTORY)


def _meta(claim: object, kind: object, ref: object, reason: object) -> tuple[str, str, str | None, str | None]:
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError(f"claim must be a non-empty string saying what is checked, got {claim!r}")
    v.choice(kind, "kind", KINDS)
    for name, x in (("ref", ref), ("reason", reason)):
        if x is not None and (not isinstance(x, str) or not x.strip()):
            raise TypeError(f"{name} must be None or a non-empty string, got {x!r}")
    return claim, kind, ref, reason


def _emit(check: Check) -> None:
    """Remember the check, print its line and, in a kernel, emit its ledger record."""
    _HISTORY.append(check)
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with the book's requirements
        ip = None
    if ip is not None and hasattr(ip, "kernel"):
        from IPython.display import display

        display({MIME: asdict(check)}, raw=True)


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "\u2014"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def measure_text(record: Check | dict) -> str:
    """A check's measured value against its bound or target, as one short phrase (e.g. ``3.1e-16 ≤ 4.9e-12``)."""
    r = asdict(record) if isinstance(record, Check) else record
    rel = r["relation"]
    if rel == "close":
        return f"{_fmt(r['value'], 6)}, target {_fmt(r['target'], 6)} \u00b1 {_fmt(r['tolerance'])}"
    if rel == "all <=":
        steps = (r.get("note") or "").split(" indices")[0]
        over = f"worst of {steps}: " if steps.isdigit() else ""
        return over + _pair(r["value"], "\u2264", r["tolerance"])
    return _pair(r["value"], _RELATION.get(rel, rel), r["tolerance"])


def _pair(value: float, relation: str, bound: float) -> str:
    """``value relation bound`` with enough significant digits that a value just inside its bound does not
    print equal to it (``0.9321 ≤ 0.9322``, not ``0.932 ≤ 0.932``)."""
    digits = 3
    while digits < 12 and value != bound and _fmt(value, digits) == _fmt(bound, digits):
        digits += 1
    return f"{_fmt(value, digits)} {relation} {_fmt(bound, digits)}"


def result_line(record: Check | dict) -> str:
    """A check as one line of text: ``✓ claim: measured ≤ bound [kind]`` (``✗`` and FAILED if it failed)."""
    r = asdict(record) if isinstance(record, Check) else record
    mark = PASS_MARK if r["passed"] else FAIL_MARK
    return f"{mark} {r['claim']}: {measure_text(r)} [{r['kind']}]" + ("" if r["passed"] else "  FAILED")


def _finish(check: Check, line: str) -> None:
    print(result_line(check))
    _emit(check)
    if not check.passed:
        raise CheckFailed(f"check failed: {line}")
    if check.reason is None and (check.ratio is None or check.ratio < TIGHT):
        shown = "undefined" if check.ratio is None else f"{check.ratio:.2g}"
        raise ValueError(f"check {check.claim!r}: measured/tolerance ratio is {shown}, below {TIGHT:g}: "
                         "tighten the tolerance, or say in reason=... why the check is this loose")


def _ratio(measured: float, tolerance: float) -> float | None:
    if tolerance > 0:
        return measured / tolerance
    return 0.0 if measured == 0 and tolerance == 0 else None


def check_le(claim: str, value: float, bound: float, *, kind: str, ref: str | None = None,
             reason: str | None = None) -> float:
    """Check ``value <= bound``; print ``claim: value <= bound ok``, record it; return ``value``."""
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    value, bound = float(value), v.real(bound, "bound")
    ok = bool(np.isfinite(value) and value <= bound)
    ratio = _ratio(value, bound) if np.isfinite(value) else None
    check = Check(claim, kind, "<=", value, bound, None, None, ratio, ok, ref, reason, None)
    _finish(check, f"{claim}: {value:.6g} <= {bound:.6g}")
    return value


def check_ge(claim: str, value: float, bound: float, *, kind: str, ref: str | None = None,
             reason: str | None = None) -> float:
    """Check ``value >= bound`` (ratio ``bound / value``: near 1 when the bound is nearly attained); return ``value``."""
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    value, bound = float(value), v.real(bound, "bound")
    ok = bool(np.isfinite(value) and value >= bound)
    ratio = bound / value if (np.isfinite(value) and value > 0 and bound >= 0) else None
    check = Check(claim, kind, ">=", value, bound, None, None, ratio, ok, ref, reason, None)
    _finish(check, f"{claim}: {value:.6g} >= {bound:.6g}")
    return value


def check_close(claim: str, value: float, target: float, tol: float, *, kind: str, ref: str | None = None,
                reason: str | None = None) -> float:
    """Check ``|value - target| <= tol``; print both and the error, record it; return ``value``."""
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    value, target, tol = float(value), v.real(target, "target"), v.nonnegative(tol, "tol")
    err = abs(value - target)
    ok = bool(np.isfinite(value) and err <= tol)
    ratio = _ratio(err, tol) if np.isfinite(err) else None
    check = Check(claim, kind, "close", value, tol, target, err, ratio, ok, ref, reason, None)
    _finish(check, f"{claim}: {value:.8g} (target {target:.8g}, |error| {err:.3g} <= {tol:.3g})")
    return value


def check_all_le(claim: str, values: Sequence[float], bounds: Sequence[float] | float, *, where: Sequence[int],
                 kind: str, ref: str | None = None, reason: str | None = None) -> float:
    """Check ``values[i] <= bounds[i]`` at every index in ``where`` (e.g. the informative steps); return the worst ratio.

    ``where`` must be chosen by the caller to exclude indices the claim cannot speak about (the start, or a
    converged tail at round-off), and must not be empty: a range check over no steps cannot fail. The
    recorded ratio is the largest ``values[i] / bounds[i]`` over ``where`` (the tightest step).
    """
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    vals = np.asarray(values, dtype=float).ravel()
    bnds = np.broadcast_to(np.asarray(bounds, dtype=float), vals.shape) if np.ndim(bounds) == 0 else \
        np.asarray(bounds, dtype=float).ravel()
    if bnds.shape != vals.shape:
        raise ValueError(f"bounds must be a number or match values ({vals.shape}), got shape {bnds.shape}")
    idx = np.asarray(v.int_list(where, "where", least=0), dtype=int)
    if idx.size == 0:
        raise ValueError(f"check {claim!r}: where is empty, so the check would cover no step and could not fail")
    if idx.max() >= vals.size:
        raise ValueError(f"where indexes step {idx.max()} but there are only {vals.size} values")
    sel_v, sel_b = vals[idx], bnds[idx]
    ok = bool(np.all(np.isfinite(sel_v)) and np.all(sel_v <= sel_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(sel_b > 0, sel_v / sel_b, np.nan)
    worst = int(np.nanargmax(ratios)) if np.any(np.isfinite(ratios)) else int(np.argmax(sel_v - sel_b))
    ratio = float(ratios[worst]) if np.isfinite(ratios[worst]) else None
    note = f"{idx.size} indices from {idx.min()} to {idx.max()}; tightest at {idx[worst]}"
    check = Check(claim, kind, "all <=", float(sel_v[worst]), float(sel_b[worst]), None, None, ratio, ok, ref,
                  reason, note)
    _finish(check, f"{claim}: max over {idx.size} steps of value/bound {ratio if ratio is not None else float('nan'):.4g}"
                   f" (at step {idx[worst]}: {sel_v[worst]:.6g} <= {sel_b[worst]:.6g})")
    return float(ratios[worst]) if ratio is not None else float("nan")


def check_mean(claim: str, samples: Sequence[float], target: float, *, confidence: float = 0.999,
               bounds: tuple[float, float] | None = None, ref: str | None = None, reason: str | None = None) -> float:
    """A pooled statistical check: the sample mean is within a confidence interval of ``target``; return the mean.

    With ``bounds = (lo, hi)`` (every sample lies in [lo, hi]) the half-width is Hoeffding's
    ``(hi - lo) sqrt(log(2 / (1 - confidence)) / (2 n))``, valid for any distribution; without, it is the normal
    approximation ``z * s / sqrt(n)`` with the sample standard deviation ``s``. A correct implementation fails
    with probability at most ``1 - confidence`` (Hoeffding) or about that (normal).
    """
    x = v.array(samples, "samples").ravel()
    if x.size < 2:
        raise ValueError(f"samples must hold at least 2 values for a pooled check, got {x.size}")
    confidence = v.real(confidence, "confidence")
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must lie in (0.5, 1), got {confidence}")
    alpha = 1 - confidence
    if bounds is not None:
        lo, hi = (v.real(b, "bounds") for b in bounds)
        if np.any(x < lo) or np.any(x > hi):
            raise ValueError(f"samples lie outside bounds=({lo}, {hi}): Hoeffding's interval does not apply")
        half = (hi - lo) * math.sqrt(math.log(2 / alpha) / (2 * x.size))
        how = f"Hoeffding, n = {x.size}, confidence {confidence:g}"
    else:
        from scipy.stats import norm

        half = float(norm.ppf(1 - alpha / 2)) * float(x.std(ddof=1)) / math.sqrt(x.size)
        how = f"normal approximation, n = {x.size}, confidence {confidence:g}"
    mean = float(x.mean())
    check_close(f"{claim} ({how})", mean, target, half, kind="statistical", ref=ref, reason=reason)
    return mean


def first_index(mask: Sequence[bool], what: str) -> int:
    """The first index where ``mask`` is true; ``ValueError`` naming ``what`` if it never is (``argmax`` would say 0)."""
    m = np.asarray(mask, dtype=bool).ravel()
    if not m.any():
        raise ValueError(f"{what} never happens in these {m.size} steps")
    return int(np.argmax(m))


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (both must be positive)."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be equal-length arrays of at least 2 points, got {x.shape} and {y.shape}")
    if not (np.all(x > 0) and np.all(y > 0)):
        raise ValueError("x and y must be positive for a log-log slope")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
