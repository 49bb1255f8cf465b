-- Red learnt against its own budget (red_share of the yellow one), not as a fixed share of the yellow level.
ALTER TABLE alarm_thresholds ADD COLUMN q_red_learnt DOUBLE;
