"""One alert per event: a region's signals of related syndromes, age groups and detectors that fall
together become one episode with its parts in the evidence."""

from __future__ import annotations

from surveillance.alerts.episodes import update_episodes

from .test_episodes import frame, sig

NEIGHBOURS = {"320102": {"320103"}, "320103": {"320102"}}


def _aged(signal: dict, age: str) -> dict:
    return {**signal, "age_group": age}


def test_related_syndromes_ages_and_detectors_of_one_place_and_time_are_one_episode():
    signals = frame(
        _aged(sig("2026-11-20", syndrome="fever", severity="yellow", pvalue=0.02), "all"),
        _aged(sig("2026-11-20", syndrome="ili", pvalue=0.0001, detector="regional_excess"), "5-14"),
        _aged(sig("2026-11-21", syndrome="ari", detector="regional_excess"), "0-4"),  # the next day, within the gap
        _aged(sig("2026-11-20", syndrome="diarrhoea"), "all"),  # another syndrome group: its own episode
    )
    episodes, events, evidence = update_episodes(None, signals, NEIGHBOURS, "2026-11-21", by_event=True)
    assert len(episodes) == 2
    respiratory = episodes[episodes["syndrome"] != "diarrhoea"].iloc[0]
    # the headline is the most severe, most significant part
    assert (respiratory["syndrome"], respiratory["age_group"]) == ("ili", "5-14")
    assert respiratory["detectors"] == '["ears_c2", "regional_excess"]'
    parts = evidence[evidence["episode_id"] == respiratory["episode_id"]]
    assert sorted(zip(parts["syndrome"], parts["age_group"])) == [("ari", "0-4"), ("fever", "all"), ("ili", "5-14")]
    assert (events["action"] == "opened").sum() == 2
    per_series, _, _ = update_episodes(None, signals, NEIGHBOURS, "2026-11-21", by_event=False)
    assert len(per_series) == 4


def test_a_neighbour_with_a_related_syndrome_joins_and_a_series_never_has_two_running_episodes():
    first = frame(_aged(sig("2026-11-20", syndrome="ili"), "5-14"))
    episodes, _, _ = update_episodes(None, first, NEIGHBOURS, "2026-11-20", by_event=True)
    later = frame(_aged(sig("2026-11-21", syndrome="ili"), "all"),  # same region, another age: same episode
                  _aged(sig("2026-11-21", region="320103", syndrome="fever"), "all"))  # the neighbour
    changed, events, _ = update_episodes(episodes, later, NEIGHBOURS, "2026-11-21", next_id=2, by_event=True)
    assert sorted(changed["episode_id"]) == [1, 2]
    one = changed.set_index("episode_id").loc[1]
    assert one["regions"] == '["320102", "320103"]'
    assert list(events["action"]) == ["opened", "escalated"] and "320103 joined" in events["note"].iloc[1]


def _silent(day, unit):
    return {**sig(day, region=unit, detector="quality", syndrome="unit_silent", severity="yellow"), "level": "facility"}


def test_a_countys_silent_units_are_one_data_quality_alert():
    county = {"F320102001": "320102", "F320102002": "320102", "F320103001": "320103"}
    signals = frame(_silent("2026-11-20", "F320102001"), _silent("2026-11-21", "F320102002"),
                    _silent("2026-11-21", "F320103001"))
    episodes, _, _ = update_episodes(None, signals, NEIGHBOURS, "2026-11-21", by_event=True,
                                     place_of=lambda u: county.get(u, u))
    assert sorted(episodes["regions"]) == ['["F320102001", "F320102002"]', '["F320103001"]']
    per_unit, _, _ = update_episodes(None, signals, NEIGHBOURS, "2026-11-21", by_event=True)
    assert len(per_unit) == 3


def test_facilities_alert_as_their_county_and_a_neighbouring_county_joins_the_same_alert():
    county = {"F320102001": "320102", "F320102002": "320102", "F320103001": "320103", "F320121001": "320121"}
    place = lambda code: county.get(code, code)  # noqa: E731
    facility = lambda day, unit, **kw: {**sig(day, region=unit, **kw), "level": "facility"}  # noqa: E731
    signals = frame(
        _aged(facility("2026-11-20", "F320102001", syndrome="ili", pvalue=1e-6), "5-14"),
        _aged(facility("2026-11-20", "F320102002", syndrome="fever"), "5-14"),
        _aged(facility("2026-11-21", "F320103001", syndrome="ili"), "5-14"),  # the neighbouring county
        _aged(facility("2026-11-21", "F320121001", syndrome="ili"), "5-14"),  # not a neighbour: its own alert
    )
    episodes, events, evidence = update_episodes(None, signals, NEIGHBOURS, "2026-11-21", by_event=True,
                                                 place_of=place)
    assert len(episodes) == 2 and (events["action"] == "opened").sum() == 2
    one = episodes.set_index("region").loc["320102"]
    assert one["level"] == "county" and one["regions"] == '["320102", "320103"]'
    parts = evidence[evidence["episode_id"] == one["episode_id"]]
    assert sorted(parts["region"]) == ["F320102001", "F320102002", "F320103001"]  # the facilities stay in the parts
    assert episodes.set_index("region").loc["320121", "regions"] == '["320121"]'
