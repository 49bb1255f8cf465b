"""Every registered detector keeps the shared contract."""

import numpy as np
import pandas as pd
import pytest

from surveillance.detectors import InvalidParameter, Status, available, detect, get
from surveillance.detectors.result import STATUS_DESCRIPTIONS
from surveillance.errors import UnknownName
from surveillance.panel import Panel

from .conftest import weekly_panel

DETECTORS = available()
# Settings that let each detector judge a good share of a 6-year weekly panel quickly.
SETTINGS = {"farrington": {"b": 3}, "farrington_flexible": {"b": 3, "n_periods": 4}, "bayes": {"b": 2, "w": 3}}


def _daily(p: Panel) -> Panel:
    """The same values on a daily grid, for detectors of daily data."""
    dates = pd.date_range(p.dates[0], periods=p.shape[1], freq="D")
    return Panel(counts=p.counts, dates=dates, keys=p.keys, freq="daily")


def _for(name: str, p: Panel) -> Panel:
    return _daily(p) if get(name).frequency == "daily" else p


@pytest.fixture(scope="module")
def weekly():
    p = weekly_panel(n_series=5, n_weeks=4 * 52 + 20, seed=11)
    counts = p.counts.copy()
    counts[1, [50, 180, 200]] = np.nan  # missing values inside baselines and at judged points
    counts[2, :] = 0.0  # an all-zero series
    return Panel(counts=counts, dates=p.dates, keys=p.keys, freq="weekly")


@pytest.fixture
def panel(request, weekly):
    """The weekly panel, on a daily grid for detectors of daily data."""
    return _for(request.node.callspec.params["name"], weekly)


@pytest.mark.parametrize("name", DETECTORS)
def test_shape_status_and_alarm_rule(name, panel):
    params = dict(SETTINGS.get(name, {}))
    given = dict(params)
    r = detect(name, panel, **params)
    assert params == given  # parameters are not mutated
    assert r.shape == panel.shape and r.detector == name
    assert set(get(name).schema.names) == set(r.params)
    np.testing.assert_array_equal(r.alarm, r.score > 1)
    labels = r.status_labels()
    assert set(np.unique(labels)) <= set(STATUS_DESCRIPTIONS)
    assert (labels[np.isnan(panel.counts)] == "missing").all()
    judged = r.status == Status.OK
    assert judged.sum() > 0.15 * panel.counts.size
    assert not r.alarm[~judged].any()
    assert np.isnan(r.upperbound[~judged]).all()
    assert np.isfinite(r.upperbound[judged]).all() and np.isfinite(r.expected[judged]).all()
    p = r.pvalue[judged]
    assert ((p >= 0) & (p <= 1)).all()
    long = r.to_long(panel)
    assert len(long) == panel.counts.size


@pytest.mark.parametrize("name", DETECTORS)
def test_short_and_empty_series(name):
    short = weekly_panel(n_series=3, n_weeks=5)
    counts = short.counts.copy()
    counts[1] = np.nan
    short = _for(name, Panel(counts=counts, dates=short.dates, keys=short.keys, freq="weekly"))
    r = detect(name, short, **SETTINGS.get(name, {}))
    labels = r.status_labels()
    assert (labels[0] == "insufficient_baseline").all()
    assert (labels[1] == "missing").all()
    assert not r.alarm.any()
    freq = "daily" if get(name).frequency == "daily" else "weekly"
    empty = Panel(counts=np.zeros((0, 0)), dates=pd.DatetimeIndex([]), keys=pd.DataFrame({"s": []}), freq=freq)
    assert detect(name, empty).shape == (0, 0)


@pytest.mark.parametrize("name", DETECTORS)
def test_order_of_series_does_not_matter(name, panel):
    order = np.array([3, 0, 4, 2, 1])
    shuffled = Panel(counts=panel.counts[order], dates=panel.dates, keys=panel.keys.iloc[order].reset_index(drop=True),
                     freq=panel.freq)
    a = detect(name, panel, **SETTINGS.get(name, {}))
    b = detect(name, shuffled, **SETTINGS.get(name, {}))
    for field in ("expected", "upperbound", "score", "pvalue", "alarm", "status"):
        np.testing.assert_array_equal(getattr(a, field)[order], getattr(b, field), err_msg=f"{name}: {field}")


@pytest.mark.parametrize("name", DETECTORS)
def test_parameters_are_validated(name, panel):
    with pytest.raises(UnknownName, match=rf"^{name}: unknown parameter 'no_such'; valid parameters: "):
        detect(name, panel, no_such=1)
    schema = get(name).schema
    for param in schema.params:
        if param.kind == "bool":
            bad = "maybe"
        elif param.kind == "choice":
            bad = "no-such-choice"
        elif param.low is not None:
            bad = param.low - 1
        else:
            bad = "abc"
        with pytest.raises(InvalidParameter, match=rf"^{name}: parameter '{param.name}' must be .*, got "):
            detect(name, panel, **{param.name: bad})
