"""Parameter schemas, the result shape and the registry."""

import numpy as np
import pandas as pd
import pytest

from surveillance.detectors import DetectionResult, InvalidParameter, Status, available, describe, detect
from surveillance.detectors.params import Bool, Choice, Float, Int, ParamSchema, Probability
from surveillance.detectors.result import assemble, exceedance_score
from surveillance.errors import UnknownName

SCHEMA = ParamSchema("demo", (
    Int("b", 5, "years back", low=1),
    Probability("alpha", 0.05, "level"),
    Bool("reweight", True, "reweight"),
    Choice("power_transform", "2/3", "power", ("2/3", "none")),
    Choice("threshold", "delta", "method", ("delta", "nbplugin")),
    Int("past", None, "past weeks", low=0, nullable=True, aliases=("pastWeeks",)),
    Float("min_sigma", 0.0, "floor", low=0.0),
))


def test_defaults_filled_and_strings_coerced():
    given = {"b": "3", "alpha": "0.01", "reweight": "false", "power_transform": "none", "threshold": "nbPlugin",
             "past": "none", "min_sigma": "1e-3"}
    before = dict(given)
    out = SCHEMA.validate(given)
    assert given == before  # never mutated
    assert out == {"b": 3, "alpha": 0.01, "reweight": False, "power_transform": "none", "threshold": "nbplugin",
                   "past": None, "min_sigma": 0.001}
    assert SCHEMA.validate({}) == SCHEMA.defaults()
    assert SCHEMA.validate({"b": 4.0, "pastWeeks": 2})["past"] == 2


@pytest.mark.parametrize("name, value, message", [
    ("alpha", 2, "demo: parameter 'alpha' must be a number in (0, 1), got 2"),
    ("alpha", "2", "demo: parameter 'alpha' must be a number in (0, 1), got 2"),
    ("alpha", 0, "demo: parameter 'alpha' must be a number in (0, 1), got 0"),
    ("b", 0, "demo: parameter 'b' must be an integer >= 1, got 0"),
    ("b", 2.5, "demo: parameter 'b' must be an integer >= 1, got 2.5"),
    ("b", True, "demo: parameter 'b' must be an integer >= 1, got True"),
    ("reweight", "maybe", "demo: parameter 'reweight' must be true or false, got maybe"),
    ("power_transform", "3/4", "demo: parameter 'power_transform' must be one of '2/3', 'none', got 3/4"),
    ("past", -1, "demo: parameter 'past' must be an integer >= 0 (or none), got -1"),
    ("min_sigma", "", "demo: parameter 'min_sigma' must be a number >= 0, got ''"),
])
def test_one_error_style(name, value, message):
    with pytest.raises(InvalidParameter) as err:
        SCHEMA.validate({name: value})
    assert str(err.value) == message


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(UnknownName) as err:
        SCHEMA.validate({"alfa": 0.1})
    assert str(err.value) == ("demo: unknown parameter 'alfa'; valid parameters: "
                              "alpha, b, min_sigma, past, power_transform, reweight, threshold")


def test_result_is_frozen_and_checks_shapes():
    z = np.zeros((2, 3))
    r = DetectionResult("x", {"a": 1}, z, z, z, z, z.astype(bool), z.astype(np.uint8))
    with pytest.raises(ValueError):
        r.expected[0, 0] = 1.0
    with pytest.raises(TypeError):
        r.params["a"] = 2
    with pytest.raises(ValueError, match="shape"):
        DetectionResult("x", {}, z, z[:, :2], z, z, z.astype(bool), z.astype(np.uint8))


def test_score_rule_matches_threshold_exactly():
    count = np.array([0.0, 5.0, 10.0, 10.0, 3.0, 1.0, np.nan])
    expected = np.array([1.0, 2.0, 2.0, 4.0, 3.0, 0.5, 1.0])
    upper = np.array([3.0, 5.0, 9.0, 4.0, 3.0, 0.0, 2.0])
    score = exceedance_score(count, expected, upper)
    np.testing.assert_array_equal(score > 1, count > upper)
    assert score[2] == pytest.approx(8 / 7) and np.isnan(score[-1])


def test_assemble_marks_missing_and_blanks_unjudged():
    counts = np.array([[1.0, np.nan, 9.0]])
    r = assemble("x", {}, counts, expected=np.ones((1, 3)), upperbound=np.full((1, 3), 2.0),
                 pvalue=np.full((1, 3), 0.5), status=np.array([[Status.OK, Status.OK, Status.INSUFFICIENT_BASELINE]]))
    assert list(r.status_labels()[0]) == ["ok", "missing", "insufficient_baseline"]
    assert not r.alarm.any() and np.isnan(r.upperbound[0, 1:]).all()


def test_registry(panel):
    names = available()
    assert {"ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible", "bayes"} <= set(names)
    table = describe()
    assert list(table["name"]) == names and table["reference"].str.len().min() > 0
    with pytest.raises(UnknownName, match="valid detectors: bayes, cusum, ears_c1"):
        detect("cusum_x", panel)
    r = detect("ears_c1", panel, alpha="0.01")
    assert r.detector == "ears_c1" and r.params == {"baseline": 7, "alpha": 0.01, "min_sigma": 0.0, "percent": False, "monitor_last": None}
    long = r.to_long(panel)
    assert len(long) == panel.counts.size
    assert {"region", "date", "count", "expected", "upperbound", "score", "pvalue", "alarm", "status"} <= set(long)


def test_weekly_detector_refuses_daily_panel_without_period(panel):
    from surveillance.errors import SurveillanceError
    from surveillance.panel import Panel
    daily = Panel(counts=panel.counts, dates=pd.date_range("2020-01-01", periods=panel.shape[1]),
                  keys=panel.keys, freq="daily")
    with pytest.raises(SurveillanceError, match="needs weekly data"):
        detect("farrington", daily)
