"""Who gets which email, the outbox, and delivery with retries.

Messages are composed when an episode opens or escalates and stored in the ``outbox`` with a
unique ``dedupe_key`` (one message per episode change and recipient), in the same transaction
that marks the events as notified; delivery is a separate step. So an SMTP outage loses
nothing: queued messages wait, with exponential backoff between attempts, and go out once each
when the server is back. Every attempt is written to ``delivery_log``. A message the server
refuses permanently (5xx) ``max_attempts`` times is marked ``failed``; connection failures
never use up attempts.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from datetime import date, datetime, timedelta

import pandas as pd

from ..config import SEVERITIES, Config, SmtpConfig, secret, smtp_settings
from .compose import compose_alert, compose_digest

EPISODE_FIELDS = ("episode_id, kind, level, region, regions, syndrome, age_group, detectors, period_days, opened_on,"
                  " last_signal_on, ended_on, severity, notify_severity, incomplete, state, outcome")


def _region_tree(cur) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Names of regions and units, and each code's ancestors (itself included)."""
    regions = cur.execute("SELECT code, name, parent FROM regions").df()
    units = cur.execute("SELECT code, name, county FROM units").df()
    names = dict(zip(regions["code"], regions["name"]))
    names.update(dict(zip(units["code"], units["name"])))
    parent = dict(zip(regions["code"], regions["parent"]))
    parent.update({u: c for u, c in zip(units["code"], units["county"]) if u not in parent})
    ancestors: dict[str, set[str]] = {}
    for code in parent:
        chain, current, seen = {code}, parent.get(code), 0
        while isinstance(current, str) and current and seen < 10:
            chain.add(current)
            current, seen = parent.get(current), seen + 1
        ancestors[code] = chain
    return names, ancestors


def subscribers_for(config: Config, episode: dict, severity: str, ancestors: dict[str, set[str]]) -> list:
    """The subscriptions an episode change at ``severity`` goes to."""
    regions = json.loads(episode["regions"]) if isinstance(episode["regions"], str) else list(episode["regions"])
    covered = set()
    for r in {episode["region"], *regions}:
        covered |= ancestors.get(r, {r})
    dq = episode["kind"] == "data_quality"
    out = []
    for sub in config.subscriptions:
        if dq and not sub.data_quality:
            continue
        if not dq and not sub.outbreaks:
            continue
        if SEVERITIES.index(severity) < sub.min_rank:
            continue
        if not dq and sub.syndromes is not None and episode["syndrome"] not in sub.syndromes:
            continue
        if sub.region is not None and sub.region not in covered:
            continue
        out.append(sub)
    return out


def _history(cur, episode: dict, day, days: int = 28) -> pd.DataFrame:
    """Daily counts of the episode's series over the ``days`` days up to ``day``."""
    if episode["kind"] == "data_quality" or episode["level"] not in ("province", "city", "county", "facility"):
        return pd.DataFrame(columns=["date", "count"])
    from ..store.read import read_counts

    regions = json.loads(episode["regions"]) if episode["kind"] == "cluster" else [episode["region"]]
    day = pd.Timestamp(day)
    ages = None if episode["age_group"] == "all" else [episode["age_group"]]
    long = read_counts(cur, level=episode["level"], syndromes=[episode["syndrome"]], age_groups=ages,
                       start=day - pd.Timedelta(days=days - 1), end=day, within=regions)
    long = long[long["region"].isin(regions)]
    grid = pd.DataFrame({"date": pd.date_range(day - pd.Timedelta(days=days - 1), day)})
    sums = long.assign(date=pd.to_datetime(long["date"])).groupby("date", as_index=False)["count"].sum()
    return grid.merge(sums, on="date", how="left")


def queue_alert_messages(store, config: Config, today: date, now: datetime | None = None) -> dict:
    """Compose and queue the emails of un-notified events (opened, escalated), one per episode and
    recipient per cycle, and mark the events notified, in one transaction."""
    now = now or datetime.now()
    queued = skipped = 0
    with store.transaction() as cur:
        events = cur.execute(
            "SELECT event_id, episode_id, day, action, severity, note FROM alert_events"
            " WHERE notify AND NOT notified ORDER BY event_id").df()
        if not len(events):
            return {"queued": 0, "events": 0}
        names, ancestors = _region_tree(cur)
        for episode_id, group in events.groupby("episode_id", sort=True):
            ep = cur.execute(f"SELECT {EPISODE_FIELDS} FROM alert_episodes WHERE episode_id = ?",
                             [int(episode_id)]).df().to_dict("records")[0]
            last = group.iloc[-1].to_dict()
            severity = ep["notify_severity"]
            if ep["ended_on"] is not None and not pd.isna(ep["ended_on"]):
                skipped += 1
                continue  # it was over before anyone could act: history, not news
            evidence = cur.execute("SELECT * FROM alert_evidence WHERE episode_id = ? ORDER BY date, detector",
                                   [int(episode_id)]).df()
            history = None
            for sub in subscribers_for(config, ep, severity, ancestors):
                if history is None:
                    history = _history(cur, ep, ep["last_signal_on"])
                event = {**last, "severity": severity,
                         "note": "; ".join(str(n) for n in group["note"] if isinstance(n, str))}
                msg = compose_alert(episode=ep, event=event, evidence=evidence, history=history, region_names=names,
                                    base_url=config.service.base_url, sender=config.smtp.sender,
                                    recipient=sub.email, language=sub.language)
                key = f"alert:{int(episode_id)}:{int(last['event_id'])}:{sub.email}"
                queued += _enqueue(cur, key, "data_quality" if ep["kind"] == "data_quality" else "alert",
                                   int(episode_id), int(last["event_id"]), sub.email, sub.language, msg, now)
        cur.execute("UPDATE alert_events SET notified = true WHERE notify AND NOT notified")
    return {"queued": queued, "events": int(len(events)), "skipped_ended": skipped}


