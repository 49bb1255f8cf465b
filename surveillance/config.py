"""Typed settings from one TOML file; secrets from environment variables.

Unknown keys are errors (a misspelt key silently ignored is a setting silently lost), and so
are unknown detectors and detector parameters, checked against the detector registry.
Relative paths are resolved against the directory of the config file, so a config can
travel with its database and drop folder.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, SurveillanceError
# The feeds' settings live beside; they are part of this module's interface.
from .feed_settings import Feed, FeedBase, FhirFeed, FolderFeed, HttpFeed, Settings, SqlFeed  # noqa: F401
from .vocabulary import AGE_GROUPS, SYNDROMES, Language, severity_rank


def _repeated(names: list[str]) -> list[str]:
    """Names that occur more than once, sorted: for "must be unique" messages."""
    return sorted({n for n in names if names.count(n) > 1})


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


class ServiceConfig(Settings):
    host: str = "127.0.0.1"
    port: int = Field(default=8050, gt=0, lt=65536)
    base_url: str = "http://127.0.0.1:8050"
    threads: int = Field(default=8, gt=0)
    session_key_env: str = "SURVEILLANCE_SESSION_KEY"
    # Served over HTTPS (directly or behind a proxy): cookies are sent only over HTTPS, and browsers are
    # told to keep to HTTPS (Strict-Transport-Security). A base_url starting with https:// implies it.
    https: bool = False

    @property
    def secure(self) -> bool:
        return self.https or self.base_url.startswith("https://")


class ScheduleConfig(Settings):
    # Pull every feed this often; run detection once a day at this local time.
    ingest_every_minutes: int = Field(default=60, gt=0)
    detect_at: str = Field(default="06:30", pattern=r"^\d{2}:\d{2}$")
    timezone: str = "Asia/Shanghai"


class EngineConfig(Settings):
    """Where the detect job judges its days (surveillance.engine): ``local``, in the job's own process, or
    ``dask``, one task per province on a Dask cluster reading a Parquet export of the store (the store stays
    the one writer)."""

    kind: Literal["local", "dask"] = "local"
    # The cluster's scheduler, e.g. tcp://10.0.0.5:8786; empty: the job starts a local cluster of its own.
    scheduler: str = Field(default="", pattern=r"^(|(tcp|tls|inproc|ucx)://\S+)$")
    workers: int = Field(default=2, gt=0, le=256)  # worker processes of that local cluster (one thread each)
    # The Parquet export the workers read; default: <database stem>.parquet beside the database.
    dataset: Path | None = None

    def dataset_for(self, database: Path) -> Path:
        """The export folder for the store at ``database``."""
        return self.dataset or database.with_name(database.stem + ".parquet")


# --- detection, alerts, data quality, email --------------------------------------------

class SeverityConfig(Settings):
    red: float = Field(default=0.01, gt=0, lt=1)  # p below this: red
    yellow: float = Field(default=0.05, gt=0, lt=1)  # p below this: yellow

    @model_validator(mode="after")
    def _ordered(self) -> "SeverityConfig":
        if not self.red < self.yellow:
            raise ValueError(f"red ({self.red}) must be below yellow ({self.yellow})")
        return self


class BudgetConfig(Settings):
    """The alarm budget (see surveillance.alerts.budget): alerts from noise alone a team answers per county
    (with its facilities; cities and provinces count on their own) per quarter; 0 turns it off. The
    default, one per county every half year, leaves a real outbreak at least one alert in five on the demo
    province (README, "The alert workload")."""

    noise_alerts_per_quarter: float = Field(default=0.5, ge=0)
    red_share: float = Field(default=0.2, gt=0, le=1)  # red at this share of the yellow q-value level
    # Learn the level from history (see surveillance.service.thresholds), again every relearn_days.
    learn: bool = True
    history_days: int = Field(default=365, ge=28)
    relearn_days: int = Field(default=28, gt=0)


class DelayConfig(Settings):
    """Delay-aware newest days (surveillance.nowcast, surveillance.service.delays): count detectors judge
    each day's count against their expectation scaled by the share of a day's final count usually known by
    then, learnt by the chain ladder from each county's revision history; false: counts as they are."""

    adjust: bool = True
    max_days: int = Field(default=7, ge=1, le=60)  # delays at or beyond this are final
    training_days: int = Field(default=56, ge=7, le=730)  # data days whose revisions teach the delay
    by_syndrome: bool = False  # one delay per county and syndrome instead of per county
    # A day of which less than this share is usually known by now is "provisional: data still arriving".
    provisional_below: float = Field(default=0.95, gt=0, le=1)


