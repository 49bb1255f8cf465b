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
    suite: str = typer.Option(..., help="weekly (Noufaily et al. 2013, 42 scenarios), daily (the demo generator's "
                                        "series with injected outbreaks, 9 scenarios), province (the configured "
                                        "detection backfilled over demo provinces: the alerts teams would answer) "
                                        "or store (the same on a copy of a real store, against its confirmed "
                                        "outbreaks)."),
    methods: Optional[str] = typer.Option(None, help="weekly, daily: comma-separated registered detectors, e.g. "
                                                     "farrington_flexible,bayes."),
    reps: int = typer.Option(100, min=1, help="Replicate series per scenario."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same series."),
    param: list[str] = typer.Option([], help="Detector parameter as key=value for every method that takes it, or "
                                             "method.key=value for one; repeat for several."),
    scenario: list[int] = typer.Option([], help="Scenario id to run (default: all); repeat for several."),
    target_rate: Optional[float] = typer.Option(None, help="Also judge with thresholds tuned to this many alarms per "
                                                           "series-year (12 = one a month)."),
    tune_by: str = typer.Option("series", help="Tune one threshold per series or per scenario (pooled)."),
    seeds: str = typer.Option("0,2,4", help="province: comma-separated demo seeds."),
    days: int = typer.Option(365, min=8, help="province, store: days backfilled (the first week is not counted)."),
    jobs: int = typer.Option(1, min=1, help="province: seeds judged side by side (one process each)."),
    workdir: Optional[Path] = typer.Option(None, help="province, store: folder for the demos or the copy "
                                                      "(default: a temporary one, removed afterwards)."),
    config: Optional[Path] = typer.Option(None, help="province: judge with this file's [detection] and [alerts] "
                                                     "(default: the shipped defaults); store: the store's config."),
    output: Path = typer.Option(..., "-o", "--output", help="weekly, daily: HTML report, CSV files in "
                                                            "<name>_files/ beside it; province, store: JSON, "
                                                            "and the table as <name>.csv."),
):
    """Judge detectors on simulated series with known outbreaks (POD, false positive rate, sensitivity,
    specificity, timeliness, calibration; HTML report and CSV files), or the configured detection on
    whole provinces (alerts per county-week, outbreaks alerted, delay, alerts matching an outbreak)."""
    if suite in ("province", "store"):
        _evaluate_operations(suite, seeds, days, jobs, workdir, config, output)
        return
    if not methods:
        raise SurveillanceError(f"--methods is needed for the {suite} suite, e.g. --methods farrington_flexible")
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


def _evaluate_operations(suite: str, seeds: str, days: int, jobs: int, workdir: Optional[Path],
                         config: Optional[Path], output: Path) -> None:
    import json
    import shutil
    import tempfile

    from ..service.province_suite import evaluate_province, evaluate_store, figures_table, judged_sections

    try:
        seed_list = [int(s) for s in seeds.replace(" ", "").split(",") if s]
    except ValueError:
        raise SurveillanceError(f"--seeds {seeds!r}: give whole numbers separated by commas, e.g. 0,2,4") from None
    if suite == "store" and config is None:
        raise SurveillanceError("--config is needed for the store suite: the configuration of the store to judge")
    folder = workdir or Path(tempfile.mkdtemp(prefix="surveillance-evaluate-"))
    try:
        if suite == "store":
            result = evaluate_store(config, folder, days=days)
        else:
            result = evaluate_province(seed_list, folder, days=days, sections=judged_sections(config), jobs=jobs)
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    table = figures_table(result)
    table.to_csv(output.with_suffix(".csv"), index=False)
    typer.echo(table.set_index("run").to_string(float_format=lambda x: f"{x:.3f}"))
    typer.echo(f"figures {output}, table {output.with_suffix('.csv')}")


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