def queue_digests(store, config: Config, today: date, now: datetime | None = None) -> dict:
    """The daily digest for subscribers who asked for one: the open alerts of their subscription."""
    now = now or datetime.now()
    queued = 0
    with store.transaction() as cur:
        names, ancestors = _region_tree(cur)
        open_eps = cur.execute(f"SELECT {EPISODE_FIELDS} FROM alert_episodes WHERE ended_on IS NULL"
                               " AND state <> 'closed' ORDER BY episode_id").df()
        for sub in config.subscriptions:
            if not sub.digest:
                continue
            mine = [ep for ep in open_eps.to_dict("records")
                    if sub in subscribers_for(config, ep, ep["notify_severity"], ancestors)]
            msg = compose_digest(episodes=pd.DataFrame(mine, columns=open_eps.columns), day=today, region_names=names,
                                 base_url=config.service.base_url, sender=config.smtp.sender, recipient=sub.email,
                                 language=sub.language)
            queued += _enqueue(cur, f"digest:{today}:{sub.email}", "digest", None, None, sub.email, sub.language,
                               msg, now)
    return {"queued": queued}


def _enqueue(cur, key, kind, episode_id, event_id, recipient, language, msg, now) -> int:
    exists = cur.execute("SELECT count(*) FROM outbox WHERE dedupe_key = ?", [key]).fetchall()[0][0]
    if exists:
        return 0
    cur.execute(
        "INSERT INTO outbox VALUES (nextval('message_ids'), ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, NULL, ?, NULL)",
        [key, kind, episode_id, event_id, recipient, language, str(msg["Subject"]), msg.as_string(), now, now],
    )
    return 1


class _Permanent(Exception):
    pass


def _connect(smtp: SmtpConfig):
    password = secret(smtp.password_env)
    if smtp.security == "ssl":
        conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds,
                                context=ssl.create_default_context())
    else:
        conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        if smtp.security == "starttls":
            conn.starttls(context=ssl.create_default_context())
    if smtp.user:
        conn.login(smtp.user, password or "")
    return conn


def deliver(store, config: Config, now: datetime | None = None, *, smtp: SmtpConfig | None = None) -> dict:
    """Send the queued messages that are due. Returns counts of sent, retried and failed messages."""
    now = now or datetime.now()
    smtp = smtp or smtp_settings(config)
    email = config.email
    cur = store.cursor()
    due = cur.execute("SELECT message_id, recipient, message, attempts FROM outbox WHERE status = 'queued'"
                      " AND next_attempt_at <= ? ORDER BY message_id", [now]).fetchall()
    result = {"sent": 0, "retry": 0, "failed": 0, "error": None}
    if not due or not email.enabled:
        return result
    try:
        conn = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"cannot reach the SMTP server {smtp.host}:{smtp.port}: {exc}"
        for message_id, _, _, attempts in due:
            _record(store, message_id, attempts + 1, "retry", error, now, email, permanent=False)
        result.update(retry=len(due), error=error)
        return result
    try:
        for message_id, recipient, text, attempts in due:
            try:  # the stored message goes out byte for byte
                refused = conn.sendmail(smtp.sender, [recipient], text.encode("utf-8"))
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
            except smtplib.SMTPRecipientsRefused as exc:
                outcome = _record(store, message_id, attempts + 1, "retry", f"recipient refused: {exc.recipients}",
                                  now, email, permanent=True)
                result[outcome] += 1
            except smtplib.SMTPResponseException as exc:
                permanent = 500 <= exc.smtp_code < 600
                outcome = _record(store, message_id, attempts + 1, "retry", f"{exc.smtp_code} {exc.smtp_error!r}",
                                  now, email, permanent=permanent)
                result[outcome] += 1
            except (OSError, smtplib.SMTPException) as exc:  # the connection broke: the rest wait
                error = f"SMTP connection lost: {exc}"
                remaining = [d for d in due if d[0] >= message_id]
                for mid, _, _, att in remaining:
                    _record(store, mid, att + 1, "retry", error, now, email, permanent=False)
                result["retry"] += len(remaining)
                result["error"] = error
                break
            else:
                _record(store, message_id, attempts + 1, "sent", None, now, email)
                result["sent"] += 1
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException, socket.error):
            pass
    return result


def _record(store, message_id, attempt, outcome, error, now, email, permanent: bool = False) -> str:
    with store.transaction() as cur:
        if outcome == "sent":
            cur.execute("UPDATE outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL"
                        " WHERE message_id = ?", [attempt, now, message_id])
        else:
            failed = permanent and attempt >= email.max_attempts
            outcome = "failed" if failed else "retry"
            delay = min(email.backoff_seconds * (2 ** (attempt - 1)), email.max_backoff_seconds)
            cur.execute("UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?"
                        " WHERE message_id = ?",
                        ["failed" if failed else "queued", attempt, now + timedelta(seconds=delay), error, message_id])
        cur.execute("INSERT INTO delivery_log VALUES (?, ?, ?, ?, ?)", [message_id, attempt, now, outcome, error])
    return outcome


def outbox_status(con) -> dict:
    rows = con.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return {status: n for status, n in rows}
