-- Dashboard users and the audit log of what they did (logins, workflow actions, settings).

-- Passwords are stored only as salted hashes (werkzeug.security: scrypt).
-- region: the root of the subtree the user may see (a province, city or county code);
-- NULL means every region.
CREATE TABLE users (
    name           VARCHAR PRIMARY KEY,
    password_hash  VARCHAR NOT NULL,
    role           VARCHAR NOT NULL CHECK (role IN ('viewer', 'epidemiologist', 'admin')),
    region         VARCHAR,
    language       VARCHAR NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
    created_at     TIMESTAMP NOT NULL
);

CREATE SEQUENCE audit_ids START 1;
CREATE TABLE audit_log (
    audit_id   BIGINT PRIMARY KEY,
    at_time    TIMESTAMP NOT NULL,
    user_name  VARCHAR NOT NULL,     -- who acted ('system' for the service itself)
    action     VARCHAR NOT NULL,     -- login, login_failed, logout, user_added, password_set, language_set, ...
    target     VARCHAR,              -- what it acted on: a user, an alert episode, a region
    detail     VARCHAR               -- a sentence or JSON
);
CREATE INDEX audit_log_time ON audit_log (at_time);
