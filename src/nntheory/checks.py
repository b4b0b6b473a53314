"""Small helpers for the book's check cells: print a measured quantity beside its tolerance, then assert."""

from __future__ import annotations

import numpy as np

__all__ = ["check_le", "check_close", "loglog_slope"]


def check_le(name: str, value: float, bound: float) -> float:
    """Print ``name: value <= bound`` and assert it; return ``value``."""
    value, bound = float(value), float(bound)
    ok = np.isfinite(value) and value <= bound
    print(f"{name}: {value:.6g} <= {bound:.6g}  {'ok' if ok else 'FAILED'}")
    assert ok, f"{name} = {value!r} exceeds its tolerance {bound!r}"
    return value


def check_close(name: str, value: float, target: float, tol: float) -> float:
    """Print ``|value - target| <= tol`` for a named quantity and assert it; return ``value``."""
    value, target = float(value), float(target)
    err = abs(value - target)
    ok = np.isfinite(value) and err <= tol
    print(f"{name}: {value:.8g} (target {target:.8g}, |error| {err:.3g} <= {tol:.3g})  {'ok' if ok else 'FAILED'}")
    assert ok, f"{name} = {value!r} is not within {tol!r} of {target!r}"
    return value


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (both must be positive)."""
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be equal-length arrays of at least 2 points, got {x.shape} and {y.shape}")
    if not (np.all(x > 0) and np.all(y > 0)):
        raise ValueError("x and y must be positive for a log-log slope")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