class DetectorSpec(Settings):
    """One configured detector: which method, with which parameters, over which series."""

    name: str  # a registered detector (surveillance.detectors.available()), temporal or a space-time scan
    label: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.%-]+$")  # id in signals; default derived
    params: dict[str, Any] = Field(default_factory=dict)
    levels: list[Literal["province", "city", "county", "facility"]] = Field(default_factory=lambda: ["county"])
    syndromes: list[str] | None = None  # None: every configured syndrome
    age_groups: list[str] = Field(default_factory=lambda: ["all"])  # "all" sums the ages
    freq: Literal["daily", "weekly"] = "daily"
    percent: bool = False  # judge percent of all visits (100 * count / total) instead of counts
    history_days: int | None = Field(default=None, gt=0)  # days read before the judged day
    # This detector's own p-value thresholds for yellow and red (default: detection.severity),
    # e.g. as `surveillance tune` recommends for a target alarm rate.
    severity: SeverityConfig | None = None

    @property
    def id(self) -> str:
        if self.label:
            return self.label
        return self.name + ("_percent" if self.percent else "")

    @property
    def history(self) -> int:
        if self.history_days:
            return self.history_days
        from .detectors import get

        detector = get(self.name)
        if detector.history_days is not None:  # the scans: their study period (and baseline)
            return detector.history_days(detector.schema.validate(self.params))
        return 6 * 366 if self.freq == "weekly" else 120


# R's improved Farrington (Noufaily et al. 2013) with the trend threshold R's documentation advises.
NOUFAILY_IMPROVED = {"trend_p_threshold": 1.0, "n_periods": 10, "past_weeks_excluded": 26, "threshold": "nbplugin"}


def default_detectors() -> list[DetectorSpec]:
    """Regional excess on daily counts of every syndrome, all ages and each age group: each facility
    against the other facilities of its county, so a season that lifts the whole county raises nothing,
    and a school, a childcare centre or a point source in one clinic stands out. Counties are not
    compared with each other by default: their seasons differ in strength and timing (a county whose
    hand-foot-mouth season is stronger rises in share every spring), and on the demo province that
    comparison raised half the alerts of a year and found one outbreak in seven (README, "The alert
    workload"). The improved Farrington and the space-time scans are available (``surveillance
    methods``) but off: they called the winter wave travelling across the province an outbreak 50 times
    a year."""
    return [
        DetectorSpec(name="regional_excess", levels=["facility"],
                     age_groups=["all", "0-4", "5-14", "15-64", "65+"], history_days=60),
    ]


class DetectionConfig(Settings):
    detectors: list[DetectorSpec] = Field(default_factory=default_detectors)
    severity: SeverityConfig = SeverityConfig()
    budget: BudgetConfig = BudgetConfig()
    delay: DelayConfig = DelayConfig()
    # The first run judges this many days back; later runs judge the days since the last one.
    initial_days: int = Field(default=7, gt=0, le=366)
    # Days judged on incomplete or provisional data are judged again, with the data known now, for this
    # many days.
    recheck_days: int = Field(default=3, ge=0, le=60)

    def severity_for(self, spec: DetectorSpec) -> SeverityConfig:
        """The p-value thresholds of ``spec``'s signals: its own, or the detection-wide ones."""
        return spec.severity or self.severity

    @field_validator("detectors")
    @classmethod
    def _unique_labels(cls, detectors: list) -> list:
        duplicated = _repeated([d.id for d in detectors])
        if duplicated:
            raise ValueError(f"detector labels must be unique (set `label`); repeated: {', '.join(duplicated)}")
        return detectors


class AlertsConfig(Settings):
    # Signals at most gap_days apart (periods, for weekly series) extend the same episode.
    gap_days: int = Field(default=2, ge=0)
    # An episode without a signal for quiet_days ends; a later signal opens a new one.
    quiet_days: int = Field(default=7, gt=0)
    # Episodes opened or escalated on days older than this are not emailed (backfills, catch-up).
    notify_within_days: int = Field(default=7, gt=0)
    # One alert per event: an outbreak episode gathers a region's signals of related syndromes (fever,
    # ILI and ARI), of every age group and every detector; false: one episode per series.
    by_event: bool = True

    @model_validator(mode="after")
    def _quiet_after_gap(self) -> "AlertsConfig":
        if self.quiet_days < self.gap_days:
            raise ValueError(f"quiet_days ({self.quiet_days}) must be at least gap_days ({self.gap_days})")
        return self


