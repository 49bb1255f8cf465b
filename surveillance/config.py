"""Typed settings from one TOML file; secrets from environment variables.

Unknown keys are errors (a misspelt key silently ignored is a setting silently lost).
Relative paths are resolved against the directory of the config file, so a config can
travel with its database and drop folder.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .codes import AGE_GROUPS, SYNDROMES
from .errors import ConfigError


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(Settings):
    path: Path = Path("surveillance.duckdb")
    # Read-only copy for notebooks, refreshed by the service after each cycle.
    snapshot_path: Path | None = None
    # Memory cap for DuckDB, e.g. "4GB"; None leaves DuckDB's default (80% of RAM).
    memory_limit: str | None = None


class RegionsConfig(Settings):
    """Reference files loaded (upserted) on every start."""

    regions_file: Path | None = None  # CSV: code,name,level,parent,population,lat,lon
    units_file: Path | None = None  # CSV: code,name,county,kind,lat,lon
    boundaries_file: Path | None = None  # GeoJSON FeatureCollection, properties.code
    neighbours_file: Path | None = None  # CSV: region,neighbour


class FeedBase(Settings):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    enabled: bool = True
    # Source column name -> canonical name (date, unit, syndrome, age_group, count, total).
    columns: dict[str, str] = Field(default_factory=dict)
    # Source value -> canonical syndrome code, e.g. {"发热" = "fever"}.
    syndrome_values: dict[str, str] = Field(default_factory=dict)
    # Source value -> canonical age group, e.g. {"0-4岁" = "0-4", "65岁及以上" = "65+"}.
    age_group_values: dict[str, str] = Field(default_factory=dict)
    # Age group for rows whose feed has no age_group column.
    default_age_group: str = "all"


class FolderFeed(FeedBase):
    kind: Literal["folder"]
    path: Path
    patterns: list[str] = Field(default_factory=lambda: ["*.csv", "*.parquet", "*.jsonl", "*.ndjson"])
    encoding: Literal["utf-8", "gb18030", "gbk"] = "utf-8"
    delimiter: str = ","
    archive_dir: Path | None = None  # default: <path>/archive
    failed_dir: Path | None = None  # default: <path>/failed


class HttpFeed(FeedBase):
    kind: Literal["http"]
    url: str
    # Incremental pulls: "cursor" follows the API's next-cursor; "modified_since" sends the
    # newest modification time of the last good pull.
    incremental: Literal["cursor", "modified_since", "none"] = "cursor"
    cursor_param: str = "cursor"
    since_param: str = "modified_since"
    records_field: str = "data"
    next_cursor_field: str = "next_cursor"
    modified_field: str = "modified"
    page_size: int = Field(default=1000, gt=0)
    page_size_param: str = "limit"
    max_pages: int = Field(default=10_000, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff_seconds: float = Field(default=1.0, ge=0)
    headers: dict[str, str] = Field(default_factory=dict)
    # Name of an environment variable holding a bearer token, never the token itself.
    token_env: str | None = None


class SqlFeed(FeedBase):
    kind: Literal["sql"]
    url: str | None = None  # SQLAlchemy URL without a password
    url_env: str | None = None  # or: environment variable holding the URL (with its password)
    query: str
    incremental_column: str | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)
    chunk_rows: int = Field(default=50_000, gt=0)

    @model_validator(mode="after")
    def _one_url(self) -> "SqlFeed":
        if (self.url is None) == (self.url_env is None):
            raise ValueError("set exactly one of url and url_env")
        return self


class FhirFeed(FeedBase):
    kind: Literal["fhir"]
    # A folder of MeasureReport / Bundle JSON files, processed like a drop folder.
    path: Path
    patterns: list[str] = Field(default_factory=lambda: ["*.json"])
    archive_dir: Path | None = None
    failed_dir: Path | None = None


Feed = Annotated[Union[FolderFeed, HttpFeed, SqlFeed, FhirFeed], Field(discriminator="kind")]


class ServiceConfig(Settings):
    host: str = "127.0.0.1"
    port: int = Field(default=8050, gt=0, lt=65536)
    base_url: str = "http://127.0.0.1:8050"
    threads: int = Field(default=8, gt=0)
    session_key_env: str = "SURVEILLANCE_SESSION_KEY"


class ScheduleConfig(Settings):
    # Pull every feed this often; run detection once a day at this local time.
    ingest_every_minutes: int = Field(default=60, gt=0)
    detect_at: str = Field(default="06:30", pattern=r"^\d{2}:\d{2}$")
    timezone: str = "Asia/Shanghai"


class Config(Settings):
    database: DatabaseConfig = DatabaseConfig()
    regions: RegionsConfig = RegionsConfig()
    feeds: list[Feed] = Field(default_factory=list)
    service: ServiceConfig = ServiceConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    syndromes: list[str] = Field(default_factory=lambda: list(SYNDROMES))
    age_groups: list[str] = Field(default_factory=lambda: list(AGE_GROUPS))
    # Folder the config was read from; relative paths were resolved against it.
    base_dir: Path = Path(".")

    @field_validator("feeds")
    @classmethod
    def _unique_feed_names(cls, feeds: list) -> list:
        names = [f.name for f in feeds]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"feed names must be unique; repeated: {', '.join(duplicated)}")
        return feeds

    def feed(self, name: str):
        for f in self.feeds:
            if f.name == name:
                return f
        valid = ", ".join(f.name for f in self.feeds) or "(none configured)"
        raise ConfigError(f"unknown feed {name!r}; configured feeds: {valid}")


def _resolve_paths(raw: dict, base: Path) -> dict:
    """Make the relative paths of a raw config absolute, against the config's folder."""

    def fix(section: dict, keys: tuple[str, ...]) -> None:
        for key in keys:
            value = section.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                section[key] = str(base / value)

    fix(raw.setdefault("database", {}), ("path", "snapshot_path"))
    fix(raw.setdefault("regions", {}), ("regions_file", "units_file", "boundaries_file", "neighbours_file"))
    for feed in raw.get("feeds", []):
        if isinstance(feed, dict):
            fix(feed, ("path", "archive_dir", "failed_dir"))
    return raw


def parse_config(raw: dict, base_dir: Path, source: str = "config") -> Config:
    raw = _resolve_paths(copy.deepcopy(raw), base_dir)
    raw["base_dir"] = str(base_dir)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {where}: {first['msg']}{more}") from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path.resolve().parent, source=str(path))


def secret(env_var: str | None) -> str | None:
    """A secret's value from the environment; secrets never live in the config file."""
    if not env_var:
        return None
    return os.environ.get(env_var)
