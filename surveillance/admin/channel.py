"""The control channel: how a command on the machine asks the running service to change users and tokens.

The service owns the DuckDB file while it runs, so another process cannot write it. At start the service
listens on a loopback port of its own (127.0.0.1, a port the system picks) and writes the port and a
random secret to ``<database>.control``, readable only by the service's own system user (mode 0600),
beside the database file (which that user alone may write anyway). A command that finds the database
held reads that file and posts the operation to the port with the secret; the service runs it
(:func:`surveillance.admin.operations.run`) and answers with its result or its one-line error. So the
channel is open only to whoever is on the machine and may read the service's files, which is also who
could stop the service and write the database directly.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import DatabaseBusy, SurveillanceError

SECRET_HEADER = "X-Surveillance-Control"
PATH = "/control"
TIMEOUT_SECONDS = 120.0  # the service may be in a cycle's long write; the operation waits for it


def channel_path(db: Path | str) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".control")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def write_channel(db: Path | str, port: int, secret: str) -> Path:
    """Write the channel's port and secret for commands on this machine (mode 0600, replaced whole)."""
    path = channel_path(db)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"pid": os.getpid(), "port": int(port), "secret": secret}, out)
    os.replace(partial, path)
    return path


def remove_channel(db: Path | str, secret: str) -> None:
    """Remove the channel file if it is still this service's (a newer service may have replaced it)."""
    path = channel_path(db)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("secret") == secret:
            path.unlink()
    except (OSError, ValueError):
        pass


def _read(db: Path, busy: DatabaseBusy | None) -> dict:
    path = channel_path(db)
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return {"pid": int(found["pid"]), "port": int(found["port"]), "secret": str(found["secret"])}
    except FileNotFoundError:
        raise DatabaseBusy(f"{busy or db}; and no control channel ({path.name}) to ask the service with: "
                           "stop it and try again") from None
    except PermissionError:
        raise SurveillanceError(f"{path}: not readable by this system user; run the command as the user the "
                                "service runs as") from None
    except (ValueError, KeyError, TypeError):
        raise SurveillanceError(f"{path}: not a control channel file; restart the service") from None


def call(db: Path | str, operation: str, args: dict, who, *, busy: DatabaseBusy | None = None,
         timeout: float = TIMEOUT_SECONDS) -> dict:
    """Run ``operation`` in the service that holds ``db``; its result, or its error raised here."""
    channel = _read(Path(db), busy)
    holder = re.search(r"\(process (\d+)\)", str(busy or ""))
    if holder and int(holder.group(1)) != channel["pid"]:  # a left-over file; another process holds the file
        raise DatabaseBusy(f"{busy}; it is not the service that wrote {channel_path(db).name}: wait for it to end")
    body = json.dumps({"operation": operation, "args": args,
                       "operator": {"name": who.name, "address": who.address}}).encode("utf-8")
    request = urllib.request.Request(f"http://127.0.0.1:{channel['port']}{PATH}", data=body, method="POST",
                                     headers={"Content-Type": "application/json", SECRET_HEADER: channel["secret"]})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())["result"]
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read())
        except ValueError:
            answer = {}
        error = SurveillanceError(answer.get("error") or f"the service refused the request (HTTP {exc.code})")
        error.exit_code = int(answer.get("exit_code") or 1)
        raise error from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SurveillanceError(f"the service (process {channel['pid']}) holds the database but its control "
                                f"channel on port {channel['port']} does not answer ({reason}); is it still "
                                "starting or stopping?") from None
