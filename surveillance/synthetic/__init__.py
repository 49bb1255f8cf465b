"""The synthetic province: simulated facilities with seasons, holidays, delays and known
outbreaks (``simulate``, ``seasons``, ``geography``, ``outbreaks``), and the demo builder that
replays them through the drop folder (``demo``). Used by the demo, the evaluation suites and
the tests; nothing in the service depends on it.
"""
