"""Judging detectors on simulated series with known outbreaks.

    from surveillance.evaluation import evaluate, evaluate_to_report
    ev = evaluate("weekly", "farrington_flexible,bayes", reps=100, seed=1)
    ev.overall                       # POD, FPR, sensitivity, specificity, timeliness per method
    evaluate_to_report("weekly", ["bayes"], 50, 1, "report.html")
    ev = evaluate("daily", "switch,regression", target_per_year=12)   # thresholds for 1 alarm/month
    ev.tuned_overall                 # what that alarm rate still detects

    table = backtest_forecasts(weekly_panel, horizons=(1, 2, 3, 4), origins=52)
    backtest_summary(table)          # WIS of the forecast model and the naive baseline, coverage
    forecast_skill(table)            # where the model beats the baseline (relative WIS < 1)

``suites`` builds the simulations (Noufaily et al. 2013 weekly; the demo generator's daily
series with injected outbreaks), ``metrics`` counts alarms against the truth, ``tuning``
chooses thresholds for a target alarm rate, ``report`` writes the HTML and CSV files, ``forecast`` backtests the short-term forecasts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from .forecast import (backtest_forecasts, backtest_summary, forecast_skill, interval_coverage,
                       simulated_weekly_panel, weighted_interval_score)
from .metrics import (alarms_per_year, false_positive_rate, per_series, probability_of_detection, sensitivity,
                      specificity, summarise, timeliness)
from .report import write_report
from .run import Evaluation, evaluate, headline
from .suites import SUITES, Scenario, daily_scenarios, suite_scenarios, weekly_scenarios
from .tuning import evidence, threshold_as_alpha, tune_thresholds, tuned_alarms


def evaluate_to_report(suite: str, methods: str | Iterable[str], reps: int, seed: int, output_path,
                       params: Mapping[str, Any] | None = None, *, scenarios=None,
                       target_per_year: float | None = None, tune_by: str = "series") -> dict:
    """Run ``evaluate`` and write the HTML report with its CSV files.

    Returns ``html`` (path), ``csv`` (name -> path), ``overall`` (the per-method metrics as
    a DataFrame), ``evaluation`` (the full ``Evaluation``) and ``seconds`` (wall time).
    """
    began = time.perf_counter()
    ev = evaluate(suite, methods, reps=reps, seed=seed, params=params, scenarios=scenarios,
                  target_per_year=target_per_year, tune_by=tune_by)
    files = write_report(ev, Path(output_path))
    return {"html": files["html"], "csv": files["csv"], "overall": headline(ev), "evaluation": ev,
            "seconds": time.perf_counter() - began}


__all__ = ["SUITES", "Evaluation", "Scenario", "alarms_per_year", "backtest_forecasts", "backtest_summary",
           "daily_scenarios", "evaluate", "evaluate_to_report", "evidence", "false_positive_rate", "forecast_skill",
           "headline", "interval_coverage", "per_series", "probability_of_detection", "simulated_weekly_panel",
           "sensitivity", "specificity", "suite_scenarios", "summarise", "threshold_as_alpha", "timeliness",
           "tune_thresholds", "tuned_alarms", "weekly_scenarios", "weighted_interval_score", "write_report"]
