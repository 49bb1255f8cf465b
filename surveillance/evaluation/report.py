"""The evaluation as one HTML file (tables and plotly charts) with a CSV beside it for every
table and figure: ``report.html`` gets ``report_files/*.csv``."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from .metrics import METRIC_COLUMNS
from .run import Evaluation

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1f2933; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d9e2ec; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e4e7eb; text-align: right; }
th { background: #f0f4f8; } td:first-child, th:first-child { text-align: left; }
.note { color: #52606d; font-size: 0.9rem; } .csv { font-size: 0.8rem; }
details { margin: 0.6rem 0; } code { background: #f0f4f8; padding: 0 0.2rem; }
"""

DEFINITIONS = (
    ("POD", "probability of detection: outbreaks with at least one alarm during the outbreak / outbreaks"),
    ("FPR", "false positive rate: alarms at points without outbreak cases / such points (current period)"),
    ("sensitivity", "alarmed outbreak points / outbreak points"),
    ("specificity", "1 - FPR"),
    ("timeliness", "(first alarmed outbreak point - outbreak start) / outbreak length; 1 if undetected; 0 is best"),
    ("delay", "points from outbreak start to first alarm, detected outbreaks only"),
    ("alarms/year", "all alarms in the current period per series-year"),
    ("judged", "share of current-period points the detector could judge (status ok)"),
)


def _fmt(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda x: f"{x:.3f}", na_rep="–", border=0, escape=True)


