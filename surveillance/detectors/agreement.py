"""Agreement with R ``surveillance`` 1.20.3 on the reference datasets.

The reference folder (``shared/reference`` beside the repository checkout, see its README)
holds, per dataset, the series (``NAME_data.csv``) and R's bounds and alarms
(``NAME_r_results.csv``) with the exact R settings in a ``params`` column; its
``noufaily_improved`` folder holds R's outputs with the improved method's advised trend
setting (``pThresholdTrend = 1``) in files of the same name. This module
translates those settings into our parameter names, runs our detectors on the same
series and measures the agreement:

* ``n``: points R judged; ``n_bound``: points where both give a bound;
* ``median_rel``, ``p99_rel``: median and 99th percentile of
  ``|ours - R| / max(|R|, 1e-12)`` over ``n_bound`` (0 where both bounds are 0);
* ``same_missing``: whether exactly the same points lack a bound;
* ``alarm_agreement``: share of points with the same alarm (R's missing alarm = no alarm).

``agreement_table()`` returns one row per dataset x method; the README table is made
from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..panel import Panel
from .registry import detect

DATASETS = ("salmNewport", "measlesDE", "influMen", "campyDE", "rotaBB")
# How R found the same week in past years: by date for ``sts`` objects with dates (the
# default, ``calendar``), by position for influMen, whose ``sts`` has no dates (see
# farrington.py, ``reference_points``). measlesDE agrees either way.
REFERENCE_POINTS: dict[str, str] = {"influMen": "position"}

METHODS = ("farrington_original", "farrington_noufaily", "farrington_noufaily_improved", "bayes", "ears_c1",
           "ears_c2", "ears_c3")

# Methods whose R outputs are in a folder of their own.
SUBFOLDERS: dict[str, str] = {"farrington_noufaily_improved": "noufaily_improved"}
# farringtonFlexible returns only its judged range, and these files number that range from 1;
# the other files give the point's position in the whole series.
RANGE_NUMBERED = ("farrington_original", "farrington_noufaily")


def default_reference_dir() -> Path:
    """``shared/reference`` beside the repository checkout."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def load_dataset(name: str, reference_dir: Path | None = None) -> tuple[Panel, int]:
    """The dataset as a panel (series in file order) and its periods per year.

    Monthly data (``rotaBB``) also become a panel marked weekly: our seasonal detectors
    work on positions, and take the periods per year from their ``period`` parameter.
    """
    reference_dir = Path(reference_dir or default_reference_dir())
    data = pd.read_csv(reference_dir / f"{name}_data.csv")
    series = list(dict.fromkeys(data["series"]))
    wide = data.pivot(index="series", columns="t", values="observed").loc[series]
    dates = pd.DatetimeIndex(data.drop_duplicates("t").sort_values("t")["date"].pipe(pd.to_datetime))
    panel = Panel(
        counts=wide.to_numpy(dtype=float),
        dates=dates,
        keys=pd.DataFrame({"series": series}),
        freq="weekly",
    )
    return panel, int(data["freq"].iloc[0])


def parse_r_params(text: str) -> dict[str, str]:
    """``"b=5;w=3;limit54=0,4"`` → ``{"b": "5", "w": "3", "limit54": "0,4"}``."""
    return dict(item.split("=", 1) for item in text.split(";") if item)


def translate(algorithm: str, r_params: dict[str, str], period: int, dataset: str = "") -> tuple[str, dict]:
    """Our detector name and parameters for one of R's reference settings."""
    if algorithm.startswith("ears_"):
        params = {"baseline": r_params["baseline"], "alpha": r_params["alpha"], "min_sigma": r_params["minSigma"]}
        if algorithm == "ears_c3":
            params["r_compatible"] = True  # R's C3 bound; see surveillance.detectors.ears
        return algorithm, params
    if algorithm == "bayes":
        return "bayes", {"b": r_params["b"], "w": r_params["w"], "act_y": r_params["actY"],
                         "alpha": r_params["alpha"], "period": period}
    if algorithm in ("farrington_original", "farrington_noufaily", "farrington_noufaily_improved"):
        cases, weeks = r_params["limit54"].split(",")
        params = {
            "b": r_params["b"], "w": r_params["w"], "n_periods": r_params["noPeriods"],
            "alpha": r_params["alpha"], "reweight": True, "reweight_threshold": r_params["weightsThreshold"],
            # The main files leave pThresholdTrend out: it is R's default, 0.05 (see their README).
            "trend": True, "trend_p_threshold": r_params.get("pThresholdTrend", "0.05"), "power_transform": "2/3",
            "past_weeks_excluded": r_params["pastWeeksNotIncluded"], "threshold": r_params["thresholdMethod"],
            "min_recent_cases": cases, "recent_weeks": weeks, "period": period,
            "reference_points": REFERENCE_POINTS.get(dataset, "calendar"), "r_compatible": True,
        }
        name = "farrington" if algorithm == "farrington_original" else "farrington_flexible"
        return name, params
    raise ValueError(f"no translation for reference algorithm {algorithm!r}")


