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

#: The kinds of tolerance a check may state (``kind=``), from the strictest to the loosest by design.
KINDS = ("exact", "round-off", "truncation", "statistical", "asymptotic", "inequality")
#: A check whose ratio ``measured / tolerance`` is below this must give a ``reason=`` for being that loose.
TIGHT = 1e-3
#: The MIME type of the ledger record a check emits in a Jupyter kernel.
MIME = "application/vnd.nntheory.check+json"
#: The first character of a printed check line, ``PASS_MARK`` (✓) if it passed and ``FAIL_MARK`` (✗) if not.
PASS_MARK, FAIL_MARK = "\u2713", "\u2717"  # the first character of a printed check line
_RELATION = {"<=": "\u2264", ">=": "\u2265"}
_HISTORY: list[Check] = []


class CheckFailed(AssertionError):
    """A book check whose measured value is outside its tolerance.

    An ``AssertionError``, so a failed check fails a test, a doctest and the book build alike.
    """


@dataclass(frozen=True)
class Check:
    """One check as the ledger records it.

    Built by the ``check_*`` functions (never by hand in the chapters) and returned by :func:`history`.

    Parameters
    ----------
    claim : str
        What is checked, in a few words.
    kind : str
        The kind of tolerance, one of :data:`KINDS`.
    relation : str
        ``"<="`` (:func:`check_le`), ``">="`` (:func:`check_ge`), ``"close"`` (:func:`check_close`) or
        ``"all <="`` (:func:`check_all_le`).
    value : float
        The measured quantity; for ``"all <="`` the value at the tightest index.
    tolerance : float
        The bound (``"<="``, ``">="``, ``"all <="``: the bound at the tightest index) or the allowed
        ``|value - target|`` (``"close"``).
    target : float or None
        The target of a ``"close"`` check; None otherwise.
    error : float or None
        ``|value - target|`` of a ``"close"`` check; None otherwise.
    ratio : float or None
        ``measured / tolerance`` (``bound / value`` for ``">="``); None when undefined (a zero or negative
        tolerance, a non-finite value), and then the check needs a ``reason``.
    passed : bool
        Whether the measured value is within its tolerance.
    ref : str or None
        Label of the theorem or section the check backs.
    reason : str or None
        Why the check may be looser than :data:`TIGHT` (e.g. "exact in floating point").
    note : str or None
        Extra detail, e.g. which indices a ``"all <="`` check covered and the tightest one.
    """

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
    """The checks run so far in this process (the kernel), oldest first.

    Returns
    -------
    list of Check
        A copy of the record list: every check, passed or failed, in the order it ran.
    """
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
    """A check's measured value against its bound or target, as one short phrase (e.g. ``3.1e-16 ≤ 4.9e-12``).

    Values print with 3 significant digits, more when needed so that a value just inside its bound does not
    print equal to it; a ``"close"`` check prints ``value, target t ± tol`` (value and target to 6 digits),
    an ``"all <="`` check ``worst of n: value ≤ bound``.

    Parameters
    ----------
    record : Check or dict
        A check, or its ledger record (``dataclasses.asdict`` of a :class:`Check`, as in ``checks.json``).

    Returns
    -------
    str
        The phrase, without the claim or the kind.
    """
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
    """A check as one line of text: ``✓ claim: measured ≤ bound [kind]`` (``✗`` and FAILED if it failed).

    This is the line every ``check_*`` function prints.

    Parameters
    ----------
    record : Check or dict
        A check, or its ledger record (``dataclasses.asdict`` of a :class:`Check`).

    Returns
    -------
    str
        ``PASS_MARK`` or ``FAIL_MARK``, the claim, :func:`measure_text` of the record and the kind in brackets.
    """
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
    """Check ``value <= bound``; print ``claim: value <= bound ok``, record it; return ``value``.

    The ratio is ``value / bound`` (undefined for ``bound <= 0``, unless both are 0, or a non-finite
    ``value``). The printed line is :func:`result_line` of the record.

    Parameters
    ----------
    claim : str
        What is checked, in a few words; non-empty.
    value : float
        The measured quantity (anything ``float()`` accepts). A NaN or infinite value fails the check.
    bound : float
        The upper bound; a finite real number.
    kind : str
        The kind of tolerance, one of :data:`KINDS` (``"exact"``, ``"round-off"``, ``"truncation"``,
        ``"statistical"``, ``"asymptotic"``, ``"inequality"``).
    ref : str or None, default None
        Label of the theorem or section the check backs; non-empty if given.
    reason : str or None, default None
        Why the check may be far inside its tolerance; required (non-empty) when the ratio is below
        :data:`TIGHT` or undefined.

    Returns
    -------
    float
        ``value``, as a float.

    Raises
    ------
    CheckFailed
        If ``value <= bound`` does not hold (or ``value`` is not finite); the line is printed first.
    TypeError
        If ``claim`` is not a non-empty str, ``ref`` or ``reason`` is neither None nor a non-empty str, or
        ``bound`` is not a real number.
    ValueError
        If ``kind`` is not in :data:`KINDS`, ``bound`` is not finite, or the check passes with a ratio below
        :data:`TIGHT` (or undefined) and no ``reason``.

    Examples
    --------
    The subdifferential of ``|x|`` at 0 computed exactly: an exact check far inside its bound must say why.

    >>> from nntheory import checks
    >>> checks.check_le("|x| at 0: largest error in the ends of [-1, 1]", 0.0, 1e-12, kind="exact",
    ...                 reason="exact in floating point")
    ✓ |x| at 0: largest error in the ends of [-1, 1]: 0 ≤ 1e-12 [exact]
    0.0
    >>> checks.check_le("a loose bound", 1e-9, 1.0, kind="inequality")
    Traceback (most recent call last):
    ...
    ValueError: check 'a loose bound': measured/tolerance ratio is 1e-09, below 0.001: ...
    """
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    value, bound = float(value), v.real(bound, "bound")
    ok = bool(np.isfinite(value) and value <= bound)
    ratio = _ratio(value, bound) if np.isfinite(value) else None
    check = Check(claim, kind, "<=", value, bound, None, None, ratio, ok, ref, reason, None)
    _finish(check, f"{claim}: {value:.6g} <= {bound:.6g}")
    return value


