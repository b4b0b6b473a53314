"""Unit tests of nntheory.checks: the check helpers really fail when they should, and record what they check."""

import numpy as np
import pytest

from nntheory import checks


def test_check_le_passes_fails_and_records(capsys):
    assert checks.check_le("err", 0.5, 1.0, kind="round-off", ref="thm-x") == 0.5
    assert capsys.readouterr().out == "\u2713 err: 0.5 \u2264 1 [round-off]\n"
    rec = checks.history()[-1]
    assert (rec.claim, rec.kind, rec.relation, rec.ratio, rec.passed, rec.ref) == ("err", "round-off", "<=", 0.5, True,
                                                                                    "thm-x")
    with pytest.raises(checks.CheckFailed, match="check failed: err"):
        checks.check_le("err", 2.0, 1.0, kind="round-off")
    assert checks.history()[-1].passed is False
    with pytest.raises(AssertionError):  # CheckFailed is an AssertionError
        checks.check_le("err", float("nan"), 1.0, kind="round-off")


def test_a_loose_check_must_give_its_reason():
    with pytest.raises(ValueError, match="below 0.001"):
        checks.check_le("tiny", 1e-12, 1.0, kind="round-off")
    checks.check_le("tiny", 1e-12, 1.0, kind="round-off", reason="exact up to one rounding")
    with pytest.raises(ValueError, match="undefined"):
        checks.check_le("sign only", -1.0, 0.0, kind="inequality")
    checks.check_le("sign only", -1.0, 0.0, kind="inequality", reason="the theorem's inequality; checked tightly below")
    # an exact identity: error 0 with tolerance 0 has ratio 0 and needs its reason too
    with pytest.raises(ValueError, match="below"):
        checks.check_close("identity", 3.0, 3.0, 0.0, kind="exact")
    checks.check_close("identity", 3.0, 3.0, 0.0, kind="exact", reason="exact in floating point")
    assert checks.history()[-1].ratio == 0.0


def test_check_close_and_ge():
    checks.check_close("x", 1.0 + 1e-10, 1.0, 1e-9, kind="round-off")
    assert checks.history()[-1].ratio == pytest.approx(0.1, rel=1e-5)
    with pytest.raises(checks.CheckFailed):
        checks.check_close("x", 1.1, 1.0, 1e-3, kind="round-off")
    checks.check_ge("actual / guaranteed", 1.6, 1.0, kind="inequality")
    assert checks.history()[-1].ratio == pytest.approx(1 / 1.6)
    with pytest.raises(checks.CheckFailed):
        checks.check_ge("actual / guaranteed", 0.9, 1.0, kind="inequality")


def test_bad_metadata():
    with pytest.raises(ValueError, match="kind must be one of"):
        checks.check_le("x", 1.0, 2.0, kind="approximate")
    with pytest.raises(TypeError, match="kind"):
        checks.check_le("x", 1.0, 2.0)  # noqa - kind is required
    with pytest.raises(TypeError, match="claim"):
        checks.check_le("", 1.0, 2.0, kind="exact")
    with pytest.raises(TypeError, match="reason"):
        checks.check_le("x", 1.0, 2.0, kind="exact", reason="")


def test_check_all_le_uses_only_the_informative_steps():
    values = np.array([0.0, 0.9, 0.5, 1e-20])  # exact at the start, converged at the end
    bounds = np.ones(4)
    worst = checks.check_all_le("descent, informative steps", values, bounds, where=[1, 2], kind="inequality")
    assert worst == pytest.approx(0.9)
    assert "2 indices from 1 to 2" in checks.history()[-1].note
    with pytest.raises(checks.CheckFailed):
        checks.check_all_le("descent", values + [0, 0.2, 0, 0], bounds, where=[1, 2], kind="inequality")
    with pytest.raises(ValueError, match="could not fail"):
        checks.check_all_le("descent", values, bounds, where=[], kind="inequality")
    with pytest.raises(ValueError, match="only 4 values"):
        checks.check_all_le("descent", values, bounds, where=[4], kind="inequality")


def test_check_mean_hoeffding_and_normal():
    rng = np.random.default_rng(0)
    coin = rng.random(4000) < 0.3
    checks.check_mean("coin", coin.astype(float), 0.3, bounds=(0.0, 1.0), confidence=0.999)
    rec = checks.history()[-1]
    assert rec.kind == "statistical" and rec.tolerance == pytest.approx(np.sqrt(np.log(2 / 1e-3) / 8000))
    with pytest.raises(checks.CheckFailed):  # a wrong target fails
        checks.check_mean("coin", coin.astype(float), 0.4, bounds=(0.0, 1.0))
    checks.check_mean("gaussian", rng.normal(2.0, 1.0, 500), 2.0)
    with pytest.raises(ValueError, match="outside bounds"):
        checks.check_mean("coin", coin.astype(float) * 2, 0.3, bounds=(0.0, 1.0))


def test_first_index_refuses_to_say_zero_when_never():
    assert checks.first_index([False, False, True, True], "convergence") == 2
    with pytest.raises(ValueError, match="convergence never happens in these 3 steps"):
        checks.first_index([False, False, False], "convergence")


def test_loglog_slope():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert checks.loglog_slope(x, 3 * x**2) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive"):
        checks.loglog_slope(x, -x)
    with pytest.raises(ValueError, match="equal-length"):
        checks.loglog_slope(x, x[:2])


def test_result_lines_say_claim_measure_bound_and_kind(capsys):
    checks.check_close("mean", 0.50012, 0.5, 3e-3, kind="statistical")
    checks.check_ge("growth", 5.0, 4.0, kind="inequality")
    checks.check_all_le("steps", [9.0, 2.0, 3.0], [1.0, 4.0, 4.0], where=[1, 2], kind="inequality")
    assert capsys.readouterr().out.splitlines() == [
        "\u2713 mean: 0.50012, target 0.5 \u00b1 0.003 [statistical]",
        "\u2713 growth: 5 \u2265 4 [inequality]",
        "\u2713 steps: worst of 2: 3 \u2264 4 [inequality]",
    ]
    with pytest.raises(checks.CheckFailed):
        checks.check_le("too big", 2e-7, 1e-9, kind="round-off")
    assert capsys.readouterr().out == "\u2717 too big: 2e-7 \u2264 1e-9 [round-off]  FAILED\n"
    rec = checks.history()[-1]
    assert checks.result_line(rec) == checks.result_line(__import__("dataclasses").asdict(rec))


def test_a_value_just_inside_its_bound_prints_apart_from_it(capsys):
    checks.check_le("tight", 0.93212, 0.93219, kind="inequality")
    checks.check_ge("at the bound", 1.0, 1.0, kind="inequality")
    assert capsys.readouterr().out.splitlines() == ["\u2713 tight: 0.9321 \u2264 0.9322 [inequality]",
                                                    "\u2713 at the bound: 1 \u2265 1 [inequality]"]
