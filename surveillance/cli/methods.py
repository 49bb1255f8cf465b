"""Commands for methods on files: a detector over a CSV, a space-time scan, the evaluation suites."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SurveillanceError
from .common import app, parse_params


@app.command("detect-file")
def detect_file_command(
    input: Path = typer.Argument(..., help="Long CSV: series,date,count[,total]."),
    method: str = typer.Option(..., help="Registered detector name (see the README's detector table)."),
    param: list[str] = typer.Option([], help="Detector parameter as key=value; repeat for several."),
    freq: str = typer.Option("auto", help="auto, daily or weekly."),
    output: Path = typer.Option(..., "-o", "--output", help="Output CSV."),
):
    """Run one detector over a CSV; one output row per input row."""
    from ..detectors.files import detect_file

    if freq not in ("auto", "daily", "weekly"):
        raise SurveillanceError(f"unknown --freq {freq!r}; valid: auto, daily, weekly")
    result = detect_file(input, output, method, parse_params(param), freq=freq)
    alarms = int(result["alarm"].fillna(0).astype(bool).sum()) if "alarm" in result else 0
    typer.echo(f"{output}: {len(result):,} rows, {alarms:,} alarms ({method})")


@app.command()
def evaluate(
    suite: str = typer.Option(..., help="weekly (Noufaily et al. 2013, 42 scenarios) or daily (the demo generator's "
                                        "series with injected outbreaks, 9 scenarios)."),
    methods: str = typer.Option(..., help="Comma-separated registered detectors, e.g. farrington_flexible,bayes."),
    reps: int = typer.Option(100, min=1, help="Replicate series per scenario."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same series."),
    param: list[str] = typer.Option([], help="Detector parameter as key=value for every method that takes it, or "
                                             "method.key=value for one; repeat for several."),
    scenario: list[int] = typer.Option([], help="Scenario id to run (default: all); repeat for several."),
    target_rate: Optional[float] = typer.Option(None, help="Also judge with thresholds tuned to this many alarms per "
                                                           "series-year (12 = one a month)."),
    tune_by: str = typer.Option("series", help="Tune one threshold per series or per scenario (pooled)."),
    output: Path = typer.Option(..., "-o", "--output", help="HTML report; CSV files go to <name>_files/ beside it."),
):
    """Judge detectors on simulated series with known outbreaks: POD, false positive rate,
    sensitivity, specificity, timeliness, calibration; HTML report and CSV files."""
    from ..evaluation import evaluate_to_report

    params: dict = {}
    for key, value in parse_params(param).items():
        method, dot, name = key.rpartition(".")
        if dot:
            params.setdefault(method, {})[name] = value
        else:
            params[name] = value
    done = evaluate_to_report(suite, methods, reps, seed, output, params, scenarios=scenario or None,
                              target_per_year=target_rate, tune_by=tune_by)
    ev = done["evaluation"]
    table = done["overall"].set_index("method")
    typer.echo(f"{suite} suite, {len(ev.scenarios)} scenarios x {reps} replicates, seed {seed} "
               f"({done['seconds']:.0f} s)")
    typer.echo(table.to_string(float_format=lambda x: f"{x:.4f}"))
    if ev.tuned_overall is not None:
        typer.echo(f"at {ev.target_per_year:g} alarms per series-year (tuned per {ev.tune_by}):")
        typer.echo(ev.tuned_overall.set_index("method")[list(table.columns)].to_string(
            float_format=lambda x: f"{x:.4f}"))
    typer.echo(f"report {done['html']}, CSV files in {done['html'].with_name(done['html'].stem + '_files')}")


@app.command("scan-file")
def scan_file_command(
    counts: Path = typer.Argument(..., help="CSV: region,date,count[,expected][,syndrome][,age_group]."),
    regions: Path = typer.Option(..., help="CSV: region,lat,lon[,population]."),
    method: str = typer.Option(..., help="permutation or poisson."),
    param: list[str] = typer.Option([], help="Scan parameter as key=value; repeat for several."),
    output: Path = typer.Option(..., "-o", "--output", help="Output JSON."),
):
    """Space-time cluster scan over a counts CSV; writes the clusters as JSON."""
    from ..spatial import scan_file

    document = scan_file(counts, regions, output, method, parse_params(param))
    clusters = document.get("clusters", [])
    typer.echo(f"{output}: {len(clusters)} cluster(s) ({method})")
    for c in clusters[:5]:
        typer.echo(f"  #{c['rank']} {c['n_regions']} region(s) {c['start_date']}..{c['end_date']}: "
                   f"observed {c['observed']}, expected {c['expected']:.1f}, p={c['p_value']}")
