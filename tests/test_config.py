from pathlib import Path

import pytest
import tomli_w

from surveillance.config import load_config, parse_config, secret
from surveillance.errors import ConfigError

GOOD = """
[database]
path = "data/surveillance.duckdb"

[regions]
regions_file = "regions.csv"
units_file = "units.csv"

[[feeds]]
name = "clinics"
kind = "folder"
path = "drop"
encoding = "gb18030"
columns = { "日期" = "date", "机构编码" = "unit", "症状" = "syndrome", "就诊人数" = "count" }
syndrome_values = { "发热" = "fever" }

[[feeds]]
name = "platform"
kind = "http"
url = "http://127.0.0.1:9000/visits"
token_env = "PLATFORM_TOKEN"
"""


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    path = tmp_path / "surveillance.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.database.path == tmp_path / "data" / "surveillance.duckdb"
    assert config.feed("clinics").path == tmp_path / "drop"
    assert config.feed("clinics").columns["日期"] == "date"
    assert config.feed("platform").timeout_seconds == 30.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("[database]\npaht = 'x'\n", "database.paht: Extra inputs are not permitted"),
        ("[[feeds]]\nname = 'a'\nkind = 'ftp'\npath = 'x'\n", "feeds.0"),
        ("[[feeds]]\nname='a'\nkind='folder'\npath='x'\n[[feeds]]\nname='a'\nkind='folder'\npath='y'\n",
         "feed names must be unique; repeated: a"),
        ("[service]\nport = 70000\n", "service.port"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_unknown_feed_lists_the_configured_ones(tmp_path):
    config = parse_config({"feeds": [{"name": "a", "kind": "folder", "path": "x"}]}, Path(tmp_path))
    with pytest.raises(ConfigError, match="configured feeds: a"):
        config.feed("b")


def test_secrets_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD_FOR_TEST", "s3cret")
    assert secret("SMTP_PASSWORD_FOR_TEST") == "s3cret"
    assert secret(None) is None


@pytest.mark.parametrize("urls", [{}, {"url": "sqlite:///a.db", "url_env": "DB_URL"}])
def test_a_sql_feed_needs_exactly_one_of_url_and_url_env(tmp_path, urls):
    raw = {"feeds": [{"name": "his", "kind": "sql", "query": "SELECT 1", **urls}]}
    with pytest.raises(ConfigError, match="set exactly one of url and url_env"):
        parse_config(raw, Path(tmp_path))


@pytest.mark.parametrize(
    "detector, message",
    [
        ({"name": "ears_c9"}, "detection.detectors[1] (ears_c9): unknown detector 'ears_c9'; valid detectors: bayes, "),
        ({"name": "farrington_flexible", "params": {"n_periods": 0}},
         "detection.detectors[1] (farrington_flexible): parameter 'n_periods' must be an integer >= 1, got 0"),
        ({"name": "switch", "label": "sw", "params": {"alfa": 0.01}},
         "detection.detectors[1] (switch, label sw): unknown parameter 'alfa'; valid parameters: alpha, "),
        ({"name": "spacetime_poisson", "params": {"max_days": 0}},
         "detection.detectors[1] (spacetime_poisson): parameter 'max_days' must be an integer in [1, 365], got 0"),
        ({"name": "spacetime_permutation", "percent": True},
         "detection.detectors[1] (spacetime_permutation): percent = true is for temporal detectors"),
    ],
)
def test_detectors_and_their_parameters_are_checked_when_the_config_loads(tmp_path, detector, message):
    path = tmp_path / "surveillance.toml"
    path.write_text(tomli_w.dumps({"detection": {"detectors": [{"name": "switch"}, detector]}}), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).startswith(f"{path}: {message}") and "\n" not in str(refused.value)


def test_a_scan_reads_its_study_period_and_the_poisson_baseline_four_weeks_more(tmp_path):
    config = parse_config({"detection": {"detectors": [
        {"name": "spacetime_permutation", "params": {"study_days": 30}},
        {"name": "spacetime_poisson", "params": {"study_days": 30}},
        {"name": "spacetime_poisson", "label": "poisson_long", "history_days": 200},
    ]}}, Path(tmp_path))
    assert [d.history for d in config.detection.detectors] == [30, 58, 200]


def test_engine_defaults_to_local_with_the_dataset_beside_the_database(tmp_path):
    path = tmp_path / "surveillance.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.engine.kind == "local"
    assert config.engine.scheduler == "" and config.engine.workers == 2
    assert config.engine.dataset_for(config.database.path) == tmp_path / "data" / "surveillance.parquet"


def test_engine_dataset_resolves_against_the_config_folder(tmp_path):
    path = tmp_path / "surveillance.toml"
    path.write_text(GOOD + '\n[engine]\nkind = "dask"\nscheduler = "tcp://10.0.0.5:8786"\ndataset = "shared/export"\n',
                    encoding="utf-8")
    config = load_config(path)
    assert config.engine.kind == "dask" and config.engine.scheduler == "tcp://10.0.0.5:8786"
    assert config.engine.dataset_for(config.database.path) == tmp_path / "shared" / "export"


@pytest.mark.parametrize("section, message", [
    ({"kind": "spark"}, "engine.kind"),
    ({"workers": 0}, "engine.workers"),
    ({"scheduler": "10.0.0.5:8786"}, "engine.scheduler"),
    ({"threads": 4}, "engine.threads"),
])
def test_engine_refuses_unknown_kinds_keys_and_addresses(section, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"engine": section}, Path("."))
