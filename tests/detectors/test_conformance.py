"""Every registered detector, the space-time scans included, keeps the shared contract
(``surveillance.detectors.testing.check_detector``), and the suite catches one that does not."""

from dataclasses import replace

import numpy as np
import pytest

from surveillance.detectors import available, get
from surveillance.detectors import registry
from surveillance.detectors.testing import check_detector

# Settings that let each detector judge a good share of a 6-year weekly panel quickly.
SETTINGS = {"farrington": {"b": 3}, "farrington_flexible": {"b": 3, "n_periods": 4}, "bayes": {"b": 2, "w": 3}}


def test_the_scans_are_registered_beside_the_temporal_detectors():
    kinds = {name: get(name).kind for name in available()}
    assert kinds["spacetime_permutation"] == kinds["spacetime_poisson"] == "spatial"
    assert kinds["farrington_flexible"] == kinds["switch"] == "temporal"


@pytest.mark.parametrize("name", available())
def test_detector_keeps_the_contract(name):
    check_detector(name, SETTINGS.get(name))


def _broken(name: str, run) -> registry.Detector:
    original = get(name)
    return replace(original, name=f"broken_{name}", schema=replace(original.schema, detector=f"broken_{name}"),
                   run=run)


def test_the_suite_catches_a_broken_temporal_detector(monkeypatch):
    ears = get("ears_c1")

    def alarms_everywhere(panel, params):
        r = ears.run(panel, params)
        return replace(r, detector="broken_ears_c1", alarm=np.ones(r.shape, dtype=bool))

    broken = _broken("ears_c1", alarms_everywhere)
    monkeypatch.setitem(registry._REGISTRY, broken.name, broken)
    with pytest.raises(AssertionError, match=r"^broken_ears_c1: alarm == score > 1"):
        check_detector(broken.name)


def test_the_suite_catches_a_broken_scan(monkeypatch):
    scan = get("spacetime_permutation")

    def drops_the_clusters(panel, params, regions):
        return replace(scan.run(panel, params, regions), clusters=())

    broken = _broken("spacetime_permutation", drops_the_clusters)
    monkeypatch.setitem(registry._REGISTRY, broken.name, broken)
    with pytest.raises(AssertionError, match=r"^broken_spacetime_permutation: an obvious cluster is found"):
        check_detector(broken.name)


def test_each_built_in_detector_is_found_in_the_module_that_registers_it():
    # get() imports only the module of the detector asked for: the table must name it rightly.
    assert set(registry._BUILTIN_HOMES) == set(available())
    for name, module in registry._BUILTIN_HOMES.items():
        assert get(name).run.__module__ in (module, "functools") or module == "surveillance.spatial"


def test_running_one_detector_imports_its_module_only():
    import subprocess
    import sys

    code = ("import sys; from surveillance.detectors import get; get('farrington_flexible'); "
            "print(sorted(m for m in ('sklearn', 'surveillance.detectors.gbm', 'surveillance.spatial', "
            "'surveillance.detectors.ears') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
