"""The shared vocabulary: canonical column names, syndromes, age groups, region levels."""

# The long table at every boundary (storage adds revision columns).
OBSERVATION_COLUMNS = ("date", "unit", "syndrome", "age_group", "count", "total")
REQUIRED_COLUMNS = ("date", "unit", "syndrome", "count")

# Syndromes a feed may report; `count` is visits with that syndrome, `total` all visits.
SYNDROMES = {
    "fever": "Fever",
    "ili": "Influenza-like illness",
    "ari": "Acute respiratory infection",
    "diarrhoea": "Acute diarrhoea",
    "rash_fever": "Rash with fever",
    "hfmd": "Hand, foot and mouth disease",
}

# "all" is the age group of a row that is not broken down by age.
AGE_GROUPS = ("0-4", "5-14", "15-64", "65+", "all")
ALL_AGES = "all"

# The hierarchy, coarsest first. Facilities are reporting units, each in a county.
REGION_LEVELS = ("province", "city", "county")
PANEL_LEVELS = ("province", "city", "county", "facility")
