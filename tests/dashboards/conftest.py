"""A small demo database with one user per role and the alerts of one detect run, and helpers to
call Dash callbacks by hand."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import date

import tomli_w

import pytest

from surveillance.config import load_config
from surveillance.service.cycle import detect_job
from surveillance.store.reference import load_configured_reference
from surveillance.synthetic.demo import build_demo
from surveillance.store import open_store
from surveillance.store.runs import job_run
from surveillance.users import add_user

END = date(2026, 11, 20)
TODAY = date(2026, 11, 21)
# Small and quick: one registered detector per county series and the space-time permutation scan.
DETECTORS = [
    {"name": "ears_c2", "levels": ["county"]},
    {"name": "spacetime_permutation", "syndromes": ["fever"],
     "params": {"max_days": 7, "study_days": 30, "n_reps": 99}},
]
PASSWORD = "correct horse battery"
# name -> (role, region): the administrator sees everything, the epidemiologist one city
# (Guangjiao, 320100), the viewer one district of it (Jiangtan, 320102).
USERS = {
    "ada": ("admin", None),
    "eve": ("epidemiologist", "320100"),
    "vic": ("viewer", "320102"),
}
OTHER_CITY = "320200"  # Hanwan City: outside eve's and vic's subtrees
OTHER_COUNTY = "320202"  # Xingchi District, in Hanwan City


@pytest.fixture(scope="package")
def demo_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard-demo")
    db = folder / "surveillance.duckdb"
    build_demo(db, days=60, end=END, geography_options={"n_facilities": 30})
    config_path = folder / "surveillance.toml"
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    raw["detection"]["detectors"] = DETECTORS
    # No alarm budget: alerts in every county, so that scoping has something to hide on every page.
    raw["detection"]["budget"] = {"noise_alerts_per_quarter": 0}
    config_path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    config = load_config(config_path)
    store = open_store(db)
    load_configured_reference(store, config)
    for name, (role, region) in USERS.items():
        add_user(store, name, PASSWORD, role=role, region=region)
    detect_job(store, config, TODAY)  # the detect step of the daily cycle: signals and alert episodes
    with job_run(store, "ingest"):
        pass  # a good run, without a message (the service writes one only about failed feeds)
    try:
        with job_run(store, "daily"):
            raise RuntimeError("feed clinics: HTTP 503 Service Unavailable after 4 tries")
    except RuntimeError:
        pass
    yield store, config
    store.close()


class ErrorLog(logging.Handler):
    """Collects errors logged by the dashboard (a failed callback logs one and answers empty)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def messages(self) -> list[str]:
        return [self.format(r) for r in self.records]


@pytest.fixture
def dashboard_errors():
    handler = ErrorLog()
    logger = logging.getLogger("dashboards")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def callback_payload(dash_app, output_id: str, values: dict) -> dict:
    """The JSON body Dash's front end would POST to ``_dash-update-component`` for the callback that
    writes ``output_id``, with input and state values from ``values`` (``{"id.prop": value}``)."""
    for key, spec in dash_app.callback_map.items():
        if f"{output_id}." not in key:
            continue
        ids = [o for o in key.strip(".").split("...") if o]
        outs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in ids]
        inputs = [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]]
        state = [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in spec["state"]]
        return {
            "output": key,
            "outputs": outs if key.startswith("..") else outs[0],
            "inputs": inputs,
            "state": state,
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"]],
        }
    raise KeyError(f"no callback writes {output_id}")


def callback_response(body: bytes | str) -> dict:
    """``{component id: {property: value}}`` from a ``_dash-update-component`` answer."""
    data = json.loads(body)
    return data["response"]


def alert_in(store, root: str, *, kind: str = "outbreak", skip: int = 0) -> int:
    """The id of an alert episode whose region lies in ``root``'s subtree."""
    rows = store.cursor().execute(
        "SELECT e.episode_id FROM alert_episodes e JOIN regions r ON r.code = e.region"
        " WHERE e.kind = ? AND (r.code = ? OR r.parent = ?) ORDER BY e.episode_id", [kind, root, root]).fetchall()
    return rows[skip][0]


def workflow_payload(episode_id: int, to: str, *, note: str | None = None, outcome: str | None = None,
                     outbreak_start: str | None = None) -> dict:
    """The body Dash's front end sends when a workflow button (``to``) of an alert's page is pressed."""
    button = {"to": to, "type": "alert-action"}
    return {
        "output": "..alert-workflow.children...alert-message.children..",
        "outputs": [{"id": "alert-workflow", "property": "children"}, {"id": "alert-message", "property": "children"}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "alert-id", "property": "data", "value": episode_id},
                  {"id": "alert-note", "property": "value", "value": note},
                  {"id": "alert-outcome", "property": "value", "value": outcome},
                  {"id": "alert-outbreak-start", "property": "value", "value": outbreak_start}],
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    }


def sign_in(client, name: str, password: str = PASSWORD, **request):
    """Post the login form as a browser would (its token from the form); returns the answer."""
    import re

    page = client.get("/login", **request).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf}, **request)


def signed_in_client(server, name: str, password: str = PASSWORD):
    """A test client with a signed-in session and the CSRF cookie the dashboard's script sends back."""
    client = server.test_client()
    assert sign_in(client, name, password).status_code == 302
    client.get("/app/")
    return client


def call_callback(client, server, output_id: str, values: dict):
    """POST the callback that writes ``output_id`` with the session's CSRF header, as the page would."""
    app = server.extensions["surveillance_dashboard"].app
    token = client.get_cookie("_csrf_token").value
    return client.post("/app/_dash-update-component", json=callback_payload(app, output_id, values),
                       headers={"X-CSRFToken": token})
