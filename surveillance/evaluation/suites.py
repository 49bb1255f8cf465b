"""Simulated series with known outbreaks, for judging detectors.

Two suites, each a list of scenarios. Simulating a scenario gives one panel whose series are
the replicates (so a detector runs once per scenario), the cases of the outbreak placed in
the current period, the cases of any other outbreak, and the size and start of each
replicate's current outbreak.

``weekly`` — Noufaily et al. (2013) Stat Med 32:1206-1222. Baseline counts are negative
binomial with mean ``exp(θ + βt + Σ_{j≤m} γ1 cos(2πjt/52) + γ2 sin(2πjt/52))`` and variance
``φμ`` (Poisson where φ = 1), ``t = 1..624``. Seven parameter sets, each without and with the
trend (β = 0 without) and with m = 0, 1 or 2 harmonics: 42 scenarios, numbered 1-42 in the
order parameter set, trend (no, yes), harmonics (0, 1, 2). The last 49 weeks (576-624) are
the current period. Four outbreaks start in weeks 313-575, each with k drawn from
{2, 3, 5, 10}; one starts in the current period with k = 1..10 (replicate r gets
k = 1 + r mod 10, so every size has its share of replicates). An outbreak starting in week s
has Poisson(k · sd) cases, sd = sqrt(φ μ(s)) the baseline's standard deviation at s; each
case falls in week s + floor(X), X ~ lognormal(0, 0.5). Cases beyond week 624 are lost; the
cases of an earlier outbreak that spill into the current period stay and make those weeks
outbreak weeks.

``daily`` — the demo generator's counts (``surveillance.synthetic.simulate``: day-of-week pattern,
Chinese holidays, seasonal and influenza waves, negative binomial noise, outages, late and
partial reports), simulated without its own outbreaks for a geography of as many counties as
replicates, each county reporting as one unit: one series per county for the scenario's
syndrome. Four years (2020-2023); the last 182 days are the current period. Current-period
days are taken as first known the morning after (a late report is missing, a partial one is
low: the reporting delay the detector faces on the day); earlier days have their final
values. One outbreak per replicate starts on a uniform day of the current period with
Poisson(k · sd) cases, k = 1 + r mod 10 and sd the standard deviation of the series' final
counts in the 28 days before the start; its cases are spread by the scenario's shape:
``spike`` (all on the first day), ``epidemic`` (day s + floor(X), X ~ lognormal(log 3, 0.5))
or ``plateau`` (uniform over 14 days). Cases are added in full to the days that are reported;
days missing for outage or delay keep their outbreak cases in the truth, so detection has to
do without them. Scenarios: syndromes fever, diarrhoea and hfmd × the three shapes.

Thresholds tuned to a target alarm rate (``tuning``) are learnt from the history before the
current period: 104 weeks (weekly) or 365 days (daily).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SurveillanceError, UnknownName
from ..panel import Panel

SUITES = ("weekly", "daily")

# Noufaily et al. (2013), Table I: (θ, φ, β, γ1, γ2).
NOUFAILY_PARAMETERS = (
    (0.1, 1.5, 0.0025, 0.6, 0.6),
    (-2.0, 2.0, 0.005, 0.1, 0.3),
    (1.5, 1.0, 0.003, 0.2, -0.4),
    (0.5, 5.0, 0.002, 0.5, 0.5),
    (2.5, 3.0, 0.001, 1.0, 0.1),
    (3.75, 1.1, 0.001, 0.1, -0.1),
    (5.0, 1.2, 0.0001, 0.05, 0.01),
)
WEEKLY_LENGTH = 624
WEEKLY_CURRENT = 49
WEEKLY_HISTORY = 104  # two years before the current period, earlier outbreaks included
BASELINE_OUTBREAK_WEEKS = (313, 575)  # 1-based, inclusive: where the four earlier outbreaks start
BASELINE_OUTBREAK_K = (2, 3, 5, 10)
N_BASELINE_OUTBREAKS = 4
CURRENT_K = tuple(range(1, 11))
WEEKLY_START = pd.Timestamp("2000-01-03")  # a Monday; the dates only give the panel its grid

DAILY_START, DAILY_END = pd.Timestamp("2020-01-01"), pd.Timestamp("2023-12-31")
DAILY_CURRENT = 182
DAILY_HISTORY = 365
DAILY_SYNDROMES = ("fever", "diarrhoea", "hfmd")
DAILY_SHAPES = ("spike", "epidemic", "plateau")
SD_WINDOW_DAYS = 28


@dataclass(frozen=True)
class Scenario:
    """One setting of a suite; ``params`` describe it (written to the report)."""

    suite: str
    id: int
    name: str
    params: dict = field(default_factory=dict)

    def row(self) -> dict:
        return {"suite": self.suite, "scenario": self.id, "name": self.name, **self.params}


@dataclass(frozen=True)
class Simulated:
    """A scenario's replicates: ``panel`` has one series per replicate.

    ``current_cases`` and ``other_cases`` are ``[reps, n_time]`` cases of the current outbreak
    and of all other outbreaks; ``k``, ``start`` (position in the panel) and ``size`` (cases
    in the series) describe each replicate's current outbreak; the last ``n_current`` points
    are the current period, ``points_per_year`` converts points to years.
    """

    scenario: Scenario
    panel: Panel
    current_cases: np.ndarray
    other_cases: np.ndarray
    k: np.ndarray
    start: np.ndarray
    size: np.ndarray
    n_current: int
    points_per_year: float
    n_history: int  # points before the current period that tuning may learn thresholds from


# --- weekly (Noufaily) ------------------------------------------------------------------------
def weekly_scenarios() -> list[Scenario]:
    out = []
    for p, (theta, phi, beta, gamma1, gamma2) in enumerate(NOUFAILY_PARAMETERS, start=1):
        for trend in (False, True):
            for harmonics in (0, 1, 2):
                out.append(Scenario("weekly", len(out) + 1, f"set {p}, {'trend' if trend else 'no trend'}, "
                                    f"{harmonics} harmonic{'s' if harmonics != 1 else ''}", {
                                        "parameter_set": p, "theta": theta, "phi": phi,
                                        "beta": beta if trend else 0.0, "gamma1": gamma1, "gamma2": gamma2,
                                        "trend": trend, "harmonics": harmonics}))
    return out


def weekly_mean(params: dict, t: np.ndarray) -> np.ndarray:
    """Noufaily's baseline mean at weeks ``t`` (1-based)."""
    t = np.asarray(t, dtype=float)
    eta = params["theta"] + params["beta"] * t
    for j in range(1, params["harmonics"] + 1):
        eta = eta + params["gamma1"] * np.cos(2 * np.pi * j * t / 52) + params["gamma2"] * np.sin(2 * np.pi * j * t / 52)
    return np.exp(eta)