class QualityConfig(Settings):
    min_completeness: float = Field(default=0.8, ge=0, le=1)  # below: the signal is on "incomplete data"
    usual_window_days: int = Field(default=28, gt=0)  # a unit "usually reports" if it reported on
    usual_share: float = Field(default=0.5, gt=0, le=1)  # at least this share of the window's days
    daily_share: float = Field(default=0.9, gt=0, le=1)  # a unit or feed "reports daily" above this share
    silent_days: int = Field(default=2, gt=0)  # a daily reporter silent this many days: an outage
    visits_drop: float = Field(default=0.5, gt=0, lt=1)  # visits below this share of the usual: an outage
    holiday_country: str | None = "CN"  # no visits_drop on this country's public holidays (None: every day)
    # Silent units are an alert only when together they usually bring this share of their county's visits.
    silent_alert_share: float = Field(default=0.1, ge=0, le=1)


class SmtpConfig(Settings):
    host: str = "127.0.0.1"  # SURVEILLANCE_SMTP_HOST overrides
    port: int = Field(default=587, gt=0, lt=65536)  # SURVEILLANCE_SMTP_PORT overrides
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None  # login name; no login without it
    password_env: str = "SURVEILLANCE_SMTP_PASSWORD"  # the password comes from this environment variable
    sender: str = "surveillance@localhost"
    timeout_seconds: float = Field(default=30.0, gt=0)  # each message's whole exchange; the connection's too
    ca_file: Path | None = None  # trust this certificate (authority) instead of the system's, e.g. a private CA


class EmailConfig(Settings):
    enabled: bool = True
    max_attempts: int = Field(default=8, gt=0)  # a message that failed this often (refused, deferred, timed out) is failed
    backoff_seconds: float = Field(default=60.0, ge=0)  # first retry after this; doubles each time
    max_backoff_seconds: float = Field(default=3600.0, ge=0)
    retry_every_minutes: int = Field(default=5, gt=0)  # the service's delivery retries
    digest_at: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")  # daily digest time (service)


class PrivacyConfig(Settings):
    """Small-cell suppression (surveillance.privacy): counts from 1 to ``min_cell - 1`` are not shown to
    readers without exact counts, nor the counts that would give them away by subtraction from a total.
    Detection always judges exact counts. One small model, so that later keys sit beside these."""

    min_cell: int = Field(default=5, ge=1, le=1000)  # 1: nothing is suppressed
    # The roles that see exact counts; every other role, and email subscriptions without exact_counts, see
    # small counts suppressed.
    exact_roles: list[Literal["viewer", "epidemiologist", "admin"]] = Field(
        default_factory=lambda: ["epidemiologist", "admin"])


class Subscription(Settings):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = None
    region: str | None = None  # a region code: its whole subtree; None: everywhere
    syndromes: list[str] | None = None  # None: every syndrome
    min_severity: Literal["yellow", "red"] = "yellow"
    language: Language = "en"
    outbreaks: bool = True  # outbreak and cluster alerts
    data_quality: bool = False  # data-quality alerts (feed outages), for administrators
    digest: bool = False  # also a daily digest of the open alerts
    # The recipients see exact counts (a team entitled to them, as epidemiologists are); by default they are
    # treated as viewers and small counts are suppressed (privacy.min_cell).
    exact_counts: bool = False
    # "weekly": the weekly situation report of the subscription's region, in its language, emailed every
    # Monday for the week just ended (a PDF attached; HTML when no PDF can be printed).
    report: Literal["weekly"] | None = None

    @property
    def min_rank(self) -> int:
        return severity_rank(self.min_severity)


# The Cybersecurity Law asks for logs kept at least six months: the trail is never pruned sooner.
MIN_AUDIT_KEEP_DAYS = 180


class AuditConfig(Settings):
    """The audit trail's retention, and the data classification label (the Data Security Law's grading)
    printed on every page footer, export, report and email."""

    keep_days: int = Field(default=MIN_AUDIT_KEEP_DAYS, ge=MIN_AUDIT_KEEP_DAYS, le=36600)
    classification: str = Field(default="内部", min_length=1, max_length=40)

    @field_validator("classification")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c in value for c in "\r\n\t"):
            raise ValueError("the classification label must be one line of text, e.g. 内部 or 敏感")
        return value


