"""The parameters of the two scans, declared like the detectors' (``detectors.params``)."""

from __future__ import annotations

from ..detectors.params import Bool, Float, Int, ParamSchema

METHODS = ("permutation", "poisson")


def _common(share_meaning: str) -> tuple:
    return (
        Int("n_reps", 999, "Monte Carlo replicates; p-value = rank / (n_reps + 1); 0 = no p-values",
            low=0, high=1_000_000, aliases=("n_mcsim", "replications")),
        Int("seed", 1, "seed of the replicates; the same seed gives the same answer", low=0, high=2**63 - 1),
        Int("max_days", 7, "longest time window in days; windows of 1..max_days days end on the newest day "
            "(capped at the study period)", low=1, high=365),
        Int("study_days", 90, "length of the study period in days, ending on the newest day", low=1, high=365),
        Float("max_share", 0.5, f"largest zone as a share of {share_meaning}", low=0.0, high=1.0, low_open=True),
        Float("max_radius_km", None, "largest zone radius in km (none = no limit)", low=0.0, low_open=True,
              nullable=True),
        Int("max_regions", None, "most regions in a zone, the centre included (k-nearest-neighbour zones; "
            "none = no limit)", low=1, nullable=True),
        Int("min_cases", 2, "fewest cases in a cluster (SaTScan's default is 2)", low=1),
        Int("max_clusters", 10, "most clusters reported: the most likely and the secondary ones", low=1,
            high=10_000),
        Float("report_p", 1.0, "secondary clusters are reported only with a p-value at most this (the most likely "
              "cluster is always reported; 1 = all, up to max_clusters)", low=0.0, high=1.0, low_open=True),
    )


PERMUTATION_PARAMS = ParamSchema("permutation scan", _common("all cases of the study period (SaTScan's "
                                                               "'percent of population at risk' for this model)"))

POISSON_PARAMS = ParamSchema("poisson scan", _common("population (the regions' population column) or, "
                                                       "without it, expected cases over the study period") + (
    Bool("use_population", True, "measure max_share in population when the regions have one"),
))

SCHEMAS = {"permutation": PERMUTATION_PARAMS, "poisson": POISSON_PARAMS}
