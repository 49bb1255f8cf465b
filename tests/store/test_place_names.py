"""Places named in English and Chinese: the files' columns (and the old ``name`` alone), the stored tables, a
store made before there were two names, and the one rule that picks a name in a language."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest

from surveillance.alerts.apply import apply_signals
from surveillance.errors import SurveillanceError
from surveillance.regions import Hierarchy, with_names
from surveillance.store import open_store
from surveillance.store.migrate import available_migrations
from surveillance.store.reference import hierarchy, load_reference, read_regions_file, read_units_file
from surveillance.synthetic.geography import build_geography
from surveillance.vocabulary import place_name

from ..alerts.test_episodes import frame, sig
from ..conftest import small_regions, small_units

REGIONS = """code,name_en,name_zh,level,parent
320000,Jiangnan Province,江南省,province,
320100,Lincheng City,,city,320000
320102,,东城区,county,320100
"""
UNITS = """code,name_en,name_zh,county
F320102001,Dongcheng People's Hospital,东城区人民医院,320102
F320102002,,,320102
"""


def test_a_name_in_a_language_falls_back_to_the_other_then_the_code():
    assert place_name("320102", "Dongcheng District", "东城区", "zh") == "东城区"
    assert place_name("320102", "Dongcheng District", "东城区", "en") == "Dongcheng District"
    assert place_name("320102", "Dongcheng District", None, "zh") == "Dongcheng District"
    assert place_name("320102", None, " 东城区 ", "en") == "东城区"
    assert place_name("320102", "", float("nan"), "zh") == "320102"


def test_the_files_name_each_place_in_both_languages(tmp_path):
    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    tree = Hierarchy(read_regions_file(tmp_path / "regions.csv"), read_units_file(tmp_path / "units.csv"))
    assert tree.names("zh") == {"320000": "江南省", "320100": "Lincheng City", "320102": "东城区",
                                "F320102001": "东城区人民医院", "F320102002": "F320102002"}
    assert tree.names("en")["320102"] == "东城区" and tree.names("en")["320000"] == "Jiangnan Province"
    assert tree.names()["320100"] == "Lincheng City"  # `name`: English first


def test_a_name_column_alone_is_the_english_name(tmp_path):
    (tmp_path / "regions.csv").write_text("code,name,level,parent\n320000,Jiangnan Province,province,\n",
                                          encoding="utf-8")
    regions = read_regions_file(tmp_path / "regions.csv")
    assert regions.loc[0, "name_en"] == "Jiangnan Province" and regions.loc[0, "name_zh"] is None
    both = with_names(pd.DataFrame({"code": ["1"], "name": ["Old"], "name_en": ["New"], "name_zh": ["新"]}))
    assert both.loc[0, "name"] == "New"  # with name_en present, it wins


def test_a_file_without_any_name_is_refused(tmp_path):
    (tmp_path / "regions.csv").write_text("code,level,parent\n320000,province,\n", encoding="utf-8")
    with pytest.raises(SurveillanceError, match="name or name_en or name_zh"):
        read_regions_file(tmp_path / "regions.csv")


def test_both_names_are_stored(tmp_path, store):
    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    load_reference(store, read_regions_file(tmp_path / "regions.csv"), read_units_file(tmp_path / "units.csv"))
    rows = store.cursor().execute("SELECT code, name, name_en, name_zh FROM regions ORDER BY code").fetchall()
    assert rows == [("320000", "Jiangnan Province", "Jiangnan Province", "江南省"),
                    ("320100", "Lincheng City", "Lincheng City", None), ("320102", "东城区", None, "东城区")]
    assert hierarchy(store.cursor()).names("zh")["F320102001"] == "东城区人民医院"


def test_a_store_from_before_keeps_its_names_as_english(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMP NOT NULL)")
    for version, name, sql in available_migrations():
        if version < 60:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute("INSERT INTO regions (code, name, level) VALUES ('320000', 'Jiangnan Province', 'province')")
    con.close()
    with open_store(path) as store:
        row = store.cursor().execute("SELECT name, name_en, name_zh FROM regions").fetchone()
        assert row == ("Jiangnan Province", "Jiangnan Province", None)
        assert hierarchy(store.cursor()).names("zh") == {"320000": "Jiangnan Province"}


def test_the_demo_names_every_place_in_chinese_the_same_for_the_same_seed():
    city = build_geography("city", seed=3)
    again = build_geography("city", seed=3)
    assert city.regions["name_zh"].notna().all() and city.units["name_zh"].notna().all()
    assert city.regions["name_zh"].is_unique and city.units["name_zh"].is_unique
    assert city.regions["name_zh"].tolist() == again.regions["name_zh"].tolist()
    suffix = {"province": "省", "city": "市"}
    for r in city.regions.itertuples():
        assert r.name_zh.endswith(suffix.get(r.level, "区" if r.name_en.endswith("District") else "县"))
    kinds = dict(zip(city.units["name_zh"], city.units["kind"]))
    assert any(n.endswith("人民医院") and k == "hospital" for n, k in kinds.items())
    assert any(n.endswith(("镇卫生院", "社区卫生服务中心")) for n in kinds)
    national = build_geography("national", seed=0, n_counties=120, n_cities=12)
    assert national.units["name_zh"].notna().all() and national.regions["name_zh"].str.endswith("省").any()


def test_the_alerts_command_names_the_region_in_the_language_asked(tmp_path):
    regions = small_regions().assign(name_zh=["江南省", "临城市", "东城区", "西城区"])
    with open_store(tmp_path / "surveillance.duckdb") as store:
        load_reference(store, regions, small_units())
        with store.transaction() as cur:
            apply_signals(cur, frame(sig(date(2026, 3, 1))), today=date(2026, 3, 1), gap_days=2, quiet_days=7,
                          notify_since=None)
    config = tmp_path / "surveillance.toml"
    config.write_text("[database]\npath = \"surveillance.duckdb\"\nsnapshot_path = \"snap.duckdb\"\n", encoding="utf-8")

    def listed(*extra):
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "alerts", "--config", str(config), *extra],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "320102" in listed() and "Dongcheng District" in listed()
    chinese = listed("--language", "zh")
    assert "东城区" in chinese and "Dongcheng" not in chinese