class Config(Settings):
    database: DatabaseConfig = DatabaseConfig()
    regions: RegionsConfig = RegionsConfig()
    feeds: list[Feed] = Field(default_factory=list)
    service: ServiceConfig = ServiceConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    detection: DetectionConfig = DetectionConfig()
    alerts: AlertsConfig = AlertsConfig()
    quality: QualityConfig = QualityConfig()
    smtp: SmtpConfig = SmtpConfig()
    email: EmailConfig = EmailConfig()
    subscriptions: list[Subscription] = Field(default_factory=list)
    privacy: PrivacyConfig = PrivacyConfig()
    audit: AuditConfig = AuditConfig()
    engine: EngineConfig = EngineConfig()
    syndromes: list[str] = Field(default_factory=lambda: list(SYNDROMES))
    age_groups: list[str] = Field(default_factory=lambda: list(AGE_GROUPS))
    # Folder the config was read from; relative paths were resolved against it.
    base_dir: Path = Path(".")

    @field_validator("feeds")
    @classmethod
    def _unique_feed_names(cls, feeds: list) -> list:
        duplicated = _repeated([f.name for f in feeds])
        if duplicated:
            raise ValueError(f"feed names must be unique; repeated: {', '.join(duplicated)}")
        return feeds

    @model_validator(mode="after")
    def _known_syndromes(self) -> "Config":
        known = set(self.syndromes)
        for where, items in (("detection.detectors", self.detection.detectors), ("subscriptions", self.subscriptions)):
            for i, item in enumerate(items):
                unknown = sorted(set(item.syndromes or ()) - known)
                if unknown:
                    raise ValueError(f"{where}[{i}]: unknown syndrome(s) {', '.join(unknown)}; "
                                     f"configured syndromes: {', '.join(self.syndromes)}")
        ages = set(self.age_groups) | {"all"}
        for i, spec in enumerate(self.detection.detectors):
            unknown = sorted(set(spec.age_groups) - ages)
            if unknown:
                raise ValueError(f"detection.detectors[{i}]: unknown age group(s) {', '.join(unknown)}; "
                                 f"configured: {', '.join(self.age_groups)}")
        return self

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
    if isinstance(raw.get("engine"), dict):
        fix(raw["engine"], ("dataset",))
    if isinstance(raw.get("smtp"), dict):
        fix(raw["smtp"], ("ca_file",))
    for feed in raw.get("feeds", []):
        if isinstance(feed, dict):
            fix(feed, ("path", "archive_dir", "failed_dir"))
    return raw


def parse_config(raw: dict, base_dir: Path, source: str = "config") -> Config:
    raw = _resolve_paths(copy.deepcopy(raw), base_dir)
    raw["base_dir"] = str(base_dir)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {where}: {first['msg']}{more}") from None
    check_detectors(config, source)
    return config


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path.resolve().parent, source=str(path))


def check_detectors(config: Config, source: str = "config") -> None:
    """Every configured detector must be registered and its parameters valid for it.

    The first bad entry refuses the config with one line naming it and the parameter, e.g.
    ``surveillance.toml: detection.detectors[2] (farrington_flexible): parameter 'alpha' must be a
    number in (0, 1), got 2``; an unknown name lists the valid ones. ``parse_config`` (so
    ``load_config``) checks this, and the detect job again for configs built in code.
    """
    from .detectors import get

    for i, spec in enumerate(config.detection.detectors):
        where = f"{source}: detection.detectors[{i}] ({spec.name}{f', label {spec.label}' if spec.label else ''})"
        try:
            detector = get(spec.name)
            detector.schema.validate(spec.params)
        except SurveillanceError as exc:
            raise ConfigError(f"{where}: {str(exc).removeprefix(spec.name + ': ')}") from None
        if spec.percent and detector.kind == "spatial":
            raise ConfigError(f"{where}: percent = true is for temporal detectors; a space-time scan counts cases")


def smtp_settings(config: Config) -> SmtpConfig:
    """The SMTP settings with SURVEILLANCE_SMTP_HOST / SURVEILLANCE_SMTP_PORT applied (tests, checks)."""
    updates: dict = {}
    host = os.environ.get("SURVEILLANCE_SMTP_HOST")
    port = os.environ.get("SURVEILLANCE_SMTP_PORT")
    if host:
        updates["host"] = host
    if port:
        try:
            updates["port"] = int(port)
        except ValueError:
            raise ConfigError(f"SURVEILLANCE_SMTP_PORT must be a port number, got {port!r}") from None
    return config.smtp.model_copy(update=updates) if updates else config.smtp


def secret(env_var: str | None) -> str | None:
    """A secret's value from the environment; secrets never live in the config file."""
    if not env_var:
        return None
    return os.environ.get(env_var)
