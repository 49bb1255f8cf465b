-- Users managed while the service runs: an account can be disabled (and enabled again), and a password
-- an administrator reset is a one-time password its user must change at the next sign-in.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;   -- NULL: the user may sign in
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;