def compare_one(dataset: str, algorithm: str, reference_dir: Path | None = None,
                overrides: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Agreement of one method on one dataset: the summary row and the point-by-point table.

    ``overrides`` replaces some of our parameters translated from R's settings, to measure
    how much a setting matters.
    """
    reference_dir = Path(reference_dir or default_reference_dir())
    panel, period = load_dataset(dataset, reference_dir)
    ref = pd.read_csv(reference_dir / SUBFOLDERS.get(algorithm, "") / f"{dataset}_r_results.csv")
    ref = ref[ref["algorithm"] == algorithm].copy()
    if ref.empty:
        raise ValueError(f"{dataset}: no reference results for {algorithm!r}")
    r_params = parse_r_params(ref["params"].iloc[0])
    name, params = translate(algorithm, r_params, period, dataset)
    result = detect(name, panel, **{**params, **(overrides or {})})

    offset = int(r_params["b"]) * period + int(r_params["w"]) if algorithm in RANGE_NUMBERED else 0
    row = pd.Index(panel.keys["series"]).get_indexer(ref["series"])
    col = ref["t"].to_numpy() + offset - 1
    ref["ours_upperbound"] = result.upperbound[row, col]
    ref["ours_alarm"] = result.alarm[row, col]
    ref["ours_status"] = result.status_labels()[row, col]
    summary = summarise(ref["upperbound"].to_numpy(float), ref["ours_upperbound"].to_numpy(float),
                        ref["alarm"].fillna(0).to_numpy(bool), ref["ours_alarm"].to_numpy(bool))
    return {"dataset": dataset, "method": algorithm, "detector": name, **summary}, ref


def summarise(r_bound: np.ndarray, our_bound: np.ndarray, r_alarm: np.ndarray, our_alarm: np.ndarray) -> dict:
    both = ~np.isnan(r_bound) & ~np.isnan(our_bound)
    diff = np.abs(our_bound[both] - r_bound[both])
    scale = np.maximum(np.abs(r_bound[both]), 1e-12)
    rel = np.where(diff == 0, 0.0, diff / scale)
    return {
        "n": len(r_bound),
        "n_bound": int(both.sum()),
        "r_missing": int(np.isnan(r_bound).sum()),
        "ours_missing": int(np.isnan(our_bound).sum()),
        "same_missing": bool(np.array_equal(np.isnan(r_bound), np.isnan(our_bound))),
        "median_rel": float(np.median(rel)) if rel.size else 0.0,
        "p99_rel": float(np.quantile(rel, 0.99)) if rel.size else 0.0,
        "max_rel": float(rel.max()) if rel.size else 0.0,
        "alarm_agreement": float(np.mean(r_alarm == our_alarm)) if len(r_alarm) else 1.0,
    }


def agreement_table(reference_dir: Path | None = None, methods=METHODS, datasets=DATASETS) -> pd.DataFrame:
    """One row per dataset x method with the measures above."""
    rows = [compare_one(d, m, reference_dir)[0] for d in datasets for m in methods]
    return pd.DataFrame(rows)


def markdown_table(table: pd.DataFrame) -> str:
    """The agreement table as markdown, for the README."""
    lines = ["| dataset | method | points | with bound | median rel. diff | p99 rel. diff | alarms equal |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in table.itertuples():
        lines.append(f"| {r.dataset} | {r.method} | {r.n} | {r.n_bound} | {r.median_rel:.1e} | "
                     f"{r.p99_rel:.1e} | {100 * r.alarm_agreement:.2f}% |")
    return "\n".join(lines)
