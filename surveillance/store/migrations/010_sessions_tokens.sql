-- Sign-in sessions kept by the server, and read-only API tokens.
--
-- A session's cookie holds a random secret; only its SHA-256 is stored here, so signing out (or a
-- password change) ends the session for good, and a restart of the service does not.
CREATE TABLE sessions (
    session_hash  VARCHAR PRIMARY KEY,   -- sha256 (hex) of the cookie's secret
    user_name     VARCHAR NOT NULL,
    csrf          VARCHAR NOT NULL,      -- the token the dashboard's callbacks send back in a header
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    address       VARCHAR                -- where the sign-in came from
);
CREATE INDEX sessions_user ON sessions (user_name);

-- An API token reads as its user, never writes, and only within its region's subtree (NULL: the
-- user's own scope). Only the SHA-256 of its secret is kept; the secret is shown once, when made.
CREATE SEQUENCE api_token_ids START 1;
CREATE TABLE api_tokens (
    token_id     BIGINT PRIMARY KEY,
    secret_hash  VARCHAR NOT NULL UNIQUE,
    user_name    VARCHAR NOT NULL,
    region       VARCHAR,
    label        VARCHAR,
    created_at   TIMESTAMP NOT NULL,
    created_by   VARCHAR NOT NULL,
    expires_at   TIMESTAMP,              -- NULL: until revoked
    revoked_at   TIMESTAMP
);
