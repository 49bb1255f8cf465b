-- Reference data: the region hierarchy and the reporting units in it.
CREATE TABLE regions (
    code              VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    level             VARCHAR NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent            VARCHAR,
    population        BIGINT,
    lat               DOUBLE,
    lon               DOUBLE,
    boundary_geojson  VARCHAR
);

CREATE TABLE units (
    code    VARCHAR PRIMARY KEY,
    name    VARCHAR NOT NULL,
    county  VARCHAR NOT NULL,
    kind    VARCHAR,
    lat     DOUBLE,
    lon     DOUBLE
);

CREATE TABLE region_neighbours (
    region     VARCHAR NOT NULL,
    neighbour  VARCHAR NOT NULL,
    PRIMARY KEY (region, neighbour)
);

-- Every unit with its county, city and province, for aggregation up the hierarchy.
CREATE VIEW unit_regions AS
SELECT u.code AS unit, u.code AS facility, u.county, c.parent AS city, ci.parent AS province
FROM units u
LEFT JOIN regions c  ON c.code = u.county
LEFT JOIN regions ci ON ci.code = c.parent;

-- One row per file, page or query result pulled from a feed.
CREATE SEQUENCE batch_ids START 1;
CREATE TABLE ingest_batches (
    batch_id        BIGINT PRIMARY KEY,
    feed            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,      -- file path, URL and cursor, or query
    checksum        VARCHAR,
    status          VARCHAR NOT NULL CHECK (status IN ('loaded', 'partial', 'failed')),
    rows_read       BIGINT NOT NULL DEFAULT 0,
    new_rows        BIGINT NOT NULL DEFAULT 0,
    revised_rows    BIGINT NOT NULL DEFAULT 0,
    unchanged_rows  BIGINT NOT NULL DEFAULT 0,
    collapsed_rows  BIGINT NOT NULL DEFAULT 0,
    rejected_rows   BIGINT NOT NULL DEFAULT 0,
    message         VARCHAR,
    received_at     TIMESTAMP NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL
);

-- Every revision of every count. A late correction is a new row with a higher revision;
-- nothing is overwritten, so the store can say what was known on any day.
CREATE TABLE observations (
    date         DATE NOT NULL,
    unit         VARCHAR NOT NULL,
    syndrome     VARCHAR NOT NULL,
    age_group    VARCHAR NOT NULL,
    count        INTEGER NOT NULL,
    total        INTEGER,
    revision     INTEGER NOT NULL,
    source       VARCHAR NOT NULL,     -- feed name
    batch_id     BIGINT NOT NULL,
    received_at  TIMESTAMP NOT NULL
);

CREATE VIEW observations_latest AS
SELECT date, unit, syndrome, age_group,
       max_by(count, revision)       AS count,
       arg_max_null(total, revision)       AS total,
       max(revision)                 AS revision,
       max_by(source, revision)      AS source,
       max_by(batch_id, revision)    AS batch_id,
       max_by(received_at, revision) AS received_at
FROM observations
GROUP BY date, unit, syndrome, age_group;

-- Rows refused by validation, with a reason a person can act on.
CREATE TABLE quarantine (
    batch_id        BIGINT NOT NULL,
    feed            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    row_number      BIGINT,             -- line in the file (header = line 1), or record number
    field           VARCHAR,
    value           VARCHAR,
    reason          VARCHAR NOT NULL,
    raw             VARCHAR,            -- the row as received, JSON
    quarantined_at  TIMESTAMP NOT NULL
);

-- Incremental position of each feed (cursor, last modification seen, ...).
CREATE TABLE feed_state (
    feed        VARCHAR PRIMARY KEY,
    state       JSON NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE SEQUENCE job_run_ids START 1;
CREATE TABLE job_runs (
    run_id       BIGINT PRIMARY KEY,
    job          VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    message      VARCHAR,
    details      JSON
);