def check_ge(claim: str, value: float, bound: float, *, kind: str, ref: str | None = None,
             reason: str | None = None) -> float:
    """Check ``value >= bound`` (ratio ``bound / value``: near 1 when the bound is nearly attained); return ``value``.

    The ratio is defined only for a finite ``value > 0`` and ``bound >= 0``; otherwise (e.g. ``value = 0``) the
    check needs a ``reason`` even when it passes.

    Parameters
    ----------
    claim : str
        What is checked, in a few words; non-empty.
    value : float
        The measured quantity (anything ``float()`` accepts). A NaN or infinite value fails the check.
    bound : float
        The lower bound; a finite real number.
    kind : str
        The kind of tolerance, one of :data:`KINDS`.
    ref : str or None, default None
        Label of the theorem or section the check backs; non-empty if given.
    reason : str or None, default None
        Why the check may be far from its bound; required (non-empty) when the ratio is below :data:`TIGHT`
        or undefined.

    Returns
    -------
    float
        ``value``, as a float.

    Raises
    ------
    CheckFailed
        If ``value >= bound`` does not hold (or ``value`` is not finite); the line is printed first.
    TypeError
        If ``claim`` is not a non-empty str, ``ref`` or ``reason`` is neither None nor a non-empty str, or
        ``bound`` is not a real number.
    ValueError
        If ``kind`` is not in :data:`KINDS`, ``bound`` is not finite, or the check passes with a ratio below
        :data:`TIGHT` (or undefined) and no ``reason``.
    """
    claim, kind, ref, reason = _meta(claim, kind, ref, reason)
    value, bound = float(value), v.real(bound, "bound")
    ok = bool(np.isfinite(value) and value >= bound)
    ratio = bound / value if (np.isfinite(value) and value > 0 and bound >= 0) else None
    check = Check(claim, kind, ">=", value, bound, None, None, ratio, ok, ref, reason, None)
    _finish(check, f"{claim}: {value:.6g} >= {bound:.6g}")
    return value


