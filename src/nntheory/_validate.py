"""Argument checks for every module: one argument order ``(value, name, ...)``, one rule for errors.

A value of the wrong *type* raises ``TypeError``; a value of the right type but outside what is
allowed (negative, non-finite, wrong shape, ...) raises ``ValueError``. Every message names the
argument and says what was expected. Each check returns the value converted to the form the
caller computes with (a float, an int, a float64 array), so a caller writes ``lr = positive(lr, "lr")``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "real", "positive", "nonnegative", "fraction", "integer", "boolean", "function", "choice",
    "array", "vector", "matrix", "points", "labels", "data", "tensor64", "int_list", "increasing_ints",
]


def _is_tensor(value: object) -> bool:
    """A torch tensor? (torch is not imported here: a value can only be a tensor once torch is loaded.)"""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _is_real(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def real(value: object, name: str) -> float:
    """A finite real number (not a bool), as a float."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    return v


def positive(value: object, name: str) -> float:
    """A finite real number > 0."""
    v = real(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    return v


def nonnegative(value: object, name: str) -> float:
    """A finite real number >= 0."""
    v = real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    return v


def fraction(value: object, name: str) -> float:
    """A decay or momentum coefficient: a real number in [0, 1)."""
    v = real(value, name)
    if not 0 <= v < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {v!r}")
    return v


def integer(value: object, name: str, *, least: int | None = None, most: int | None = None) -> int:
    """An int (not a bool), optionally with ``least <= value <= most``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    v = int(value)
    if least is not None and v < least:
        raise ValueError(f"{name} must be >= {least}, got {v}")
    if most is not None and v > most:
        raise ValueError(f"{name} must be <= {most}, got {v}")
    return v


def boolean(value: object, name: str) -> bool:
    """A bool (``True`` or ``False``, not 0 or 1)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def function(value: object, name: str, what: str = "a function") -> Callable:
    """A callable; ``what`` says what it should compute (for the message)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable ({what}), got {type(value).__name__}")
    return value


def choice(value: object, name: str, options: Sequence) -> object:
    """One of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def array(value: object, name: str, *, ndim: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """A finite float64 array (a fresh copy), optionally of a given ``ndim`` or ``shape`` (``None`` entries: any).

    Torch tensors are detached and copied; complex or non-numeric input is a ``TypeError``.
    """
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if value is None or isinstance(value, (str, bytes)) or np.iscomplexobj(value):
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}")
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}") from err
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    if shape is not None and (a.ndim != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape))):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return a


def vector(value: object, name: str, size: int | None = None) -> np.ndarray:
    """A finite 1-d float64 array (of length ``size`` if given), as a fresh copy."""
    return array(value, name, shape=(size,))


def matrix(value: object, name: str, shape: tuple[int | None, int | None] = (None, None), *,
           symmetric: bool = False, nonempty: bool = True) -> np.ndarray:
    """A finite 2-d float64 array of the given shape (``None``: any), optionally symmetric."""
    a = array(value, name, shape=shape)
    if nonempty and a.size == 0:
        raise ValueError(f"{name} must be non-empty, got shape {a.shape}")
    if symmetric:
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"{name} must be a square matrix, got shape {a.shape}")
        if not np.allclose(a, a.T, rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(a).max(initial=0.0)))):
            raise ValueError(f"{name} must be symmetric, got {a}")
    return a


def points(value: object, name: str, d: int | None = None) -> np.ndarray:
    """A non-empty ``(k, d)`` float64 array of points (rows), finite."""
    return matrix(value, name, (None, d))


def labels(value: object, name: str = "y", n: int | None = None) -> np.ndarray:
    """Labels in {-1, +1} as a float64 vector (of length ``n`` if given)."""
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name} must be an array of labels -1 and +1, got dtype {a.dtype}")
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d array of labels, got shape {a.shape}")
    if n is not None and a.size != n:
        raise ValueError(f"{name} must have one label per point: {n} expected, got {a.size}")
    if a.dtype == bool or not np.all(np.isin(a, (-1, 1))):
        bad = sorted(set(np.unique(a).tolist()) - {-1, 1})[:5]
        raise ValueError(f"{name} must hold labels -1 and +1 only, got other values {bad}")
    return a.astype(np.float64)


def data(X: object, y: object, *, classes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A data set: points ``X`` (rows, a non-empty ``(n, d)`` matrix) and one target per point (labels +-1 if ``classes``)."""
    A = matrix(X, "X")
    return A, (labels(y, "y", A.shape[0]) if classes else vector(y, "y", A.shape[0]))


def tensor64(value: object, name: str) -> "torch.Tensor":  # noqa: F821 - torch is imported lazily
    """A number, array or tensor as a detached float64 tensor (finite)."""
    import torch

    if isinstance(value, torch.Tensor):
        t = value.detach().to(torch.float64)
    else:
        if value is None or isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a real number or array, got {type(value).__name__}")
        try:
            t = torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a real number or array, got {type(value).__name__}") from err
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite, got {t.tolist()}")
    return t


def int_list(value: object, name: str, *, least: int = 1, min_len: int = 0) -> list[int]:
    """A sequence of ints ``>= least`` (e.g. layer widths), as a list, of length ``>= min_len``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of ints, got {type(value).__name__}")
    out = [integer(v, f"{name}[{i}]", least=least) for i, v in enumerate(value)]
    if len(out) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {out}")
    return out


def increasing_ints(value: object, name: str, *, least: int = 0) -> np.ndarray:
    """A non-empty, strictly increasing sequence of ints ``>= least`` (e.g. steps to record)."""
    out = int_list(value, name, least=least, min_len=1)
    if any(b <= a for a, b in zip(out[:-1], out[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {out}")
    return np.array(out, dtype=np.int64)
