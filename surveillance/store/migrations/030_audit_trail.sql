-- The audit trail (audit_log, made in 003): who did what, when, from where and to what.
--
-- Append-only: the application inserts lines and reads them; the one deletion is the daily cycle's
-- pruning of lines older than audit.keep_days (at least 180 days). Nothing updates a line.
-- address: where the request came from (a client's IP address, "local" for the command line on the
-- machine); NULL for the service's own actions.
ALTER TABLE audit_log ADD COLUMN address VARCHAR;