def weekly_baseline(params: dict, reps: int, rng, n_time: int = WEEKLY_LENGTH) -> np.ndarray:
    """``[reps, n_time]`` negative binomial counts with mean μ(t) and variance φμ(t)."""
    mu = np.broadcast_to(weekly_mean(params, np.arange(1, n_time + 1)), (reps, n_time))
    phi = params["phi"]
    if phi <= 1.0:
        return rng.poisson(mu).astype(float)
    return rng.negative_binomial(mu / (phi - 1.0), 1.0 / phi).astype(float)


def spread_cases(sizes: np.ndarray, rows: np.ndarray, starts: np.ndarray, offsets, n_time: int,
                 n_rows: int) -> np.ndarray:
    """Cases per ``[row, time]`` of outbreaks with ``sizes`` starting at ``starts`` (0-based).

    ``offsets(n)`` draws each case's whole number of points after the start; cases beyond the
    last point are lost.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    out = np.zeros((n_rows, n_time))
    case_row = np.repeat(rows, sizes)
    when = np.repeat(starts, sizes) + offsets(int(sizes.sum()))
    keep = when < n_time
    np.add.at(out, (case_row[keep], when[keep]), 1.0)
    return out


def current_k(reps: int) -> np.ndarray:
    return np.array(CURRENT_K)[np.arange(reps) % len(CURRENT_K)]


def simulate_weekly(scenario: Scenario, reps: int, rng) -> Simulated:
    p = scenario.params
    n_time, n_current = WEEKLY_LENGTH, WEEKLY_CURRENT
    baseline = weekly_baseline(p, reps, rng)
    sd = lambda week: np.sqrt(p["phi"] * weekly_mean(p, week))  # noqa: E731  (week is 1-based)
    lognormal_weeks = lambda n: np.floor(rng.lognormal(0.0, 0.5, n)).astype(np.int64)  # noqa: E731

    lo, hi = BASELINE_OUTBREAK_WEEKS
    rows = np.repeat(np.arange(reps), N_BASELINE_OUTBREAKS)
    starts = rng.integers(lo, hi + 1, rows.size)  # 1-based weeks
    ks = rng.choice(BASELINE_OUTBREAK_K, rows.size)
    other = spread_cases(rng.poisson(ks * sd(starts)), rows, starts - 1, lognormal_weeks, n_time, reps)

    k = current_k(reps)
    start = rng.integers(n_time - n_current + 1, n_time + 1, reps)  # 1-based
    current = spread_cases(rng.poisson(k * sd(start)), np.arange(reps), start - 1, lognormal_weeks, n_time, reps)

    panel = Panel(counts=baseline + other + current,
                  dates=pd.date_range(WEEKLY_START, periods=n_time, freq="W-MON"),
                  keys=pd.DataFrame({"replicate": np.arange(reps).astype(str)}), freq="weekly",
                  attrs={"scenario": scenario.id})
    return Simulated(scenario, panel, current, other, k, start - 1, current.sum(axis=1), n_current, 52.0,
                     WEEKLY_HISTORY)


# --- daily (demo generator) -------------------------------------------------------------------
def daily_scenarios() -> list[Scenario]:
    out = []
    for syndrome in DAILY_SYNDROMES:
        for shape in DAILY_SHAPES:
            out.append(Scenario("daily", len(out) + 1, f"{syndrome}, {shape}", {"syndrome": syndrome, "shape": shape}))
    return out


def _shape_offsets(shape: str, rng):
    if shape == "spike":
        return lambda n: np.zeros(n, dtype=np.int64)
    if shape == "epidemic":
        return lambda n: np.floor(rng.lognormal(np.log(3.0), 0.5, n)).astype(np.int64)
    if shape == "plateau":
        return lambda n: rng.integers(0, 14, n)
    raise UnknownName(f"unknown outbreak shape {shape!r}; valid shapes: {', '.join(DAILY_SHAPES)}")


class DailyBaseline:
    """The demo generator's counts for ``reps`` counties, per syndrome: final and as first known. Each county
    reports as one unit (the suite), or with ``units_per_county`` facilities whose counts are summed."""

    def __init__(self, reps: int, seed: int, units_per_county: int = 1):
        from ..synthetic.simulate import build_geography, simulate  # heavy imports only when the daily suite runs

        if units_per_county == 1:
            geography = build_geography("national", seed=seed, n_counties=reps)
            series_of = geography.units["code"]
        else:
            geography = build_geography("city", seed=seed, n_counties=reps, n_facilities=reps * units_per_county)
            series_of = geography.units["county"]
        self.units = list(dict.fromkeys(series_of.astype(str)))  # the series: a unit, or a county of units
        if len(self.units) != reps:
            raise SurveillanceError(f"the daily suite needs {reps} series, the geography has {len(self.units)}")
        self._series_of = dict(zip(geography.units["code"].astype(str), pd.Index(self.units).get_indexer(series_of)))
        sim = simulate(geography, DAILY_START, DAILY_END, seed=seed, age_groups=False, outbreaks=False)
        self.dates = pd.date_range(DAILY_START, DAILY_END, freq="D")
        self._truth = sim.truth
        self._deliveries = sim.deliveries
        self._known: dict = {}
        first = sim.deliveries[sim.deliveries["revision"] == 0]
        self._first = first[first["delivered_on"] <= first["date"] + pd.Timedelta(days=1)]

    def _sum(self, units, dates, values) -> np.ndarray:
        """``[series, days]`` sums of ``values`` per series and day (NaN where no unit has one)."""
        s = pd.Series(np.asarray(units).astype(str)).map(self._series_of).to_numpy(int)
        t = self.dates.get_indexer(pd.to_datetime(dates))
        out = np.zeros((len(self.units), len(self.dates)))
        seen = np.zeros(out.shape, dtype=bool)
        np.add.at(out, (s, t), np.asarray(values, dtype=float))
        seen[s, t] = True
        out[~seen] = np.nan
        return out

    def _grid(self, frame: pd.DataFrame, syndrome: str) -> np.ndarray:
        rows = frame[frame["syndrome"] == syndrome]
        return self._sum(rows["unit"], rows["date"], rows["count"])

    def final(self, syndrome: str) -> np.ndarray:
        """``[series, days]``: the final counts (NaN: a day never reported)."""
        return self._grid(self._truth, syndrome)

    def known_after(self, syndrome: str | None, max_delay: int) -> np.ndarray:
        """``[max_delay + 1, series, days]``: each day's count as known ``d`` days after it (each unit's newest
        revision delivered by then; NaN: nothing delivered yet), of one syndrome or of all summed (None)."""
        if (syndrome, max_delay) not in self._known:
            self._known[syndrome, max_delay] = self._known_after(syndrome, max_delay)
        return self._known[syndrome, max_delay]

    def _known_after(self, syndrome: str | None, max_delay: int) -> np.ndarray:
        rows = self._deliveries if syndrome is None else self._deliveries[self._deliveries["syndrome"] == syndrome]
        reports = rows.groupby(["unit", "date", "revision", "delivered_on"], observed=True)["count"].sum().reset_index()
        delay = (pd.to_datetime(reports["delivered_on"]) - pd.to_datetime(reports["date"])).dt.days.to_numpy()
        out = np.full((max_delay + 1, len(self.units), len(self.dates)), np.nan)
        for d in range(max_delay + 1):
            latest = reports[delay <= d].sort_values("revision").drop_duplicates(["unit", "date"], keep="last")
            if len(latest):
                out[d] = self._sum(latest["unit"], latest["date"], latest["count"])
        return out

    def series(self, syndrome: str, n_current: int) -> tuple[np.ndarray, np.ndarray]:
        """``(final, observed)``: final values, and final values with the current period as first known."""
        final = self._grid(self._truth, syndrome)
        observed = final.copy()
        observed[:, -n_current:] = self._grid(self._first, syndrome)[:, -n_current:]
        return final, observed


def simulate_daily(scenario: Scenario, reps: int, rng, baseline: DailyBaseline) -> Simulated:
    p = scenario.params
    n_current = DAILY_CURRENT
    final, observed = baseline.series(p["syndrome"], n_current)
    n_time = final.shape[1]
    k = current_k(reps)
    start = rng.integers(n_time - n_current, n_time, reps)
    window = final[np.arange(reps)[:, None], start[:, None] + np.arange(-SD_WINDOW_DAYS, 0)[None, :]]
    with np.errstate(invalid="ignore"):
        sd = np.nan_to_num(np.nanstd(window, axis=1, ddof=1), nan=0.0)
    current = spread_cases(rng.poisson(k * sd), np.arange(reps), start, _shape_offsets(p["shape"], rng), n_time, reps)
    panel = Panel(counts=observed + current, dates=baseline.dates,
                  keys=pd.DataFrame({"replicate": np.array(baseline.units, dtype=str)}), freq="daily",
                  attrs={"scenario": scenario.id})
    return Simulated(scenario, panel, current, np.zeros_like(current), k, start, current.sum(axis=1),
                     n_current, 365.25, DAILY_HISTORY)


# --- selection ----------------------------------------------------------------------------------
def suite_scenarios(suite: str) -> list[Scenario]:
    if suite == "weekly":
        return weekly_scenarios()
    if suite == "daily":
        return daily_scenarios()
    raise UnknownName(f"unknown suite {suite!r}; valid suites: {', '.join(SUITES)}")


def select_scenarios(suite: str, scenarios=None) -> list[Scenario]:
    """All scenarios of ``suite``, or those whose ids (or names) are listed in ``scenarios``."""
    every = suite_scenarios(suite)
    if scenarios is None:
        return every
    by_id = {s.id: s for s in every}
    by_name = {s.name: s for s in every}
    out = []
    for item in scenarios:
        if isinstance(item, Scenario):
            out.append(item)
        elif str(item).strip().isdigit() and int(item) in by_id:
            out.append(by_id[int(item)])
        elif str(item) in by_name:
            out.append(by_name[str(item)])
        else:
            raise UnknownName(f"unknown {suite} scenario {item!r}; valid ids: 1-{len(every)}")
    if not out:
        raise SurveillanceError("no scenarios selected")
    return out


def simulate_suite(suite: str, scenarios: list[Scenario], reps: int, seed: int):
    """Yield each scenario simulated; ``seed`` and the scenario id fix its random stream."""
    if reps < 1:
        raise SurveillanceError(f"reps must be at least 1, got {reps}")
    baseline = DailyBaseline(reps, seed) if suite == "daily" else None
    for scenario in scenarios:
        rng = np.random.default_rng([seed, scenario.id])
        if suite == "weekly":
            yield simulate_weekly(scenario, reps, rng)
        else:
            yield simulate_daily(scenario, reps, rng, baseline)
