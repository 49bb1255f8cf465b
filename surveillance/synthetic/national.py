"""A country of reporting facilities, for benchmarks at national scale.

The demo's national scale has each county report as one unit. Here ~31 provinces' counties hold
``n_facilities`` facilities (about 13 a county: China has some 40,000 township and community health
centres in about 3,000 counties), reporting by age group like the city-scale demo. The country is
simulated one province at a time, so memory stays that of one province's counts, and each delivery
day's file gathers every province's rows of that day, as one national feed would deliver them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv

from .geography import Geography, build_geography
from .simulate import DeliveryFile, delivery_table, simulate, write_outbreaks_file, write_reference_files

FACILITIES_PER_COUNTY = 13
MIN_COUNTIES = 62  # two per province, so that a province has counties to compare
N_PROVINCES = 31
COUNTIES_PER_CITY = 3_000 / 330  # as at the national scale


def national_facility_geography(n_facilities: int, seed: int = 0) -> Geography:
    """~31 provinces with ``n_facilities`` facilities (at least three a county on average) in up to 3,000 counties."""
    n_counties = int(np.clip(round(n_facilities / FACILITIES_PER_COUNTY), MIN_COUNTIES, 3_000))
    n_cities = max(N_PROVINCES, round(n_counties / COUNTIES_PER_CITY))
    return build_geography("national", seed=seed, n_counties=n_counties, n_cities=n_cities,
                           n_facilities=n_facilities, facility_units=True)


def province_part(geography: Geography, province: str) -> Geography:
    """The regions, units and neighbours of one province (codes start with its two digits)."""
    prefix = province[:2]
    regions = geography.regions[geography.regions["code"].str.startswith(prefix)].reset_index(drop=True)
    units = geography.units[geography.units["county"].str.startswith(prefix)].reset_index(drop=True)
    inside = geography.neighbours["region"].str.startswith(prefix) & geography.neighbours["neighbour"].str.startswith(prefix)
    return Geography(regions=regions, units=units, neighbours=geography.neighbours[inside].reset_index(drop=True),
                     outline=geography.outline, scale=geography.scale)


def write_national_files(geography: Geography, folder, start: date, end: date, *, seed: int = 0,
                         progress: Callable[[str], None] | None = None) -> list[DeliveryFile]:
    """Reference files, ``outbreaks.csv`` and ``drop/visits_YYYY-MM-DD.csv``, one per delivery day up to
    the morning after ``end`` (as :func:`surveillance.synthetic.simulate.write_demo_files` writes them),
    from a simulation of each province with its own random streams. Returns the files, oldest first."""
    folder = Path(folder)
    drop = folder / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    write_reference_files(geography, folder)
    through = pd.Timestamp(end) + pd.Timedelta(days=1)
    provinces = geography.regions.loc[geography.regions["level"] == "province", "code"].tolist()
    writers: dict[date, pa_csv.CSVWriter] = {}
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    outbreaks = []
    try:
        for number, province in enumerate(provinces):
            simulation = simulate(province_part(geography, province), start, end, seed=seed * 1_000 + number)
            part = simulation.outbreaks.copy()
            part["outbreak_id"] = province[:2] + "-" + part["outbreak_id"].astype(str)  # unique in the country
            outbreaks.append(part)
            deliveries = simulation.deliveries
            table, days = delivery_table(deliveries[deliveries["delivered_on"] <= through])
            boundaries = np.flatnonzero(np.r_[True, days[1:] != days[:-1], True])  # sorted by delivery day
            for begin, stop in zip(boundaries[:-1], boundaries[1:]):
                day = pd.Timestamp(days[begin]).date()
                if day not in writers:
                    writers[day] = pa_csv.CSVWriter(drop / f".visits_{day.isoformat()}.csv.partial", table.schema,
                                                    write_options=options)
                writers[day].write_table(table.slice(begin, stop - begin))
            if progress:
                progress(f"province {province}: {len(table):,} rows")
    finally:
        for writer in writers.values():
            writer.close()
    write_outbreaks_file(pd.concat(outbreaks, ignore_index=True), folder)
    files = []
    for day in sorted(writers):  # renamed when complete, so a watcher never sees half a file
        path = drop / f"visits_{day.isoformat()}.csv"
        (drop / f".{path.name}.partial").replace(path)
        files.append(DeliveryFile(path, day))
    return files
