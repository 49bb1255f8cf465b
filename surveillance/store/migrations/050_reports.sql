-- Weekly situation reports as they were built (surveillance.report): one row per report, with its HTML and,
-- when headless Chromium was there to print it, its PDF. The dashboard's Reports page lists and serves them.
-- region: the report's region (NULL: every region); week: the ISO week it covers, e.g. 2026-W48;
-- exact: built with exact counts (else small counts suppressed, for readers without exact counts).
CREATE SEQUENCE report_ids START 1;
CREATE TABLE reports (
    report_id BIGINT PRIMARY KEY DEFAULT nextval('report_ids'),
    region VARCHAR,
    week VARCHAR NOT NULL,
    language VARCHAR NOT NULL,
    exact BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    summary VARCHAR,          -- the headline figures, as JSON
    html VARCHAR NOT NULL,
    pdf BLOB
);
