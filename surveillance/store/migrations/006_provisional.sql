-- A judgement made while the day's data were still arriving (less than detection.delay.provisional_below of
-- its final count usually known by then): signals, the evidence they became, and an episode whose latest
-- signal was one.
ALTER TABLE signals ADD COLUMN provisional BOOLEAN DEFAULT false;
ALTER TABLE alert_evidence ADD COLUMN provisional BOOLEAN DEFAULT false;
ALTER TABLE alert_episodes ADD COLUMN provisional BOOLEAN DEFAULT false;
