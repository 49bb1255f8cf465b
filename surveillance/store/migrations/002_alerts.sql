-- Detection results, alert episodes with their evidence and audit trail, data quality,
-- and the email outbox with its delivery log.

-- Every judged point of every configured detector ("signals"); severity 'none' is a quiet day.
-- A day judged again later (its data were incomplete) keeps both rows: as_of tells them apart.
CREATE TABLE signals (
    detector      VARCHAR NOT NULL,     -- label of the configured detector
    method        VARCHAR NOT NULL,     -- registered detector name
    level         VARCHAR NOT NULL,
    region        VARCHAR NOT NULL,
    syndrome      VARCHAR NOT NULL,
    age_group     VARCHAR NOT NULL,
    date          DATE NOT NULL,        -- the judged day (for weekly series: the week's last day)
    period_days   INTEGER NOT NULL,     -- 1 daily, 7 weekly, n for a space-time cluster
    as_of         DATE NOT NULL,        -- data as known at the end of this day
    measure       VARCHAR NOT NULL,     -- count | percent
    observed      DOUBLE,
    expected      DOUBLE,
    upperbound    DOUBLE,
    score         DOUBLE,
    pvalue        DOUBLE,
    status        VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL CHECK (severity IN ('none', 'yellow', 'red')),
    completeness  DOUBLE,
    incomplete    BOOLEAN NOT NULL,
    regions       VARCHAR,              -- JSON list of regions (space-time clusters)
    detail        VARCHAR,              -- a sentence (clusters, data-quality findings)
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX signals_day ON signals (date);

CREATE TABLE alert_episodes (
    episode_id       BIGINT PRIMARY KEY,
    kind             VARCHAR NOT NULL CHECK (kind IN ('outbreak', 'cluster', 'data_quality')),
    level            VARCHAR NOT NULL,
    region           VARCHAR NOT NULL,   -- the region (cluster: its centre; data quality: unit, feed or region)
    regions          VARCHAR NOT NULL,   -- JSON list: the region and neighbours that joined, or the cluster
    syndrome         VARCHAR NOT NULL,   -- data quality: the finding (unit_silent, feed_silent, visits_drop)
    age_group        VARCHAR NOT NULL,
    detectors        VARCHAR NOT NULL,   -- JSON list of detector labels that signalled
    period_days      INTEGER NOT NULL,
    opened_on        DATE NOT NULL,
    last_signal_on   DATE NOT NULL,
    ended_on         DATE,               -- set after the quiet period
    severity         VARCHAR NOT NULL,   -- highest severity of its signals
    notify_severity  VARCHAR NOT NULL,   -- highest severity on complete data (what emails say)
    incomplete       BOOLEAN NOT NULL,   -- the latest signal was on incomplete data
    state            VARCHAR NOT NULL CHECK (state IN ('new', 'verifying', 'monitoring', 'investigating', 'closed')),
    outcome          VARCHAR CHECK (outcome IN ('confirmed_outbreak', 'not_an_outbreak', 'data_artefact')),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE alert_evidence (
    episode_id    BIGINT NOT NULL,
    detector      VARCHAR NOT NULL,
    region        VARCHAR NOT NULL,
    date          DATE NOT NULL,
    as_of         DATE NOT NULL,
    measure       VARCHAR NOT NULL,
    observed      DOUBLE,
    expected      DOUBLE,
    upperbound    DOUBLE,
    pvalue        DOUBLE,
    severity      VARCHAR NOT NULL,
    completeness  DOUBLE,
    incomplete    BOOLEAN NOT NULL,
    detail        VARCHAR
);

CREATE SEQUENCE alert_event_ids START 1;
CREATE TABLE alert_events (
    event_id     BIGINT PRIMARY KEY,
    episode_id   BIGINT NOT NULL,
    at_time      TIMESTAMP NOT NULL,
    day          DATE,                  -- the data day that caused it (system events)
    user_name    VARCHAR NOT NULL,      -- 'system' for the detect job
    action       VARCHAR NOT NULL,      -- opened, escalated, ended, transition, reopened, note
    from_state   VARCHAR,
    to_state     VARCHAR,
    severity     VARCHAR,
    note         VARCHAR,
    notify       BOOLEAN NOT NULL,      -- should be emailed
    notified     BOOLEAN NOT NULL       -- messages were queued for it
);

-- Completeness and timeliness per region and day, as known on as_of.
CREATE TABLE data_quality (
    level            VARCHAR NOT NULL,
    region           VARCHAR NOT NULL,
    date             DATE NOT NULL,
    as_of            DATE NOT NULL,
    units_usual      INTEGER NOT NULL,
    units_reporting  INTEGER NOT NULL,
    completeness     DOUBLE,
    timeliness       DOUBLE,
    visits           DOUBLE
);

CREATE SEQUENCE message_ids START 1;
CREATE TABLE outbox (
    message_id       BIGINT PRIMARY KEY,
    dedupe_key       VARCHAR NOT NULL UNIQUE,
    kind             VARCHAR NOT NULL,  -- alert | data_quality | digest
    episode_id       BIGINT,
    event_id         BIGINT,
    recipient        VARCHAR NOT NULL,
    language         VARCHAR NOT NULL,
    subject          VARCHAR NOT NULL,
    message          VARCHAR NOT NULL,  -- the whole MIME message
    status           VARCHAR NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_error       VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    sent_at          TIMESTAMP
);

CREATE TABLE delivery_log (
    message_id  BIGINT NOT NULL,
    attempt     INTEGER NOT NULL,
    at_time     TIMESTAMP NOT NULL,
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
    error       VARCHAR
);
