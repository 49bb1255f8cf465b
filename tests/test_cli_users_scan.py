"""`surveillance user add/list` and `surveillance scan-file` as a person runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from surveillance.store import open_store
from surveillance.store.reference import load_reference

from .conftest import small_regions, small_units

REFERENCE = Path(__file__).parents[1].parent / "shared" / "reference" / "satscan" / "n100_d30"


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], input=stdin,
                          capture_output=True, text=True)


@pytest.mark.slow
def test_user_add_and_list(tmp_path):
    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        load_reference(store, small_regions(), small_units())
    added = run("user", "add", "li.wei", "--db", str(db), "--role", "epidemiologist", "--region", "320102",
                "--language", "zh", "--password-stdin", stdin="a long enough secret\n")
    assert added.returncode == 0, added.stderr
    assert "epidemiologist, region 320102" in added.stdout
    listed = run("user", "list", "--db", str(db))
    assert "li.wei\tepidemiologist\t320102\tzh" in listed.stdout
    assert "secret" not in listed.stdout
    refused = run("user", "add", "x", "--db", str(db), "--role", "king", "--password-stdin", stdin="another secret\n")
    assert refused.returncode != 0 and "unknown role 'king'" in refused.stderr and "Traceback" not in refused.stderr
    no_stdin = run("user", "add", "y", "--db", str(db))
    assert "--password-stdin" in no_stdin.stderr


@pytest.mark.slow
def test_user_token_create_list_and_revoke(tmp_path):
    from surveillance.credentials import token_user

    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        load_reference(store, small_regions(), small_units())
    run("user", "add", "li.wei", "--db", str(db), "--role", "viewer", "--region", "320100", "--password-stdin",
        stdin="a long enough secret\n")
    made = run("user", "token", "create", "--user", "li.wei", "--db", str(db), "--region", "320102",
               "--label", "county screen", "--days", "30")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("svt_") and "shown only now" in made.stderr and "token 1 for li.wei (320102" in made.stderr
    with open_store(db, read_only=True) as store:
        assert token_user(store, secret)[0].region == "320102"
    listed = run("user", "token", "list", "--db", str(db)).stdout
    assert listed.startswith("1\tli.wei\t320102\tcounty screen\t") and "active" in listed and secret not in listed
    outside = run("user", "token", "create", "--user", "li.wei", "--db", str(db), "--region", "320000")
    assert outside.returncode == 1 and "outside li.wei's regions" in outside.stderr and "Traceback" not in outside.stderr
    assert "revoked" in run("user", "token", "revoke", "1", "--db", str(db)).stdout
    assert "\trevoked " in run("user", "token", "list", "--db", str(db), "--user", "li.wei").stdout
    with open_store(db, read_only=True) as store:
        assert token_user(store, secret) is None
    missing = run("user", "token", "revoke", "7", "--db", str(db))
    assert missing.returncode == 1 and "no API token 7" in missing.stderr


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference/satscan not beside the checkout")
def test_scan_file_finds_the_injected_cluster(tmp_path):
    coords = pd.read_csv(REFERENCE / "coords.csv").rename(columns={"locid": "region"})
    cases = pd.read_csv(REFERENCE / "cases.csv").rename(columns={"locid": "region"})
    coords.to_csv(tmp_path / "regions.csv", index=False)
    cases[["region", "date", "count"]].to_csv(tmp_path / "counts.csv", index=False)
    out = tmp_path / "clusters.json"
    done = run("scan-file", str(tmp_path / "counts.csv"), "--regions", str(tmp_path / "regions.csv"),
               "--method", "permutation", "--param", "n_reps=99", "--param", "max_days=7", "-o", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    best = document["clusters"][0]
    assert best["n_regions"] == 5 and best["n_days"] == 3
    assert best["p_value"] <= 0.01
    bad = run("scan-file", str(tmp_path / "counts.csv"), "--regions", str(tmp_path / "regions.csv"),
              "--method", "kulldorff", "-o", str(out))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
