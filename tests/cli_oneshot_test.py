"""End-to-end tests of the one-shot commands that read the stored rows
without building the registry: get, inspect and query no-org-clients
(issue 13). Run by CTest (cli_oneshot_test) like cli_test.py."""
import json
import os
import subprocess
from pathlib import Path

import pytest

HUBREG = os.environ.get("HUBREG_BIN", "hubreg")
DATA = Path(os.environ.get("HUBREG_TEST_DATA", Path(__file__).parent / "data"))
V12 = DATA / "csv-v1.2"
PASSWORD = 'p@ss,word"1'


def run(*args, data=None, check=None):
    """Runs hubreg; returns the CompletedProcess. `check` is the expected exit status."""
    command = [HUBREG] + (["--data", str(data)] if data is not None else [])
    command += [str(a) for a in args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check is not None:
        assert result.returncode == check, (command, result.stdout, result.stderr)
    assert PASSWORD not in result.stderr
    return result


def json_error(result):
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return json.loads(lines[0])


@pytest.fixture
def v12(tmp_path):
    """A data directory holding the v1.2 fixture (in its journal)."""
    data = tmp_path / "v12"
    run("import", V12, data=data, check=0)
    return data


def test_get_finds_a_record_by_each_key_and_hides_the_password(v12):
    by_id = json.loads(run("get", "client", "1", "--json", data=v12, check=0).stdout)
    assert by_id["external_id"] == "ACC-1" and by_id["db_password"] is None
    assert json.loads(run("get", "client", "ACC-1", "--json", data=v12, check=0).stdout) == by_id
    shown = run("get", "client", "ACC-1", "--include-secrets", "--json", data=v12, check=0).stdout
    assert json.loads(shown)["db_password"] == PASSWORD
    text = run("get", "client", "ACC-1", data=v12, check=0).stdout
    assert text.startswith("id:") and "external_id:" in text and PASSWORD not in text
    user = json.loads(run("get", "user", "ANN@example.com", "--json", data=v12, check=0).stdout)
    assert user["external_id"] == "U-1"
    app = json.loads(run("get", "threecolts_app", "key-prod", "--json", data=v12, check=0).stdout)
    assert app["id"] == 2
    org = run("get", "threecolts_organization", "ORG-1", "--app", "key-prod", "--json", data=v12,
              check=0).stdout
    assert json.loads(org)["threecolts_app_id"] == 2


def test_get_errors_have_stable_codes(v12):
    error = json_error(run("get", "user", "nobody", "--json", data=v12, check=1))
    assert error == {"code": "not_found",
                     "message": 'no user row with id, external_id or email "nobody"'}
    error = json_error(run("get", "client", "1", "--by", "external_id", "--json", data=v12,
                           check=1))
    assert error == {"code": "not_found", "message": 'no client row with external_id "1"'}
    error = json_error(run("get", "threecolts_organization", "ORG-1", "--json", data=v12, check=1))
    assert error["code"] == "invalid_argument" and "pass --app KEY" in error["message"]
    error = json_error(run("get", "client", "ACC-1", "--by", "email", "--json", data=v12, check=1))
    assert error["code"] == "invalid_argument"
    assert json_error(run("get", "client_user", "1", "--json", data=v12, check=2))["code"] == "usage"


def test_no_org_clients_lists_the_v10_accounts(v12):
    rows = json.loads(run("query", "no-org-clients", "--json", data=v12, check=0).stdout)
    assert [row["external_id"] for row in rows] == ["ACC-4"]
    assert all("db_password" not in row for row in rows)


def test_queries_see_the_journal_after_the_snapshot(v12):
    run("snapshot", "compact", data=v12, check=0)
    before = json.loads(run("query", "client-users", "ACC-1", "--json", data=v12, check=0).stdout)
    assert before
    # Erase through sync: an export without client ACC-4 (and its links).
    export = v12.parent / "export"
    run("export", export, data=v12, check=0)
    lines = (export / "client.csv").read_text().splitlines(keepends=True)
    (export / "client.csv").write_text("".join(l for l in lines if ",ACC-4," not in l))
    lines = (export / "client_user.csv").read_text().splitlines(keepends=True)
    (export / "client_user.csv").write_text("".join(l for l in lines if not l.startswith("4,")))
    run("sync", export, "--force", data=v12, check=0)
    assert json.loads(run("query", "no-org-clients", "--json", data=v12, check=0).stdout) == []
    error = json_error(run("get", "client", "ACC-4", "--json", data=v12, check=1))
    assert error["code"] == "not_found"
    layout = json.loads(run("inspect", "--json", data=v12, check=0).stdout)
    assert layout["snapshot"]["sequence"] == 1
    assert layout["sequence"] == 2 and layout["counts"]["client"] == 4
    newest = layout["journal"]["listed"][-1]
    assert newest["sequence"] == 2 and not newest["covered"] and newest["mutations"] >= 2


def test_inspect_a_snapshot_file_and_a_damaged_one(v12, tmp_path):
    snap = tmp_path / "backup.snap"
    run("snapshot", "save", snap, data=v12, check=0)
    shown = json.loads(run("inspect", snap, "--json", check=0).stdout)
    assert shown == {"file": str(snap), "format_version": 1, "schema_version": 102, "sequence": 1,
                     "bytes": snap.stat().st_size,
                     "counts": {"threecolts_app": 2, "threecolts_organization": 3, "client": 5,
                                "user": 6, "client_user": 8}}
    text = run("inspect", snap, check=0).stdout
    assert text.startswith(f"snapshot file {snap}\nformat:      version 1, schema v1.2 (102)\n")
    old = json.loads(run("inspect", DATA / "registry-v1.0.snapshot", "--json", check=0).stdout)
    assert old["schema_version"] == 100 and old["counts"]["threecolts_organization"] == 0
    damaged = bytearray(snap.read_bytes())
    damaged[100] ^= 0xFF
    snap.write_bytes(bytes(damaged))
    error = json_error(run("inspect", snap, "--json", check=1))
    assert error["code"] == "corruption"
    assert error["message"].startswith(f"{snap}: checksum mismatch")
    snap.write_bytes(bytes(damaged[:50]))
    error = json_error(run("inspect", snap, "--json", check=1))
    assert error["message"] == (f"{snap}: truncated header: the file has 50 bytes, "
                                "a snapshot header has 80")


def test_inspect_a_data_directory_lists_its_journal(v12):
    text = run("inspect", data=v12, check=0).stdout
    assert text.startswith(f"data directory {v12} at sequence 1\n")
    assert "journal:     1 entries (0 covered by the snapshot)" in text
    assert "sequence  committed_at" in text
    layout = json.loads(run("inspect", "--limit", "1", "--json", data=v12, check=0).stdout)
    assert layout["format_version"] == 3 and layout["schema_version"] == 102
    assert layout["map"]["size"] >= layout["map"]["used"] > 0
    assert layout["map"]["page_size"] >= 4096
    [entry] = layout["journal"]["listed"]
    assert entry["sequence"] == 1 and entry["entry_version"] == 2
    assert entry["mutations"] == 24 and entry["changes"] == 24
    error = json_error(run("inspect", "--json", data=v12.parent / "none", check=1))
    assert error["code"] == "not_found"
