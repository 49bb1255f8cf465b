"""The feeds' settings (drop folder, HTTP, SQL, FHIR), and the strict base every section of the
config file is built on (see :mod:`surveillance.config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedBase(Settings):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    enabled: bool = True
    # Source column name -> canonical name (date, unit, syndrome, age_group, count, total).
    columns: dict[str, str] = Field(default_factory=dict)
    # Source value -> canonical syndrome code, e.g. {"发热" = "fever"}.
    syndrome_values: dict[str, str] = Field(default_factory=dict)
    # Source value -> canonical age group, e.g. {"0-4岁" = "0-4", "65岁及以上" = "65+"}.
    age_group_values: dict[str, str] = Field(default_factory=dict)
    # Age group for rows without one (a blank or "NA" value). Unset: such rows are refused, and a
    # file without an age_group column is all ages ("all").
    default_age_group: str | None = None


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