def check_close(claim: str, value: float, target: float, tol: float, *, kind: str, ref: str | None = None,
                reason: str | None = None) -> float:
    r"""Check ``|value - target| <= tol``; print both and the error, record it; return ``value``.

    The ratio is ``|value - target| / tol`` (0 if both are 0, undefined for ``tol = 0`` and a nonzero error).

    Parameters
    ----------
    claim : str
        What is checked, in a few words; non-empty.
    value : float
        The measured quantity (anything ``float()`` accepts). A NaN or infinite value fails the check.
    target : float
        The value it should have; a finite real number.
    tol : float
        The allowed absolute error ``|value - target|``; a finite real number ``>= 0``.
    kind : str
        The kind of tolerance, one of :data:`KINDS`.
    ref : str or None, default None
        Label of the theorem or section the check backs; non-empty if given.
    reason : str or None, default None
        Why the error may be far below ``tol``; required (non-empty) when the ratio is below :data:`TIGHT`
        (e.g. an exact equality checked with ``tol = 0``).

    Returns
    -------
    float
        ``value``, as a float.

    Raises
    ------
    CheckFailed
        If ``|value - target| > tol`` (or ``value`` is not finite); the line is printed first.
    TypeError
        If ``claim`` is not a non-empty str, ``ref`` or ``reason`` is neither None nor a non-empty str, or
        ``target`` or ``tol`` is not a real number.
    ValueError
        If ``kind`` is not in :data:`KINDS`, ``target`` or ``tol`` is not finite, ``tol < 0``, or the check
        passes with a ratio below :data:`TIGHT` and no ``reason``.

    Examples
    --------
    The partial sum of :math:`\sum_k 1/k^2` up to :math:`N` misses :math:`\pi^2/6` by a tail
    :math:`\sum_{k>N} 1/k^2 < 1/N`, nearly attained:

    >>> import math
    >>> from nntheory import checks
    >>> N = 10_000
    >>> s = sum(1 / k**2 for k in range(1, N + 1))
    >>> checks.check_close("sum of 1/k² up to 10⁴ vs π²/6", s, math.pi**2 / 6, 1 / N, kind="truncation")
    ✓ sum of 1/k² up to 10⁴ vs π²/6: 1.64483, target 1.64493 ± 0.0001 [truncation]
    1.64483
    >>> print(f"{checks.history()[-1].ratio:.4f}")
    0.9999
    """
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
    r"""Check ``values[i] <= bounds[i]`` at every index in ``where`` (e.g. the informative steps); return the worst ratio.

    ``where`` must be chosen by the caller to exclude indices the claim cannot speak about (the start, or a
    converged tail at round-off), and must not be empty: a range check over no steps cannot fail. The
    recorded ratio is the largest ``values[i] / bounds[i]`` over ``where`` (the tightest step).

    Parameters
    ----------
    claim : str
        What is checked, in a few words; non-empty.
    values : array_like of float
        The measured quantities (flattened), e.g. one per step. Non-finite values at the checked indices fail.
    bounds : float or array_like of float
        One bound for all, or one bound per value (same size as ``values``).
    where : sequence of int
        The indices to check, each ``>= 0`` and ``< len(values)``; non-empty.
    kind : str
        The kind of tolerance, one of :data:`KINDS`.
    ref : str or None, default None
        Label of the theorem or section the check backs; non-empty if given.
    reason : str or None, default None
        Why the check may be far inside its bounds; required (non-empty) when the worst ratio is below
        :data:`TIGHT` or undefined (every checked bound ``<= 0``).

    Returns
    -------
    float
        The largest ``values[i] / bounds[i]`` over ``where`` (among the positive bounds); NaN if undefined.

    Raises
    ------
    CheckFailed
        If some ``values[i] > bounds[i]`` (or is not finite) for ``i`` in ``where``; the line is printed first.
    TypeError
        If ``claim`` is not a non-empty str, ``ref`` or ``reason`` is neither None nor a non-empty str, or
        ``where`` is not a sequence of ints.
    ValueError
        If ``kind`` is not in :data:`KINDS`, ``bounds`` does not match ``values``, ``where`` is empty or holds
        a negative or too large index, or the check passes with a ratio below :data:`TIGHT` and no ``reason``.

    Examples
    --------
    The harmonic numbers satisfy :math:`H_k \le 1 + \ln k`, with equality at :math:`k = 1`:

    >>> import numpy as np
    >>> from nntheory import checks
    >>> k = np.arange(1, 101)
    >>> checks.check_all_le("H_k ≤ 1 + ln k for k = 1, ..., 100", np.cumsum(1 / k), 1 + np.log(k),
    ...                     where=range(100), kind="inequality")
    ✓ H_k ≤ 1 + ln k for k = 1, ..., 100: worst of 100: 1 ≤ 1 [inequality]
    1.0
    >>> checks.history()[-1].note
    '100 indices from 0 to 99; tightest at 0'
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

    The check is a :func:`check_close` of kind ``"statistical"`` whose claim gets the method, ``n`` and the
    confidence appended.

    Parameters
    ----------
    claim : str
        What is checked, in a few words; non-empty.
    samples : array_like of float
        The samples (flattened), at least 2, all finite.
    target : float
        The expected value of a sample; a finite real number.
    confidence : float, default 0.999
        The confidence level of the interval, in the open interval (0.5, 1).
    bounds : tuple of float or None, default None
        ``(lo, hi)`` with every sample in ``[lo, hi]``: use Hoeffding's interval; None: the normal approximation.
    ref : str or None, default None
        Label of the theorem or section the check backs; non-empty if given.
    reason : str or None, default None
        Why the check may be far inside its interval (see :func:`check_close`).

    Returns
    -------
    float
        The sample mean.

    Raises
    ------
    CheckFailed
        If the mean is outside ``target ± half-width``.
    TypeError
        If ``samples`` is not an array of real numbers, ``confidence`` or an entry of ``bounds`` is not a real
        number, or ``claim``, ``ref`` or ``reason`` is not a valid string (see :func:`check_close`).
    ValueError
        If ``samples`` is not finite or has fewer than 2 values, ``confidence`` is outside (0.5, 1), a sample
        lies outside ``bounds``, or (as in :func:`check_close`) the ratio is below :data:`TIGHT` with no ``reason``.
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
    r"""The first index where ``mask`` is true; ``ValueError`` naming ``what`` if it never is (``argmax`` would say 0).

    Parameters
    ----------
    mask : array_like of bool
        The condition at each index (flattened), e.g. ``errors < 1e-6``.
    what : str
        What the condition means, for the error message (e.g. ``"the error falls below 1e-6"``).

    Returns
    -------
    int
        The smallest ``i`` with ``mask[i]`` true.

    Raises
    ------
    ValueError
        If ``mask`` is nowhere true (``"<what> never happens in these n steps"``).

    Examples
    --------
    An error halving at every step falls below :math:`10^{-3}` first at step 10
    (:math:`2^{-10} \approx 9.8 \cdot 10^{-4}`):

    >>> import numpy as np
    >>> from nntheory.checks import first_index
    >>> first_index(0.5 ** np.arange(30) < 1e-3, "the error falls below 1e-3")
    10
    """
    m = np.asarray(mask, dtype=bool).ravel()
    if not m.any():
        raise ValueError(f"{what} never happens in these {m.size} steps")
    return int(np.argmax(m))


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    r"""Least-squares slope of ``log y`` against ``log x`` (both must be positive).

    The fitted exponent ``p`` of :math:`y \approx C x^p`: a rate :math:`O(1/T)` has slope -1.

    Parameters
    ----------
    x : array_like of float
        The abscissae (flattened), e.g. step counts; positive.
    y : array_like of float
        The values (flattened, same size as ``x``), e.g. errors; positive.

    Returns
    -------
    float
        The slope of the least-squares line through the points ``(log x_i, log y_i)``.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in size or have fewer than 2 points, or some entry is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> from nntheory.checks import loglog_slope
    >>> T = np.array([10, 100, 1000, 10000])
    >>> print(round(loglog_slope(T, 3.0 / T**2), 6))
    -2.0
    """
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be equal-length arrays of at least 2 points, got {x.shape} and {y.shape}")
    if not (np.all(x > 0) and np.all(y > 0)):
        raise ValueError("x and y must be positive for a log-log slope")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
