"""`surveillance user ...` while a real service process holds the database: the commands reach it through
its loopback control channel, their changes take effect on live sessions and tokens at once, and a lost
administrator's password is recovered on the machine. Real processes, a real DuckDB file, real HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import tomli_w

from surveillance.admin.channel import SECRET_HEADER, channel_path
from surveillance.store import open_store
from surveillance.store.reference import load_reference
from surveillance.users import add_user, audit_log

from .conftest import small_regions, small_units
from .test_service import _free_port

PASSWORD = "the root password"

pytestmark = pytest.mark.slow


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=180)


def _get(url, headers=None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening (yet)
        return 0


def sign_in(base: str, name: str, password: str):
    """A browser-like opener signed in through the login form, and the address it ended at."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/login", timeout=10).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    body = urlencode({"name": name, "password": password, "csrf": csrf, "next": "/"}).encode()
    try:
        return opener, opener.open(f"{base}/login", data=body, timeout=10).geturl()
    except urllib.error.HTTPError as exc:
        return opener, f"HTTP {exc.code}"


def where(opener, url: str) -> str:
    """The path an opener ends at (after redirects) when it asks for ``url``."""
    return urllib.parse.urlsplit(opener.open(url, timeout=10).geturl()).path


@pytest.fixture
def service(tmp_path):
    db = tmp_path / "surveillance.duckdb"
    with open_store(db) as store:
        load_reference(store, small_regions(), small_units())
        add_user(store, "root", PASSWORD, role="admin")
    port = _free_port()
    config = tmp_path / "surveillance.toml"
    config.write_text(tomli_w.dumps({"database": {"path": str(db)},
                                     "service": {"port": port, "base_url": f"http://127.0.0.1:{port}"}}))
    process = subprocess.Popen([sys.executable, "-m", "jobs.cli", "serve", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while _get(f"{base}/api/health") != 200 or not channel_path(db).exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the service did not start: {process.stdout.read()}")
        time.sleep(0.3)
    yield {"db": db, "config": str(config), "base": base, "process": process}
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_user_commands_work_while_the_service_holds_the_database(service):
    db, config, base = service["db"], service["config"], service["base"]
    held = cli("ingest-file", str(db), "--db", str(db))
    assert held.returncode == 1 and "held by another process" in held.stderr  # the service owns the file

    added = cli("user", "add", "li", "--config", config, "--role", "viewer", "--region", "320102",
                "--password-stdin", stdin="li's own password\n")
    assert added.returncode == 0, added.stderr
    assert "user li added: viewer, region 320102" in added.stdout
    li, landed = sign_in(base, "li", "li's own password")
    assert urllib.parse.urlsplit(landed).path == "/"
    made = cli("user", "token", "create", "--user", "li", "--config", config, "--label", "screen")
    assert made.returncode == 0 and "shown only now" in made.stderr, made.stderr
    secret = made.stdout.strip()
    assert _get(f"{base}/api/feeds", {"Authorization": f"Bearer {secret}"}) == 200

    disabled = cli("user", "disable", "li", "--config", config)
    assert disabled.returncode == 0 and "li disabled" in disabled.stdout, disabled.stderr
    assert where(li, f"{base}/") == "/login"  # the live session ended at once
    assert _get(f"{base}/api/feeds", {"Authorization": f"Bearer {secret}"}) == 401
    assert sign_in(base, "li", "li's own password")[1] == "HTTP 401"
    listed = cli("user", "list", "--config", config).stdout
    assert re.search(r"^li\tviewer\t320102\ten\t\S+ \S+\tdisabled ", listed, re.MULTILINE), listed

    assert cli("user", "enable", "li", "--config", config).returncode == 0
    li, landed = sign_in(base, "li", "li's own password")
    assert urllib.parse.urlsplit(landed).path == "/"
    changed = cli("user", "change", "li", "--config", config, "--role", "epidemiologist", "--region", "320100")
    assert changed.returncode == 0 and "li: epidemiologist, region 320100" in changed.stdout, changed.stderr
    assert where(li, f"{base}/") == "/login"

    again = cli("user", "token", "create", "--user", "li", "--config", config, "--region", "320102", "--days", "7")
    assert again.returncode == 0 and "token 2 for li (320102, expires " in again.stderr, again.stderr
    assert _get(f"{base}/api/feeds", {"Authorization": f"Bearer {again.stdout.strip()}"}) == 200
    assert cli("user", "token", "revoke", "2", "--config", config).stdout.strip() == "token 2 of li revoked"
    assert _get(f"{base}/api/feeds", {"Authorization": f"Bearer {again.stdout.strip()}"}) == 401
    tokens = cli("user", "token", "list", "--config", config).stdout.splitlines()
    assert tokens[0].startswith("1\tli\tuser scope\tscreen\t") and "\trevoked " in tokens[0]  # by disabling
    assert tokens[1].startswith("2\tli\t320102\t\t") and "\trevoked " in tokens[1]
    missing = cli("user", "disable", "nobody", "--config", config)
    assert missing.returncode == 1 and "unknown user 'nobody'" in missing.stderr and "Traceback" not in missing.stderr


def test_a_lost_administrator_password_is_recovered_on_the_machine(service):
    config, base = service["config"], service["base"]
    root, _ = sign_in(base, "root", PASSWORD)
    reset = cli("user", "reset-password", "root", "--config", config)
    assert reset.returncode == 0 and "one-time password of root" in reset.stderr, reset.stderr
    once = reset.stdout.strip()
    assert where(root, f"{base}/") == "/login"  # the old session ended
    assert sign_in(base, "root", PASSWORD)[1] == "HTTP 401"
    opener, landed = sign_in(base, "root", once)
    assert urllib.parse.urlsplit(landed).path == "/password"  # the one-time password opens the form only
    assert where(opener, f"{base}/app/") == "/password"


def test_the_control_channel_answers_only_with_its_secret_and_goes_with_the_service(service):
    db, config = service["db"], service["config"]
    path = channel_path(db)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    channel = json.loads(path.read_text())
    assert channel["pid"] == service["process"].pid
    url = f"http://127.0.0.1:{channel['port']}/control"
    body = json.dumps({"operation": "user.reset_password", "args": {"name": "root"}}).encode()
    for headers in ({}, {SECRET_HEADER: "guessed"}):
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    assert _get(f"{service['base']}/control") == 404  # not on the dashboard's port
    assert cli("user", "add", "wang", "--config", config, "--one-time").returncode == 0

    process = service["process"]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == 0 and not path.exists()
    listed = cli("user", "list", "--config", config)  # nobody holds the file: read directly
    assert listed.returncode == 0 and "wang\tviewer\tall\ten\t" in listed.stdout
    assert "must change password" in listed.stdout
    with open_store(db, read_only=True) as store:
        lines = audit_log(store, user="cli")
        assert set(lines["action"]) == {"user_added"} and lines["address"].iloc[0].startswith("local (os user ")
        assert audit_log(store, action="password_reset").empty  # the refused requests changed nothing


def test_another_holder_of_the_file_is_not_mistaken_for_the_service(tmp_path):
    """A process other than the service holds the database (a `run-once`, a notebook writing): the command
    says so, whether a left-over channel file of a killed service lies beside it or none does."""
    from surveillance.admin import perform
    from surveillance.errors import DatabaseBusy

    db = tmp_path / "held.duckdb"
    open_store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('holding', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatabaseBusy, match=r"held by another process .*no control channel \(held.duckdb.control\)"):
            perform(db, "user.list", {})
        channel_path(db).write_text(json.dumps({"pid": 1, "port": 9, "secret": "left over"}))
        with pytest.raises(DatabaseBusy, match="it is not the service that wrote held.duckdb.control"):
            perform(db, "user.add", {"name": "li"})
    finally:
        holder.kill()
        holder.wait()
