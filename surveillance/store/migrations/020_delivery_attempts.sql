-- Delivery that never sends a message twice and never blocks on one message (surveillance.notify.delivery):
-- an attempt is recorded before any byte goes out, and again once the whole message has been handed to the
-- server, so that after a kill the next run knows whether the server may already have it.
ALTER TABLE outbox ADD COLUMN attempt_started_at TIMESTAMP;  -- an attempt in flight (cleared with its outcome)
ALTER TABLE outbox ADD COLUMN handed_over_at TIMESTAMP;      -- ... whose message was all written, the final dot next
ALTER TABLE outbox ADD COLUMN failures INTEGER DEFAULT 0;    -- attempts that failed for this message (max_attempts)
-- sent, but the server's answer to the whole message never came (a timeout, a dropped connection, a kill):
-- not sent again, since the server most likely has it; shown and raised to administrators as a delivery problem.
ALTER TABLE outbox ADD COLUMN unconfirmed BOOLEAN DEFAULT false;
