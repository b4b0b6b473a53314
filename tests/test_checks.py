"""Unit tests of nntheory.checks: the check helpers really fail when they should."""

import numpy as np
import pytest

from nntheory import checks


def test_check_le_passes_and_fails(capsys):
    assert checks.check_le("err", 1e-10, 1e-9) == 1e-10
    assert "ok" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="err"):
        checks.check_le("err", 2.0, 1.0)
    with pytest.raises(AssertionError):
        checks.check_le("err", float("nan"), 1.0)


def test_check_close():
    checks.check_close("x", 1.0 + 1e-12, 1.0, 1e-9)
    with pytest.raises(AssertionError):
        checks.check_close("x", 1.1, 1.0, 1e-3)


def test_loglog_slope():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert checks.loglog_slope(x, 3 * x**2) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive"):
        checks.loglog_slope(x, -x)
    with pytest.raises(ValueError, match="equal-length"):
        checks.loglog_slope(x, x[:2])