def figure_frames(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """The data behind every chart, one frame per figure (also written as CSV)."""
    pod_fpr = ev.by_scenario[["method", "scenario", "name", "pod", "fpr", "sensitivity", "specificity"]]
    pod_size = ev.by_size[["method", "k", "pod", "sensitivity", "outbreaks"]]
    timely = ev.by_size[["method", "k", "timeliness", "delay", "outbreaks", "detected"]]
    calib = ev.calibration[["method", "alpha", "fpr", "fpr_min", "fpr_median", "fpr_max"]]
    frames = {"fig_pod_vs_fpr": pod_fpr, "fig_pod_by_size": pod_size, "fig_timeliness_by_size": timely,
              "fig_calibration": calib}
    if ev.tuned_overall is not None:
        columns = ["method", "pod", "fpr", "sensitivity", "alarms_per_year", "timeliness"]
        frames["fig_tuned"] = pd.concat([ev.overall[columns].assign(threshold="nominal alpha"),
                                         ev.tuned_overall[columns].assign(threshold="tuned")], ignore_index=True)
    return frames


def _by_size(frame: pd.DataFrame, metric: str, label: str, title: str) -> go.Figure:
    """One line per method: ``metric`` against the outbreak size k."""
    f = go.Figure()
    for method, rows in frame.groupby("method", observed=True, sort=False):
        f.add_trace(go.Scatter(x=rows["k"], y=rows[metric], mode="lines+markers", name=str(method)))
    f.update_layout(title=title, xaxis_title="k", yaxis_title=label, yaxis_range=[0, 1.02], template="plotly_white")
    return f


def _figures(ev: Evaluation, frames: dict[str, pd.DataFrame]) -> list[tuple[str, go.Figure]]:
    unit = "week" if ev.suite == "weekly" else "day"
    figs = []
    f = go.Figure()
    for method, rows in frames["fig_pod_vs_fpr"].groupby("method", observed=True, sort=False):
        f.add_trace(go.Scatter(x=rows["fpr"], y=rows["pod"], mode="markers", name=f"{method} (scenarios)",
                               text=rows["scenario"].astype(str) + ": " + rows["name"].astype(str),
                               hovertemplate="%{text}<br>FPR %{x:.4f}<br>POD %{y:.3f}<extra>" + method + "</extra>"))
    ov = ev.overall
    f.add_trace(go.Scatter(x=ov["fpr"], y=ov["pod"], mode="markers+text", text=ov["method"].astype(str),
                           textposition="top center", marker=dict(size=14, symbol="diamond", color="black"),
                           name="overall"))
    f.update_layout(title="POD against FPR, per scenario and overall", xaxis_title=f"false positive rate (per {unit})",
                    yaxis_title="probability of detection", yaxis_range=[0, 1.02], template="plotly_white")
    figs.append(("pod_vs_fpr", f))

    figs.append(("pod_by_size", _by_size(frames["fig_pod_by_size"], "pod", "probability of detection",
                                          "POD by outbreak size k (cases ~ Poisson(k × baseline sd))")))
    figs.append(("timeliness_by_size", _by_size(frames["fig_timeliness_by_size"], "timeliness", "timeliness",
                                                 "Timeliness by outbreak size (0 = alarm at the start, 1 = never)")))

    c = frames["fig_calibration"]
    f = go.Figure()
    f.add_trace(go.Bar(x=c["method"].astype(str), y=c["fpr"], name="realised FPR (pooled)",
                       error_y=dict(type="data", symmetric=False, array=c["fpr_max"] - c["fpr"],
                                    arrayminus=c["fpr"] - c["fpr_min"])))
    f.add_trace(go.Scatter(x=c["method"].astype(str), y=c["alpha"], mode="markers", name="nominal alpha",
                           marker=dict(symbol="line-ew-open", size=40, line=dict(width=3, color="firebrick"))))
    f.update_layout(title="Calibration: realised FPR (bars: range over scenarios) against nominal alpha",
                    yaxis_title="false positive rate", template="plotly_white")
    figs.append(("calibration", f))

    if "fig_tuned" in frames:
        f = go.Figure()
        for threshold, rows in frames["fig_tuned"].groupby("threshold", sort=False):
            f.add_trace(go.Bar(x=rows["method"].astype(str), y=rows["pod"], name=str(threshold),
                               customdata=rows[["alarms_per_year", "fpr"]].to_numpy(),
                               hovertemplate="POD %{y:.3f}<br>alarms/year %{customdata[0]:.2f}"
                                             "<br>FPR %{customdata[1]:.4f}<extra>%{x}</extra>"))
        f.update_layout(title=f"Detection at {ev.target_per_year:g} alarms per series-year "
                              f"(thresholds tuned per {ev.tune_by}) and at the nominal alpha",
                        barmode="group", yaxis_title="probability of detection", yaxis_range=[0, 1.02],
                        template="plotly_white")
        figs.append(("tuned", f))
    return figs


def write_report(ev: Evaluation, output_path) -> dict:
    """Write ``output_path`` (HTML) and ``<stem>_files/*.csv``; returns their paths."""
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    folder = output.with_name(f"{output.stem}_files")
    folder.mkdir(exist_ok=True)

    frames = figure_frames(ev)
    tables = {"overall": ev.overall, "by_scenario": ev.by_scenario, "by_size": ev.by_size,
              "calibration": ev.calibration, "scenarios": ev.scenarios, **frames}
    if ev.tuned_overall is not None:
        tables.update(tuned_overall=ev.tuned_overall, tuned_by_scenario=ev.tuned_by_scenario,
                      tuned_by_size=ev.tuned_by_size, thresholds=ev.thresholds)
    csvs = {}
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        csvs[name] = path

    metric_cols = [*METRIC_COLUMNS, "judged_share"]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>Detector evaluation: {ev.suite} suite</title><style>{CSS}</style></head><body>",
             f"<h1>Detector evaluation: {html.escape(ev.suite)} suite</h1>",
             f"<p class='note'>{len(ev.scenarios)} scenarios × {ev.reps} replicates, seed {ev.seed}; "
             f"methods {', '.join(map(html.escape, ev.methods))}. Metrics over the current period "
             f"(Noufaily et al. 2013). CSV files: <code>{html.escape(folder.name)}/</code>.</p>",
             "<details><summary>Definitions</summary><ul>"
             + "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in DEFINITIONS)
             + "</ul></details>",
             "<h2>Overall</h2>", _fmt(ev.overall[["method", *metric_cols, "outbreaks", "detected"]]),
             f"<p class='csv'>{html.escape(folder.name)}/overall.csv</p>"]
    include = True
    for name, fig in _figures(ev, frames):
        parts.append(f"<h2>{html.escape(fig.layout.title.text)}</h2>")
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=include, default_height=440))
        include = False
        parts.append(f"<p class='csv'>data: {html.escape(folder.name)}/fig_{name}.csv</p>")
    if ev.tuned_overall is not None:
        alphas = ev.thresholds.groupby("method", observed=True)["alpha"].describe(percentiles=[0.1, 0.5, 0.9])
        parts += [f"<h2>At {ev.target_per_year:g} alarms per series-year</h2>",
                  f"<p class='note'>Each method's threshold tuned per {html.escape(ev.tune_by)} so that "
                  f"{ev.target_per_year:g} alarms per series-year fall in the history before the current period "
                  "(all alarms counted, true or false, as on real data); the current period judged with it.</p>",
                  _fmt(ev.tuned_overall[["method", *metric_cols, "outbreaks", "detected"]]),
                  "<p class='note'>The alpha the tuned thresholds amount to (detectors with an alpha):</p>",
                  _fmt(alphas.reset_index()[["method", "count", "10%", "50%", "90%"]].dropna()),
                  "<h3>By outbreak size, tuned</h3>",
                  _fmt(ev.tuned_by_size[["method", "k", *metric_cols, "outbreaks"]])]
    parts += ["<h2>Calibration</h2>", _fmt(ev.calibration),
              "<h2>By outbreak size</h2>", _fmt(ev.by_size[["method", "k", *metric_cols, "outbreaks"]]),
              "<h2>By scenario</h2>",
              _fmt(ev.by_scenario[["method", "scenario", "name", *metric_cols]]),
              "<h2>Scenarios</h2>", _fmt(ev.scenarios),
              "<h2>Parameters used</h2><pre>" + html.escape(json.dumps(ev.params, indent=1, default=str)) + "</pre>",
              "<p class='note'>Detector seconds: " + html.escape(", ".join(
                  f"{m} {s:.1f}" for m, s in ev.seconds.items())) + "</p>",
              "</body></html>"]
    output.write_text("\n".join(parts), encoding="utf-8")
    return {"html": output, "csv": csvs}
