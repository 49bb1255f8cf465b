-- An alert may gather the signals of related syndromes and of several age groups of one place and
-- time (one alert per event): each evidence row names the series it came from.
ALTER TABLE alert_evidence ADD COLUMN syndrome VARCHAR;
ALTER TABLE alert_evidence ADD COLUMN age_group VARCHAR;
