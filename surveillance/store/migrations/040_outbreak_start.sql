-- The day an outbreak began, recorded when its alert is closed as a confirmed outbreak (for the 7-1-7
-- targets: detection within 7 days of the start). NULL for every other alert, and when not known.
ALTER TABLE alert_episodes ADD COLUMN outbreak_start DATE;
