"""End-to-end tests of the built `hubreg` binary.

Run by CTest (cli_test) with HUBREG_BIN pointing at the binary and
HUBREG_TEST_DATA at tests/data. Every test uses its own data directories
under pytest's tmp_path; nothing outside it is touched.
"""
import csv
import datetime
import json
import os
import random
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

HUBREG = os.environ.get("HUBREG_BIN", "hubreg")
DATA = Path(os.environ.get("HUBREG_TEST_DATA", Path(__file__).parent / "data"))
V12 = DATA / "csv-v1.2"
V10 = DATA / "csv-v1.0"
BAD = DATA / "csv-bad"
SECRETS = ["s3cret", "p@ss,word", "hunter2", "pw-1", "pw-2"]
TABLES = ["threecolts_app", "threecolts_organization", "client", "user", "client_user"]


def run(*args, data=None, check=None):
    """Runs hubreg; returns the CompletedProcess. `check` is the expected exit status."""
    command = [HUBREG]
    if data is not None:
        command += ["--data", str(data)]
    command += [str(a) for a in args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check is not None:
        assert result.returncode == check, (command, result.stdout, result.stderr)
    for secret in SECRETS:
        assert secret not in result.stderr, (command, result.stderr)
    return result


def stats(data):
    return json.loads(run("stats", "--json", data=data, check=0).stdout)


def counts(data):
    return stats(data)["counts"]


@pytest.fixture
def v12(tmp_path):
    """A data directory holding the v1.2 fixture."""
    data = tmp_path / "v12"
    run("import", V12, data=data, check=0)
    return data


# --- command line ---------------------------------------------------------

def test_every_subcommand_has_help():
    for args in [[], ["import"], ["export"], ["query"], ["query", "user-clients"],
                 ["query", "client-users"], ["query", "org-owner"], ["query", "owned-orgs"],
                 ["query", "org-clients"], ["query", "resolve"], ["snapshot"],
                 ["snapshot", "save"], ["snapshot", "compact"], ["restore"], ["verify"],
                 ["stats"], ["demo"], ["sync"], ["watch"]]:
        result = run(*args, "--help", check=0)
        assert "Usage:" in result.stdout or "Usage" in result.stdout, args


def test_a_wrong_command_line_exits_with_status_2():
    assert run("frobnicate").returncode == 2
    assert run("import").returncode == 2  # PATH missing
    assert run("import", V12, "--format", "xml").returncode == 2
    assert run("query").returncode == 2


def test_reading_a_missing_registry_fails_with_one_line(tmp_path):
    result = run("query", "user-clients", "U-1", data=tmp_path / "none", check=1)
    assert result.stderr == (f"hubreg: no registry in {tmp_path / 'none'} "
                             "(import or restore one first, or pass --data DIR)\n")
    assert result.stdout == ""


def test_global_options_are_accepted_after_the_subcommand(v12):
    result = run("stats", "--json", "--data", v12, check=0)
    assert json.loads(result.stdout)["counts"]["user"] == 6


# --- import ---------------------------------------------------------------

def test_importing_the_v12_fixture_loads_every_table(tmp_path):
    data = tmp_path / "data"
    result = run("import", V12, data=data, check=0)
    assert result.stdout.startswith(
        f"imported 2 apps, 3 organizations, 5 clients, 6 users, 8 links from {V12} (sequence 1) in ")
    assert counts(data) == {"threecolts_app": 2, "threecolts_organization": 3, "client": 5,
                            "user": 6, "client_user": 8}


def test_importing_a_v10_export_gives_clients_without_organization(tmp_path):
    data = tmp_path / "data"
    run("import", V10, data=data, check=0)
    assert counts(data) == {"threecolts_app": 0, "threecolts_organization": 0, "client": 2,
                            "user": 3, "client_user": 4}
    rows = json.loads(run("query", "user-clients", "bob@example.com", "--json",
                          data=data, check=0).stdout)
    assert [(r["external_id"], r["organization"]) for r in rows] == [("ACC-1", None),
                                                                      ("ACC-2", None)]


def test_bad_rows_are_all_reported_and_nothing_is_imported(tmp_path):
    data = tmp_path / "data"
    run("import", V10, data=data, check=0)
    before = stats(data)
    result = run("import", BAD, data=data, check=1)
    lines = result.stderr.splitlines()
    assert lines[-1] == f"hubreg: {BAD}: 18 bad rows, nothing was imported"
    assert stats(data)["counts"] == before["counts"]
    assert stats(data)["last_sequence"] == before["last_sequence"]


def test_no_import_message_shows_a_password(tmp_path):
    """The shapes a fault campaign found leaking: client.csv without its header (COPY ... CSV
    without HEADER), a header whose order does not match the rows, JSONL lines the parser
    refuses. Every row's password is a recognisable secret; no output may hold it."""
    secret = "SuperSecret-cli8"
    with open(V12 / "client.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    for row in body:
        row[header.index("db_password")] = secret + '\t"x,' + row[0]
    swapped = list(header)
    port, password = swapped.index("db_port"), swapped.index("db_password")
    swapped[port], swapped[password] = swapped[password], swapped[port]
    cases = {"no-header": body, "swapped": [swapped] + body}
    for name, content in cases.items():
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "client.csv", "w", newline="") as f:
            csv.writer(f).writerows(content)
    line = ('{"table":"client","id":1,"external_id":"A","db_password":"%s","status":"active",'
            '"created_at":"2025-01-01 00:00:00","updated_at":"2025-01-01 00:00:00"}')
    for name, bad in [("tab", secret + "\t"), ("utf8", secret + "\udcff"),
                      ("escape", secret + "\\q")]:
        (tmp_path / f"{name}.jsonl").write_bytes(
            (line % bad).encode("utf-8", "surrogateescape") + b"\n")
        cases[name] = None
    for name in cases:
        path = tmp_path / name if cases[name] is not None else tmp_path / f"{name}.jsonl"
        options = ["--format", "jsonl"] if cases[name] is None else []
        result = run("import", path, *options, data=tmp_path / f"data-{name}", check=1)
        assert "SuperSecret" not in result.stderr + result.stdout, (name, result.stderr)
        assert "bad row" in result.stderr.splitlines()[-1]
    result = run("import", tmp_path / "no-header", data=tmp_path / "data", check=1)
    assert result.stderr.splitlines()[0].startswith(
        "client.csv:1: header: the first line names no column of table client (expected a "
        "header such as id,threecolts_organization_id,external_id,")


def test_bad_row_messages_are_exact(tmp_path):
    data = tmp_path / "data"
    result = run("import", BAD, data=data, check=1)
    expected = (BAD / "expected-errors.txt").read_text().splitlines()
    assert result.stderr.splitlines() == expected + [
        f"hubreg: {BAD}: {len(expected)} bad rows, nothing was imported"]
    assert result.stdout == ""
    assert not data.exists()  # a refused import into a new directory leaves nothing


def test_importing_the_same_rows_twice_is_refused_whole(v12):
    result = run("import", V12, data=v12, check=1)
    assert "user.csv:2: id: 1 already exists" in result.stderr.splitlines()
    assert result.stderr.splitlines()[-1] == f"hubreg: {V12}: 24 bad rows, nothing was imported"
    assert stats(v12)["last_sequence"] == 1


def test_a_single_table_file_can_be_imported(tmp_path):
    data = tmp_path / "data"
    run("import", V10 / "user.csv", data=data, check=0)
    assert counts(data)["user"] == 3
    result = run("import", tmp_path, data=data, check=1)
    assert result.stderr.startswith(f"hubreg: {tmp_path}: no table files")


# --- sync -----------------------------------------------------------------

def changed_v12(directory):
    """A copy of the v1.2 fixture with one change of each kind: user 4 renamed,
    client 4 (and its link) gone, user 7 new and linked to client 3, the link
    (1, 2) gone, client 2's password rotated."""
    shutil.copytree(V12, directory)
    user = (directory / "user.csv").read_text()
    user = user.replace("4,U-4,dee@example.com,Dee,", "4,U-4,dee@example.com,Dee Renamed,")
    user += "7,U-7,gus@example.com,Gus,active,2025-09-01 10:00:00+00,2025-09-01 10:00:00+00\n"
    (directory / "user.csv").write_text(user)
    client = (directory / "client.csv").read_text().splitlines(keepends=True)
    client = [line for line in client if not line.startswith("4,")]
    client = [line.replace("s3cret-2", "rotated-2") for line in client]
    (directory / "client.csv").write_text("".join(client))
    links = (directory / "client_user.csv").read_text().splitlines(keepends=True)
    links = [line for line in links if not line.startswith(("4,5,", "1,2,"))]
    links.append("3,7,2025-09-01 10:05:00+00\n")
    (directory / "client_user.csv").write_text("".join(links))
    return directory


EXPECTED_CHANGES = {
    "threecolts_app": {"inserted": 0, "updated": 0, "deleted": 0,
                       "keys": {"inserted": [], "updated": [], "deleted": []}},
    "threecolts_organization": {"inserted": 0, "updated": 0, "deleted": 0,
                                "keys": {"inserted": [], "updated": [], "deleted": []}},
    "client": {"inserted": 0, "updated": 1, "deleted": 1,
               "keys": {"inserted": [], "updated": [{"id": 2, "external_id": "ACC-2"}],
                        "deleted": [{"id": 4, "external_id": "ACC-4"}]}},
    "user": {"inserted": 1, "updated": 1, "deleted": 0,
             "keys": {"inserted": [{"id": 7, "external_id": "U-7"}],
                      "updated": [{"id": 4, "external_id": "U-4"}], "deleted": []}},
    "client_user": {"inserted": 1, "updated": 0, "deleted": 2,
                    "keys": {"inserted": [{"client_id": 3, "user_id": 7}], "updated": [],
                             "deleted": sorted([{"client_id": 4, "user_id": 5},
                                                {"client_id": 1, "user_id": 2}],
                                               key=lambda k: (k["client_id"], k["user_id"]))}},
}


def sorted_keys(changes):
    """The changes with each key list in a fixed order (deletes come in hash order)."""
    for table in changes.values():
        for kind, keys in table["keys"].items():
            table["keys"][kind] = sorted(keys, key=lambda k: sorted(k.items()))
    return changes


def test_syncing_the_same_export_twice_writes_nothing_the_second_time(v12, tmp_path):
    result = run("sync", V12, data=v12, check=0)
    assert result.stdout == f"nothing to change: the registry already holds {V12} (sequence 1)\n"
    changed = changed_v12(tmp_path / "changed")
    run("sync", changed, data=v12, check=0)
    assert stats(v12)["last_sequence"] == 2
    again = json.loads(run("sync", changed, "--json", data=v12, check=0).stdout)
    assert again["written"] is False and again["changed_rows"] == 0
    assert again["sequence"] == 2
    assert stats(v12)["last_sequence"] == 2  # no batch, no new sequence number


def test_a_changed_export_gives_exactly_the_expected_difference(v12, tmp_path):
    changed = changed_v12(tmp_path / "changed")
    out = json.loads(run("sync", changed, "--json", data=v12, check=0).stdout)
    assert sorted_keys(out["changes"]) == sorted_keys(EXPECTED_CHANGES)
    assert out["changed_rows"] == 7 and out["written"] is True and out["sequence"] == 2
    exported = tmp_path / "exported"
    run("export", exported, "--include-secrets", data=v12, check=0)
    for table in TABLES:
        assert table_rows(exported, table) == table_rows(changed, table), table


def test_sync_prints_a_table_of_changes(v12, tmp_path):
    changed = changed_v12(tmp_path / "changed")
    lines = run("sync", changed, data=v12, check=0).stdout.splitlines()
    assert lines[:6] == [
        "table                         rows    insert    update    delete",
        "threecolts_app                   2         0         0         0",
        "threecolts_organization          3         0         0         0",
        "client                           5         0         1         1",
        "user                             6         1         1         0",
        "client_user                      8         1         0         2",
    ]
    assert lines[6].startswith(f"synced 7 rows from {changed} as one batch (sequence 2) in ")


def test_dry_run_changes_nothing_and_names_keys_without_passwords(v12, tmp_path):
    changed = changed_v12(tmp_path / "changed")
    text = run("sync", changed, "--dry-run", data=v12, check=0).stdout
    assert text.splitlines()[-1] == "dry run: 7 rows would change; nothing was written"
    result = run("sync", changed, "--dry-run", "--json", data=v12, check=0)
    out = json.loads(result.stdout)
    assert out["dry_run"] is True and out["refused"] is None and out["sequence"] == 1
    assert sorted_keys(out["changes"]) == sorted_keys(EXPECTED_CHANGES)
    for secret in SECRETS + ["rotated-2"]:
        assert secret not in result.stdout and secret not in text
    assert stats(v12)["last_sequence"] == 1
    assert counts(v12)["client"] == 5


def test_an_empty_export_is_stopped_by_the_delete_guard(v12, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for table in TABLES:
        header = (V12 / f"{table}.csv").read_text().splitlines()[0]
        (empty / f"{table}.csv").write_text(header + "\n")
    result = run("sync", empty, data=v12, check=1)
    assert result.stderr == (
        "hubreg: threecolts_app: reconciling would delete 2 of its 2 rows (100%), more than the "
        "limit of 50% of a table; nothing was changed (check that the source is complete, or "
        "force it)\n")
    assert stats(v12)["last_sequence"] == 1 and counts(v12)["user"] == 6
    dry = json.loads(run("sync", empty, "--dry-run", "--json", data=v12, check=1).stdout)
    assert dry["refused"].startswith("threecolts_app: reconciling would delete 2 of its 2 rows")
    run("sync", empty, "--max-delete-ratio", "0.99", data=v12, check=1)
    run("sync", empty, "--force", data=v12, check=0)
    assert set(counts(v12).values()) == {0}


def test_syncing_an_export_without_passwords_keeps_the_stored_ones(v12, tmp_path):
    without = tmp_path / "without"
    run("export", without, data=v12, check=0)
    result = run("sync", without, data=v12, check=0)
    assert result.stdout.startswith("nothing to change"), result.stdout
    kept = tmp_path / "kept"
    run("export", kept, "--include-secrets", data=v12, check=0)
    assert table_rows(kept, "client") == table_rows(V12, "client")
    out = json.loads(run("sync", without, "--clear-empty-passwords", "--json", data=v12,
                         check=0).stdout)
    with_password = [row for row in table_rows(V12, "client") if row["db_password"]]
    assert out["changes"]["client"]["updated"] == len(with_password) > 0
    cleared = tmp_path / "cleared"
    run("export", cleared, "--include-secrets", data=v12, check=0)
    assert all(not row["db_password"] for row in table_rows(cleared, "client"))


def test_sync_lists_bad_rows_as_import_does_and_changes_nothing(v12):
    result = run("sync", BAD, data=v12, check=1)
    expected = (BAD / "expected-errors.txt").read_text().splitlines()
    assert result.stderr.splitlines() == expected + [
        f"hubreg: {BAD}: {len(expected)} bad rows, nothing was changed"]
    assert stats(v12)["last_sequence"] == 1


def test_sync_reads_jsonl_too(v12, tmp_path):
    exported = tmp_path / "jsonl"
    run("export", exported, "--format", "jsonl", "--include-secrets", data=v12, check=0)
    result = run("sync", exported, "--format", "jsonl", data=v12, check=0)
    assert result.stdout.startswith("nothing to change")
    user = exported / "user.jsonl"
    user.write_text(user.read_text().replace('"name":"Dee"', '"name":"Dee J"'))
    out = json.loads(run("sync", exported, "--format", "jsonl", "--json", data=v12,
                         check=0).stdout)
    assert out["changes"]["user"]["keys"]["updated"] == [{"id": 4, "external_id": "U-4"}]
    assert out["changed_rows"] == 1


def test_sync_into_a_new_directory_loads_the_export(tmp_path):
    data = tmp_path / "data"
    assert run("sync", V12, "--dry-run", data=data, check=0).stdout.splitlines()[-1] == \
        "dry run: 24 rows would change; nothing was written"
    assert not data.exists()
    run("sync", V10, data=data, check=0)
    assert counts(data) == {"threecolts_app": 0, "threecolts_organization": 0, "client": 2,
                            "user": 3, "client_user": 4}
    assert run("sync", V10, data=data, check=0).stdout.startswith("nothing to change")
    assert run("sync", V12, "--max-delete-ratio", "2", data=data).returncode == 2


# --- export and round trip ------------------------------------------------

def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(
        tzinfo=None) if "+" not in text and "Z" not in text else \
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(
            datetime.timezone.utc).replace(tzinfo=None)


def table_rows(directory, table):
    """The rows of a CSV table file, timestamps normalised to UTC."""
    path = directory / f"{table}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column in ("created_at", "updated_at"):
            if column in row:
                row[column] = timestamp(row[column])
    return sorted(rows, key=lambda row: [str(v) for v in row.values()])


def test_export_then_import_is_a_round_trip(v12, tmp_path):
    out1, out2 = tmp_path / "out1", tmp_path / "out2"
    result = run("export", out1, "--include-secrets", data=v12, check=0)
    assert result.stdout.startswith(
        f"exported 2 apps, 3 organizations, 5 clients, 6 users, 8 links to {out1} (csv, with passwords)")
    for table in TABLES:
        assert table_rows(out1, table) == table_rows(V12, table), table
    data2 = tmp_path / "again"
    run("import", out1, data=data2, check=0)
    run("export", out2, "--include-secrets", data=data2, check=0)
    for table in TABLES:
        assert (out1 / f"{table}.csv").read_bytes() == (out2 / f"{table}.csv").read_bytes()


def test_jsonl_export_imports_back_to_the_same_rows(v12, tmp_path):
    run("export", tmp_path / "jsonl", "--format", "jsonl", "--include-secrets", data=v12, check=0)
    first = json.loads((tmp_path / "jsonl" / "user.jsonl").read_text().splitlines()[0])
    assert first == {"table": "user", "id": 1, "external_id": "U-1", "email": "ann@example.com",
                     "name": "Ann Østergaard", "status": "active",
                     "created_at": "2025-03-02T10:00:00Z", "updated_at": "2025-03-02T10:00:00Z"}
    data2 = tmp_path / "again"
    run("import", tmp_path / "jsonl", "--format", "jsonl", data=data2, check=0)
    run("export", tmp_path / "csv", "--include-secrets", data=data2, check=0)
    for table in TABLES:
        assert table_rows(tmp_path / "csv", table) == table_rows(V12, table), table


def test_export_leaves_passwords_empty_without_include_secrets(v12, tmp_path):
    out = tmp_path / "out"
    result = run("export", out, data=v12, check=0)
    assert "passwords left empty" in result.stdout
    text = (out / "client.csv").read_text()
    for secret in SECRETS:
        assert secret not in text
    assert all(row["db_password"] == "" for row in table_rows(out, "client"))
    again = run("export", out, data=v12, check=1)
    assert again.stderr == (f"hubreg: {out / 'threecolts_app.csv'} already exists "
                            "(pass --force to overwrite)\n")
    run("export", out, "--force", data=v12, check=0)


# --- queries ----------------------------------------------------------------

def test_user_clients_table_and_json(v12):
    table = run("query", "user-clients", "ann@example.com", data=v12, check=0).stdout
    assert table == (
        "id  external_id  name         organization  status    linked_at\n"
        "--  -----------  -----------  ------------  --------  --------------------\n"
        "1   ACC-1        Acme EU      ORG-1         active    2025-03-06T09:00:00Z\n"
        "2   ACC-2        Acme US      ORG-1         disabled  2025-03-06T09:00:00Z\n"
        "5   ACC-5        Acme \"Prod\"  ORG-1         active    2025-03-06T09:25:00Z\n"
        "(3 rows)\n")
    rows = json.loads(run("query", "user-clients", "U-1", "--json", data=v12, check=0).stdout)
    assert rows[0] == {"id": 1, "external_id": "ACC-1", "name": "Acme EU", "organization": "ORG-1",
                       "status": "active", "linked_at": "2025-03-06T09:00:00Z"}
    assert len(rows) == 3


def test_client_users_table_and_json(v12):
    table = run("query", "client-users", "ACC-1", data=v12, check=0).stdout
    assert table == (
        "id  external_id  email            name                     status    linked_at\n"
        "--  -----------  ---------------  -----------------------  --------  --------------------\n"
        "1   U-1          ann@example.com  Ann Østergaard           active    2025-03-06T09:00:00Z\n"
        "2   U-2          bob@example.com  Bob \"The Builder\" Brown  active    2025-03-06T09:05:00Z\n"
        "4   U-4          dee@example.com  Dee                      disabled  2025-03-06T09:15:00Z\n"
        "(3 rows)\n")
    rows = json.loads(run("query", "client-users", "ACC-4", "--json", data=v12, check=0).stdout)
    assert rows == [{"id": 5, "external_id": "U-5", "email": "Eve@Example.com", "name": "",
                     "status": "active", "linked_at": "2025-03-06T09:20:00Z"}]


def test_org_owner_needs_app_when_ambiguous(v12):
    result = run("query", "org-owner", "ORG-1", data=v12, check=1)
    assert result.stderr == ("hubreg: organization \"ORG-1\" exists in apps key-prod, key-stage: "
                             "pass --app KEY\n")
    table = run("query", "org-owner", "ORG-1", "--app", "key-prod", data=v12, check=0).stdout
    assert table == ("organization: ORG-1\n"
                     "app:          key-prod\n"
                     "owner_id:     1\n"
                     "external_id:  U-1\n"
                     "email:        ann@example.com\n"
                     "name:         Ann Østergaard\n"
                     "status:       active\n")
    owner = json.loads(run("query", "org-owner", "ORG-2", "--json", data=v12, check=0).stdout)
    assert owner == {"organization": "ORG-2", "app": "key-prod", "owner_id": 2,
                     "external_id": "U-2", "email": "bob@example.com",
                     "name": "Bob \"The Builder\" Brown", "status": "active"}


def test_owned_orgs_table_and_json(v12):
    table = run("query", "owned-orgs", "U-1", data=v12, check=0).stdout
    assert table == ("id  external_id  name        app        clients\n"
                     "--  -----------  ----------  ---------  -------\n"
                     "1   ORG-1        Acme Stage  key-stage  2\n"
                     "3   ORG-1        Acme Prod   key-prod   1\n"
                     "(2 rows)\n")
    rows = json.loads(run("query", "owned-orgs", "cid@example.com", "--json",
                          data=v12, check=0).stdout)
    assert rows == []


def test_org_clients_table_and_json_never_show_passwords(v12):
    table = run("query", "org-clients", "ORG-1", "--app", "key-stage", data=v12, check=0).stdout
    assert table == ("id  external_id  name     status    db_host       db_port  db_name\n"
                     "--  -----------  -------  --------  ------------  -------  -------\n"
                     "1   ACC-1        Acme EU  active    db1.internal  5432     acme_eu\n"
                     "2   ACC-2        Acme US  disabled  db2.internal  5432     acme_us\n"
                     "(2 rows)\n")
    rows = json.loads(run("query", "org-clients", "ORG-2", "--json", data=v12, check=0).stdout)
    assert rows == [{"id": 3, "external_id": "ACC-3", "name": "Builders", "status": "active",
                     "db_host": "db3.internal", "db_port": 6432, "db_name": "builders"}]
    for secret in SECRETS:
        assert secret not in table


def test_resolve_allows_routes_and_refuses(v12):
    table = run("query", "resolve", "--account", "ACC-1", "--user", "U-1", data=v12, check=0).stdout
    assert table == ("verdict:      allowed\n"
                     "account:      ACC-1\n"
                     "user:         U-1\n"
                     "organization: ORG-1\n"
                     "db_host:      db1.internal\n"
                     "db_port:      5432\n"
                     "db_name:      acme_eu\n"
                     "db_user:      svc_acme\n")
    refused = json.loads(run("query", "resolve", "--account", "ACC-3", "--user", "ann@example.com",
                             "--json", data=v12, check=0).stdout)
    assert refused == {"verdict": "no link", "account": "ACC-3", "user": "ann@example.com",
                       "organization": None, "db_host": None, "db_port": None, "db_name": None,
                       "db_user": None}
    wrong_org = json.loads(run("query", "resolve", "--account", "ACC-1", "--user", "U-1",
                               "--org", "ORG-2", "--json", data=v12, check=0).stdout)
    assert wrong_org["verdict"] == "wrong organization"
    disabled = json.loads(run("query", "resolve", "--account", "ACC-2", "--user", "U-1",
                              "--json", data=v12, check=0).stdout)
    assert disabled["verdict"] == "account disabled"


def test_unknown_keys_fail_with_one_line(v12):
    assert run("query", "user-clients", "nobody", data=v12, check=1).stderr == \
        "hubreg: no user with external id or email \"nobody\"\n"
    assert run("query", "client-users", "ACC-99", data=v12, check=1).stderr == \
        "hubreg: no client with external id \"ACC-99\"\n"
    assert run("query", "org-clients", "ORG-1", "--app", "nope", data=v12, check=1).stderr == \
        "hubreg: no app with key \"nope\"\n"


# --- snapshots, restore, verify, stats ----------------------------------------

def test_snapshot_save_verify_restore(v12, tmp_path):
    snapshot = tmp_path / "backup.snap"
    saved = run("snapshot", "save", snapshot, data=v12, check=0)
    assert saved.stdout.startswith(f"saved snapshot {snapshot}: sequence 1, ")
    verified = run("verify", snapshot, check=0)
    assert verified.stdout.startswith(f"{snapshot}: ok (")
    assert "6 users, 5 clients, 8 links" in verified.stdout

    restored = tmp_path / "restored"
    run("restore", snapshot, data=restored, check=0)
    assert counts(restored) == counts(v12)
    assert run("query", "user-clients", "U-1", data=restored, check=0).stdout == \
        run("query", "user-clients", "U-1", data=v12, check=0).stdout
    run("verify", data=restored, check=0)

    refused = run("restore", snapshot, data=restored, check=1)
    assert refused.stderr.startswith("hubreg: ")
    assert len(refused.stderr.splitlines()) == 1
    # Sequences never go back in a data directory: the replaced registry was
    # at 1, so the restored one continues at 2 (and says so).
    forced = run("restore", snapshot, "--force", data=restored, check=0)
    assert "(sequence 2, 6 users, 5 clients, 8 links)" in forced.stdout
    assert counts(restored) == counts(v12)


def test_a_damaged_snapshot_is_refused_and_changes_nothing(v12, tmp_path):
    snapshot = tmp_path / "backup.snap"
    run("snapshot", "save", snapshot, data=v12, check=0)
    damaged = tmp_path / "damaged.snap"
    raw = bytearray(snapshot.read_bytes())
    raw[len(raw) // 2] ^= 0x5A
    damaged.write_bytes(bytes(raw))
    result = run("verify", damaged, check=1)
    assert result.stderr.startswith("hubreg: ")
    assert len(result.stderr.splitlines()) == 1

    truncated = tmp_path / "truncated.snap"
    truncated.write_bytes(snapshot.read_bytes()[: len(raw) - 10])
    assert run("verify", truncated).returncode == 1

    target = tmp_path / "target"
    run("import", V10, data=target, check=0)
    before = stats(target)
    assert run("restore", damaged, "--force", data=target).returncode == 1
    assert stats(target)["counts"] == before["counts"]
    empty = tmp_path / "empty"
    assert run("restore", damaged, data=empty).returncode == 1


def test_a_damaged_data_directory_fails_verify_with_one_line(v12):
    run("verify", data=v12, check=0)
    mdb = v12 / "data.mdb"
    os.truncate(mdb, mdb.stat().st_size // 2)
    for args in (["verify"], ["stats"], ["query", "user-clients", "U-1"]):
        result = run(*args, data=v12, check=1)
        assert result.stderr.startswith("hubreg: ") and len(result.stderr.splitlines()) == 1
        assert result.stdout == ""


def test_compact_and_stats(v12):
    run("snapshot", "compact", data=v12, check=0)
    s = stats(v12)
    assert s["last_sequence"] == 1
    assert s["snapshot_sequence"] == 1
    assert s["journal_batches"] == 0
    assert s["rss_bytes"] > 0
    text = run("stats", data=v12, check=0).stdout
    assert text.startswith(f"registry {v12} at sequence 1\nrows:\n")
    assert "  client_user              8\n" in text
    for label in ("snapshot:", "journal:", "open time:", "memory:"):
        assert label in text
    run("verify", data=v12, check=0)


# --- kill -9 during an import -----------------------------------------------

BULK_LINKS = 20000


def write_large_export(directory, users=5000, clients=500, links=BULK_LINKS, seed=7):
    """A valid v1.0-style export with ids from 1000 up, so it adds to the fixture."""
    directory.mkdir()
    rng = random.Random(seed)
    ts = "2025-05-05 05:05:05+00"
    with open(directory / "user.csv", "w") as f:
        f.write("id,external_id,email,name,status,created_at,updated_at\n")
        for i in range(1000, 1000 + users):
            f.write(f"{i},BU-{i},bulk{i}@example.com,\"Bulk, User {i}\",active,{ts},{ts}\n")
    with open(directory / "client.csv", "w") as f:
        f.write("id,external_id,name,db_host,db_port,db_name,db_user,db_password,status,"
                "created_at,updated_at\n")
        for i in range(1000, 1000 + clients):
            f.write(f"{i},BC-{i},Bulk client {i},db{i}.internal,5432,bulk{i},svc,pw{i},active,"
                    f"{ts},{ts}\n")
    pairs = set()
    while len(pairs) < links:
        pairs.add((rng.randrange(1000, 1000 + clients), rng.randrange(1000, 1000 + users)))
    with open(directory / "client_user.csv", "w") as f:
        f.write("client_id,user_id,created_at\n")
        for c, u in sorted(pairs):
            f.write(f"{c},{u},{ts}\n")


def command_process(hubreg):
    """A pidfd of the process in which `hubreg` (a Popen) runs its command
    (tools/supervisor.h), once it has started it; None if hubreg ended first."""
    children = Path(f"/proc/{hubreg.pid}/task/{hubreg.pid}/children")
    deadline = time.monotonic() + 60
    while hubreg.poll() is None:
        pids = children.read_text().split()
        if pids:
            try:
                return os.pidfd_open(int(pids[0]))
            except ProcessLookupError:  # ended already
                return None
        assert time.monotonic() < deadline, "hubreg started no child process in 60 s"
        time.sleep(0.005)
    return None


def test_an_import_killed_at_any_moment_leaves_the_registry_as_it_was(v12, tmp_path):
    big = tmp_path / "big"
    write_large_export(big)
    before = stats(v12)
    start = time.monotonic()
    full = tmp_path / "timing"
    run("import", big, data=full, check=0)
    duration = time.monotonic() - start
    for fraction in (0.1, 0.35, 0.6, 0.8, 0.95):
        start = time.monotonic()
        child = subprocess.Popen([HUBREG, "--data", str(v12), "-q", "import", str(big)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        command = command_process(child)
        time.sleep(max(0.0, start + duration * fraction - time.monotonic()))
        child.send_signal(signal.SIGKILL)
        child.wait()
        # The command dies with hubreg (PR_SET_PDEATHSIG), but a moment later: until
        # then it still holds the data directory, and the next import would be refused.
        if command is not None:
            ended, _, _ = select.select([command], [], [], 60)
            os.close(command)
            assert ended, "hubreg's command outlived it by 60 s"
        after = stats(v12)
        assert after["last_sequence"] in (before["last_sequence"], before["last_sequence"] + 1)
        if after["last_sequence"] == before["last_sequence"]:
            assert after["counts"] == before["counts"], fraction
        else:  # the kill came after the commit: all of it is there
            assert after["counts"]["client_user"] == before["counts"]["client_user"] + BULK_LINKS
            return
        run("verify", data=v12, check=0)
    run("import", big, data=v12, check=0)
    assert counts(v12)["client_user"] == before["counts"]["client_user"] + BULK_LINKS
    run("verify", data=v12, check=0)


# --- demo ---------------------------------------------------------------------

def test_demo_with_tiny_sizes_reports_every_lookup_kind():
    result = run("demo", "--users", 3000, "--clients", 300, "--organizations", 30,
                 "--links", 9000, "--seconds", 0.05, "--json", check=0)
    report = json.loads(result.stdout)
    assert report["counts"] == {"threecolts_app": 2, "threecolts_organization": 30,
                                "client": 300, "user": 3000, "client_user": 9000}
    assert [k["kind"] for k in report["lookups"]] == [
        "user-clients (by email)", "client-users", "org-owner", "org-clients", "owned-orgs",
        "resolve (access check)"]
    assert all(k["per_second"] > 0 for k in report["lookups"])
    assert report["reopen_seconds"] > 0
    text = run("demo", "--users", 1000, "--clients", 100, "--organizations", 10,
               "--links", 2000, "--seconds", 0.02, check=0).stdout
    assert "lookups/s" in text and "start-up:" in text


# --- a command line that helps: names, versions, JSON errors -----------------

ROOT = Path(__file__).resolve().parent.parent
STATS_KEYS = ["data", "counts", "last_sequence", "snapshot_sequence", "snapshot_bytes",
              "journal_batches", "journal_bytes", "map_size", "map_used", "open_seconds",
              "compactions", "last_compaction_error", "retired_registries", "commit_signal",
              "replacements", "copies", "last_refresh_error", "rss_bytes", "peak_rss_bytes",
              "follow"]


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    import re
    return re.search(r"project\(hubreg VERSION ([0-9.]+)", text).group(1)


def json_error(result):
    """The one JSON object a failed command prints on stderr under --json."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    error = json.loads(lines[0])
    assert set(error) <= {"code", "message", "details"}, error
    return error


def test_version_is_the_project_version():
    result = run("--version", check=0)
    assert result.stdout == f"hubreg {project_version()}\n"


def test_a_mistyped_command_is_named_with_the_closest_choices(tmp_path):
    result = run("querry", check=2)
    assert result.stderr == ("hubreg: unknown command 'querry'; did you mean 'query'? "
                             "(see hubreg --help)\n")
    result = run("query", "user-client", "U-1", data=tmp_path, check=2)
    assert result.stderr == ("hubreg: unknown command 'query user-client'; did you mean "
                             "'query user-clients'? (see hubreg query --help)\n")
    assert "did you mean 'snapshot save'?" in run("snapshot", "sav", "x", check=2).stderr
    assert "did you mean 'stats'?" in run("--json", "stat", check=2).stderr
    # An option's value is not taken for a command.
    assert "'querry'" in run("--data", "query", "querry", check=2).stderr
    # After an unknown option, CLI11's message names it.
    result = run("--dta", "x", "stats", check=2)
    assert "unknown command" not in result.stderr and "--dta" in result.stderr
    result = run("frobnicate", check=2)
    assert result.stderr.startswith("hubreg: unknown command 'frobnicate'; the commands are: "
                                    "import, export, sync, follow, query, snapshot, restore, "
                                    "verify, stats, demo")
    # Several near names are all offered, nearest first.
    assert ("did you mean one of 'query org-owner', 'query org-clients'?"
            in run("query", "org-", "X", check=2).stderr)


def test_with_json_every_error_is_one_object_with_a_stable_code(tmp_path, v12):
    error = json_error(run("--json", "querry", check=2))
    assert error["code"] == "unknown_command"
    assert error["message"].startswith("unknown command 'querry'; did you mean 'query'?")
    error = json_error(run("import", "--json", check=2))
    assert error == {"code": "usage", "message": "PATH is required (see hubreg import --help)"}
    error = json_error(run("query", "--json", check=2))
    assert error == {"code": "usage", "message": (
        "a command is needed after 'query': user-clients, client-users, org-owner, owned-orgs, "
        "org-clients, no-org-clients, resolve (see hubreg query --help)")}
    assert run(check=2).stderr.startswith("hubreg: a command is needed: import, export, sync")
    error = json_error(run("stats", "--json", data=tmp_path / "none", check=1))
    assert error["code"] == "not_found"
    assert error["message"].startswith(f"no registry in {tmp_path / 'none'}")
    error = json_error(run("query", "user-clients", "nobody", "--json", data=v12, check=1))
    assert error["code"] == "not_found"
    # The bad rows of an import are details of the one object, not lines before it.
    error = json_error(run("import", BAD, "--json", data=tmp_path / "bad", check=1))
    assert error["code"] == "invalid_argument"
    assert error["message"].endswith("bad rows, nothing was imported")
    assert "user.csv:3: email: \"not-an-email\" is not an email address" in error["details"]
    # Without --json the same failures stay one line of text.
    assert run("stats", data=tmp_path / "none", check=1).stderr.startswith("hubreg: no registry")


def test_a_snapshot_file_given_as_data_is_recognised(v12, tmp_path):
    snap = tmp_path / "backup.snap"
    run("snapshot", "save", snap, data=v12, check=0)
    for args in (["stats"], ["query", "user-clients", "U-1"], ["import", V12],
                 ["snapshot", "compact"]):
        result = run(*args, data=snap, check=1)
        assert result.stderr == (
            f"hubreg: --data {snap} is a snapshot file, not a data directory: load it into one "
            f"with `hubreg restore {snap} --data DIR`, or check it with `hubreg verify {snap}`\n"
        ), args
    assert json_error(run("stats", "--json", data=snap, check=1))["code"] == "invalid_argument"
    other = tmp_path / "notes.txt"
    other.write_text("not a registry\n")
    assert run("stats", data=other, check=1).stderr == (
        f"hubreg: --data {other} is a file, not a data directory (pass --data DIR)\n")
    assert snap.stat().st_size > 0 and other.read_text() == "not a registry\n"


def test_stats_json_has_every_store_stats_field(v12):
    s = stats(v12)
    assert list(s) == STATS_KEYS
    assert s["compactions"] == 0
    assert s["last_compaction_error"] == ""
    assert s["retired_registries"] == 0
    assert run("stats", "--format", "json", data=v12, check=0).stdout.startswith('{"data":')


def parse_prometheus(text):
    """{name: {"help", "type", "samples": {labels: value}}} from the text format."""
    families = {}
    for line in text.splitlines():
        assert line, "no empty lines"
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name, rest = line[7:].split(" ", 1)
            families.setdefault(name, {"samples": {}})[line[2:6].lower()] = rest
            continue
        assert not line.startswith("#"), line
        series, value = line.rsplit(" ", 1)
        name, _, labels = series.partition("{")
        assert name in families, f"sample before HELP/TYPE: {line}"
        families[name]["samples"][labels.rstrip("}")] = float(value)
    return families


def test_stats_in_prometheus_format_matches_the_json(v12):
    s = stats(v12)
    result = run("stats", "--format", "prometheus", data=v12, check=0)
    assert result.stderr == ""
    families = parse_prometheus(result.stdout)
    path = f'path="{v12}"'
    for name, family in families.items():
        assert family["help"] and family["type"] in ("gauge", "counter"), name
        assert (family["type"] == "counter") == name.endswith("_total"), name
    rows = families["hubreg_rows"]["samples"]
    assert {k: int(v) for k, v in rows.items()} == {
        f'{path},table="{table}"': n for table, n in s["counts"].items()}
    expected = {"hubreg_last_sequence": s["last_sequence"],
                "hubreg_snapshot_sequence": s["snapshot_sequence"],
                "hubreg_snapshot_bytes": s["snapshot_bytes"],
                "hubreg_journal_batches": s["journal_batches"],
                "hubreg_journal_bytes": s["journal_bytes"],
                "hubreg_map_size_bytes": s["map_size"],
                "hubreg_map_used_bytes": s["map_used"],
                "hubreg_compactions_total": s["compactions"],
                "hubreg_last_compaction_failed": 0,
                "hubreg_retired_registries": s["retired_registries"]}
    for name, value in expected.items():
        assert families[name]["samples"] == {path: value}, name
    assert families["hubreg_open_seconds"]["samples"][path] >= 0
    # One family per StoreStats field: the JSON keys less data, memory and follow.
    assert len(families) == len(STATS_KEYS) - 4
    assert run("stats", "--format", "xml", data=v12, check=2)


def test_stats_reports_the_peak_the_kernel_counts(tmp_path):
    # A registry large enough that the copy the store builds in the background
    # (its standby) weighs: the peak is reached when it is finished.
    run("demo", "--users", 30000, "--clients", 3000, "--organizations", 30, "--links", 120000,
        "--seconds", 0.01, "--keep", tmp_path / "demo", "-q", check=0)
    data = tmp_path / "demo" / "data"
    # The kernel's peak for hubreg and its child, from a process that ran only them.
    probe = ("import json, resource, subprocess, sys\n"
             "out = subprocess.run(sys.argv[1:], capture_output=True, check=True).stdout\n"
             "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
             "print(json.dumps({'stats': json.loads(out), 'peak': peak}))\n")
    measured = json.loads(subprocess.run(
        ["/usr/bin/python3", "-c", probe, HUBREG, "--data", str(data), "stats", "--json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    s = measured["stats"]
    assert s["peak_rss_bytes"] >= s["rss_bytes"] > 0
    # Loading read the whole snapshot; the registry it decodes is larger still.
    assert s["peak_rss_bytes"] >= s["snapshot_bytes"]
    # What the command reports is the kernel's figure, give or take what
    # printing the report needed. Under AddressSanitizer the supervising
    # parent's leak check runs at its exit, after the report, and raises its
    # peak by about 9 MB; once the registry is small enough (issue 12's
    # arrays) that parent's peak is the kernel's figure.
    sanitized = "address" in os.environ.get("HUBREG_SANITIZE", "")
    slack = max(1 << 20, measured["peak"] // 50) + ((16 << 20) if sanitized else 0)
    assert s["peak_rss_bytes"] <= measured["peak"]
    assert measured["peak"] - s["peak_rss_bytes"] <= slack, measured
# --- watch ------------------------------------------------------------------

class Watcher:
    """`hubreg watch` running beside the test; its stdout read line by line
    (by a thread, so that a line waits in a queue, not in a pipe buffer) with
    a generous deadline per line."""

    def __init__(self, data, *args):
        import queue
        import threading
        self.process = subprocess.Popen(
            [HUBREG, "--data", str(data), "watch", *[str(a) for a in args]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # end of output

    def line(self, timeout=60):
        import queue
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from hubreg watch in time") from None
        assert line is not None, ("hubreg watch ended", self.process.wait())
        return line

    def stop(self, signum):
        """Sends `signum`; returns the exit status, the lines not read yet and stderr."""
        self.process.send_signal(signum)
        status = self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        err = self.process.stderr.read()
        for secret in SECRETS:
            assert secret not in err
        return status, "".join(rest), err

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


@pytest.fixture
def watcher():
    started = []

    def start(data, *args):
        started.append(Watcher(data, *args))
        return started[-1]
    yield start
    for w in started:
        w.kill()


def moved_v12(directory, n):
    """The v1.2 fixture with client 1 moved to host moved<n>.internal."""
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(V12, directory)
    client = (directory / "client.csv").read_text()
    (directory / "client.csv").write_text(client.replace("1,1,ACC-1,Acme EU,db1.internal,",
                                                         f"1,1,ACC-1,Acme EU,moved{n}.internal,"))
    return directory


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_watch_prints_each_batch_once_in_order_and_ends_cleanly_on_a_signal(
        v12, tmp_path, watcher, signum):
    w = watcher(v12, "--since", 1, "--json")
    for n in range(1, 6):
        run("sync", moved_v12(tmp_path / "moved", n), data=v12, check=0)
    for n in range(1, 6):
        batch = json.loads(w.line())
        assert batch["event"] == "batch"
        assert batch["sequence"] == 1 + n
        datetime.datetime.strptime(batch["committed_at"][:19], "%Y-%m-%dT%H:%M:%S")
        assert batch["committed_at"].endswith("Z")
        [change] = batch["changes"]
        assert change["table"] == "client" and change["op"] == "update"
        assert change["before"]["id"] == 1 and change["after"]["id"] == 1
        assert change["after"]["db_host"] == f"moved{n}.internal"
        assert change["before"]["db_password"] is None
        assert change["after"]["db_password"] is None
        assert "access" not in batch
    status, rest, _ = w.stop(signum)
    assert status == 0
    assert rest == ""  # no batch twice, none beyond the writer's


def test_watch_without_since_prints_only_new_batches_and_can_show_text(v12, tmp_path, watcher):
    w = watcher(v12)
    # The watcher may still be opening the directory: keep writing until it
    # shows a batch; every later one must then follow in order.
    n = 0
    while True:
        n += 1
        run("sync", moved_v12(tmp_path / "moved", n), data=v12, check=0)
        try:
            first = w.line(timeout=2)
            break
        except AssertionError:
            assert n < 30, "hubreg watch showed none of 30 batches"
    first_sequence = int(first.split()[1])
    assert first_sequence >= 2
    assert first.split(": ", 1)[1] == "1 change: client 1 update\n"
    n += 1
    run("sync", moved_v12(tmp_path / "moved", n), data=v12, check=0)
    assert w.line().startswith(f"batch {first_sequence + 1} at ")
    assert w.stop(signal.SIGINT)[0] == 0


def test_watch_shows_passwords_only_with_include_secrets_and_access_on_request(
        v12, tmp_path, watcher):
    changed = changed_v12(tmp_path / "changed")  # rotates client 2's password
    run("sync", changed, data=v12, check=0)
    hidden = watcher(v12, "--since", 1, "--json", "--access")
    line = hidden.line()
    for secret in SECRETS + ["rotated-2"]:
        assert secret not in line
    batch = json.loads(line)
    assert batch["sequence"] == 2
    assert {(c["table"], c["op"]) for c in batch["changes"]} >= {
        ("client", "update"), ("client", "delete"), ("user", "insert"),
        ("client_user", "delete"), ("client_user", "insert")}
    # (Which pairs and accounts: the feed's own tests; here only that they are shown.)
    assert isinstance(batch["access"], list) and isinstance(batch["connection_changed"], list)
    assert hidden.stop(signal.SIGTERM)[0] == 0

    shown = watcher(v12, "--since", 1, "--json", "--include-secrets")
    batch = json.loads(shown.line())
    [client2] = [c for c in batch["changes"]
                 if c["table"] == "client" and c["op"] == "update"]
    assert client2["before"]["db_password"] == "s3cret-2"
    assert client2["after"]["db_password"] == "rotated-2"
    assert shown.stop(signal.SIGINT)[0] == 0


def test_watch_since_a_batch_no_longer_kept_prints_a_resync_and_exits_3(v12, tmp_path):
    run("sync", moved_v12(tmp_path / "moved", 1), data=v12, check=0)
    snapshot = tmp_path / "snap.hubreg"
    run("snapshot", "save", snapshot, data=v12, check=0)
    restored = tmp_path / "restored"
    run("restore", snapshot, data=restored, check=0)  # a journal without batches 1 and 2
    result = run("watch", "--since", 0, "--json", data=restored, check=3)
    [line] = result.stdout.splitlines()
    resync = json.loads(line)
    assert resync["event"] == "resync"
    assert resync["restart_sequence"] == 2
    assert "batch 1" in resync["message"]
    text = run("watch", "--since", 0, data=restored, check=3)
    assert text.stdout.startswith("resync required: ")


# --- follow -------------------------------------------------------------------

class Lines:
    """A `hubreg` command running beside the test, one of its outputs read line
    by line (by a thread) with a generous deadline per line."""

    def __init__(self, *args, stream):
        import queue
        import threading
        self.process = subprocess.Popen([HUBREG, *[str(a) for a in args]], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, args=(getattr(self.process, stream),),
                                       daemon=True)
        self.reader.start()

    def _read(self, source):
        for line in source:
            self.lines.put(line)

    def line(self, timeout=60):
        import queue
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from hubreg in time") from None

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


UNREACHABLE = "postgresql://nobody@%2Fnonexistent/db"  # a socket that does not exist


def test_a_signal_sent_as_soon_as_the_command_has_started_is_passed_on(tmp_path):
    # hubreg runs the command in a child process (tools/supervisor.h), which can
    # start and print before hubreg itself runs again after the fork.
    for attempt in range(5):
        follower = Lines("--data", tmp_path / "data", "follow", UNREACHABLE, stream="stdout")
        try:
            assert follower.line().startswith("disconnected: ")
            follower.process.send_signal(signal.SIGTERM)
            # Stopped cleanly by the command, not ended by the signal.
            assert follower.process.wait(timeout=60) == 0, attempt
        finally:
            follower.kill()


def test_follow_stopped_while_it_waits_for_the_writer_lock_stops_once_it_has_it(tmp_path):
    data = tmp_path / "data"
    # A follower that holds the data directory, retrying the source.
    holder = Lines("--data", data, "follow", UNREACHABLE, stream="stdout")
    waiter = None
    try:
        assert holder.line().startswith("disconnected: ")
        waiter = Lines("--data", data, "follow", UNREACHABLE, "--lock-wait", 600, stream="stderr")
        assert waiter.line().startswith("hubreg: waiting for the writer lock held by pid ")
        waiter.process.send_signal(signal.SIGTERM)
        holder.process.send_signal(signal.SIGTERM)
        assert holder.process.wait(timeout=60) == 0
        # The signal waited with the lock: taken once the directory is open.
        assert waiter.process.wait(timeout=60) == 0
        assert waiter.process.stdout.read().splitlines()[-1].startswith("stopped at ")
    finally:
        holder.kill()
        if waiter is not None:
            waiter.kill()
