-- The alarm budget's thresholds as learnt from history (surveillance.alerts.budget): one row per
-- learning and level of the watching families (a county with its facilities, a city, a province).
CREATE TABLE alarm_thresholds (
    learnt_for   DATE NOT NULL,     -- the first data day judged with them
    level        VARCHAR NOT NULL,  -- the families' level
    history_from DATE NOT NULL,
    history_to   DATE NOT NULL,
    families     INTEGER NOT NULL,
    q_nominal    DOUBLE NOT NULL,   -- the budget's level if the p-values were exact
    q_learnt     DOUBLE NOT NULL,   -- the level that kept the budget over the history (at most q_nominal)
    onsets       INTEGER NOT NULL,  -- noise alerts the history would have raised at q_learnt
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (learnt_for, level)
);
