"""End-to-end tests of how the `hubreg` binary creates and reads files.

Exports and snapshot files are private (0700 directory, 0600 files, whatever
the umask) and never written through a planted symbolic link; inputs are read
only when they are regular files. Every run has a timeout, so a FIFO that
blocks a regressed binary fails the test instead of hanging it.

Run by CTest (cli_files_test) with HUBREG_BIN and HUBREG_TEST_DATA, like
cli_test.py.
"""
import json
import os
import resource
import signal
import stat
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

HUBREG = os.environ.get("HUBREG_BIN", "hubreg")
DATA = Path(os.environ.get("HUBREG_TEST_DATA", Path(__file__).parent / "data"))
V12 = DATA / "csv-v1.2"
TABLES = ["threecolts_app", "threecolts_organization", "client", "user", "client_user"]
SECRET = "s3cret"  # a db_password of the v1.2 fixture


def hubreg(*args, data=None, check=None, timeout=60, preexec_fn=None):
    """Runs hubreg; `check` is the expected exit status."""
    command = [HUBREG] + (["--data", str(data)] if data is not None else [])
    command += [str(a) for a in args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            preexec_fn=preexec_fn)
    if check is not None:
        assert result.returncode == check, (command, result.stdout, result.stderr)
    assert SECRET not in result.stderr
    return result


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def leftovers(directory):
    return sorted(p.name for p in Path(directory).iterdir() if ".tmp" in p.name)


@pytest.fixture
def v12(tmp_path):
    data = tmp_path / "data"
    hubreg("import", V12, data=data, check=0)
    return data


# --- export ---------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o000])
@pytest.mark.parametrize("secrets", [True, False])
def test_export_creates_a_0700_directory_and_0600_files_whatever_the_umask(
        v12, tmp_path, umask, secrets):
    out = tmp_path / "new" / "export"
    args = ["export", out] + (["--include-secrets"] if secrets else [])
    hubreg(*args, data=v12, check=0, preexec_fn=lambda: os.umask(umask))
    assert mode(tmp_path / "new") == 0o700
    assert mode(out) == 0o700
    assert sorted(p.name for p in out.iterdir()) == sorted(t + ".csv" for t in TABLES)
    for table in TABLES:
        assert mode(out / f"{table}.csv") == 0o600, table
    assert (SECRET in (out / "client.csv").read_text()) == secrets


def test_export_keeps_an_existing_directory_mode_and_still_writes_0600(v12, tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(0o755)
    hubreg("export", out, "--format", "jsonl", "--include-secrets", data=v12, check=0,
           preexec_fn=lambda: os.umask(0))
    assert mode(out) == 0o755
    for table in TABLES:
        assert mode(out / f"{table}.jsonl") == 0o600, table


def test_a_link_planted_at_the_old_temporary_name_is_not_followed(v12, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (out / "client.csv.tmp").symlink_to(victim)
    hubreg("export", out, "--include-secrets", data=v12, check=0)
    assert victim.read_text() == "keep me"
    assert (out / "client.csv.tmp").is_symlink()
    assert SECRET in (out / "client.csv").read_text()
    assert leftovers(out) == ["client.csv.tmp"]


@pytest.mark.parametrize("force", [False, True])
def test_a_link_at_a_table_file_is_refused_before_anything_is_written(v12, tmp_path, force):
    out = tmp_path / "export"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (out / "client.csv").symlink_to(victim)
    args = ["export", out, "--include-secrets"] + (["--force"] if force else [])
    result = hubreg(*args, data=v12, check=1)
    assert result.stderr == (f"hubreg: {out}/client.csv: is a symbolic link, not a regular file; "
                             "refusing to replace it\n")
    assert victim.read_text() == "keep me"
    assert [p.name for p in out.iterdir()] == ["client.csv"]  # nothing written, no temporary


def test_a_failed_export_says_why_and_leaves_no_temporary_file(v12, tmp_path):
    out = tmp_path / "export"

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    result = hubreg("export", out, data=v12, check=1, preexec_fn=small_files)
    assert result.stderr.startswith(f"hubreg: {out}/")
    assert result.stderr.endswith(": write: File too large\n")
    assert leftovers(out) == []

    (out / "client.csv").unlink(missing_ok=True)
    (out / "client.csv").mkdir()
    result = hubreg("export", out, "--force", data=v12, check=1)
    assert result.stderr == (f"hubreg: {out}/client.csv: is a directory, not a regular file; "
                             "refusing to replace it\n")
    assert leftovers(out) == []


def test_snapshot_save_is_0600_and_refuses_a_link_at_its_name(v12, tmp_path):
    file = tmp_path / "backup.snap"
    hubreg("snapshot", "save", file, data=v12, check=0, preexec_fn=lambda: os.umask(0))
    assert mode(file) == 0o600
    link = tmp_path / "link.snap"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link.symlink_to(victim)
    result = hubreg("snapshot", "save", link, data=v12, check=1)
    assert "is a symbolic link, not a regular file; refusing to replace it" in result.stderr
    assert victim.read_text() == "keep me"
    assert leftovers(tmp_path) == []


# --- inputs ---------------------------------------------------------------

def export_copy(tmp_path):
    directory = tmp_path / "in"
    directory.mkdir()
    for table in TABLES:
        (directory / f"{table}.csv").write_bytes((V12 / f"{table}.csv").read_bytes())
    return directory


def test_a_fifo_named_user_csv_is_refused_at_once(tmp_path):
    directory = export_copy(tmp_path)
    (directory / "user.csv").unlink()
    os.mkfifo(directory / "user.csv")
    for path in [directory, directory / "user.csv"]:
        result = hubreg("import", path, data=tmp_path / "data", check=1, timeout=30)
        assert result.stderr == (f"hubreg: {directory}/user.csv: is a FIFO (named pipe), "
                                 "not a regular file\n")
    assert not (tmp_path / "data").exists()


def test_a_fifo_given_as_a_snapshot_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.snap"
    os.mkfifo(fifo)
    expected = f"hubreg: {fifo}: is a FIFO (named pipe), not a regular file\n"
    assert hubreg("verify", fifo, check=1, timeout=30).stderr == expected
    assert hubreg("restore", fifo, data=tmp_path / "data", check=1, timeout=30).stderr == expected


def test_links_to_dev_zero_and_etc_passwd_are_refused_without_reading_them(tmp_path):
    directory = export_copy(tmp_path)
    for target in ["/dev/zero", "/etc/passwd"]:
        (directory / "user.csv").unlink()
        (directory / "user.csv").symlink_to(target)
        result = hubreg("import", directory, data=tmp_path / "data", check=1, timeout=30)
        assert result.stderr == (f"hubreg: {directory}/user.csv: is a symbolic link, not a "
                                 "regular file; links are not followed here, name the file it "
                                 "points to\n")
        assert "root:" not in result.stderr
    zero = tmp_path / "zero.snap"
    zero.symlink_to("/dev/zero")
    assert hubreg("verify", zero, check=1, timeout=30).stderr == (
        f"hubreg: {zero}: is a character device, not a regular file\n")


def test_directories_named_like_table_files_are_named_as_directories(tmp_path):
    directory = export_copy(tmp_path)
    (directory / "user.csv").unlink()
    (directory / "user.csv").mkdir()
    result = hubreg("import", directory, data=tmp_path / "data", check=1)
    assert result.stderr == f"hubreg: {directory}/user.csv: is a directory, not a regular file\n"

    jsonl = tmp_path / "jsonl"
    jsonl.mkdir()
    (jsonl / "a.jsonl").write_text('{"table":"user","id":1,"external_id":"U-1",'
                                   '"email":"a@b.c","name":null,"status":"active",'
                                   '"created_at":"2025-01-01 00:00:00",'
                                   '"updated_at":"2025-01-01 00:00:00"}\n')
    (jsonl / "x.jsonl").mkdir()
    result = hubreg("import", jsonl, "--format", "jsonl", data=tmp_path / "data", check=1)
    assert result.stderr == f"hubreg: {jsonl}/x.jsonl: is a directory, not a regular file\n"


def test_a_symlink_loop_is_named_with_the_system_reason(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = hubreg("import", loop, data=tmp_path / "data", check=1)
    assert result.stderr == f"hubreg: {loop}: Too many levels of symbolic links\n"
    result = hubreg("import", loop / "user.csv", data=tmp_path / "data", check=1)
    assert result.stderr == f"hubreg: {loop}/user.csv: Too many levels of symbolic links\n"


def as_unprivileged():
    """A preexec_fn that drops root, so that file modes apply (None when not root)."""
    if os.geteuid() != 0:
        return None

    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    return drop


def test_permission_denied_inputs_say_so_with_the_path():
    # Under /tmp, not tmp_path, so that an unprivileged user can reach it.
    with tempfile.TemporaryDirectory(dir="/tmp") as root:
        root = Path(root)
        root.chmod(0o755)
        directory = root / "in"
        directory.mkdir()
        directory.chmod(0o755)
        (directory / "user.csv").write_bytes((V12 / "user.csv").read_bytes())
        (directory / "user.csv").chmod(0)
        data = root / "data"
        result = hubreg("import", directory, data=data, check=1, preexec_fn=as_unprivileged())
        assert result.stderr == f"hubreg: {directory}/user.csv: open: Permission denied\n"

        directory.chmod(0)
        result = hubreg("import", directory, data=data, check=1, preexec_fn=as_unprivileged())
        assert result.stderr == (f"hubreg: {directory}/threecolts_app.csv: "
                                 "Permission denied\n")
        result = hubreg("import", directory, "--format", "jsonl", data=data, check=1,
                        preexec_fn=as_unprivileged())
        assert result.stderr == (f"hubreg: {directory}: cannot list the directory: "
                                 "Permission denied\n")
        directory.chmod(0o755)


def crc32c(data):
    """CRC-32C (Castagnoli), bit by bit: the standard library has only CRC-32."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_a_header_promising_8_gib_on_a_sparse_file_is_damage_not_an_allocation(v12, tmp_path):
    good = tmp_path / "good.snap"
    hubreg("snapshot", "save", good, data=v12, check=0)
    header = bytearray(good.read_bytes()[:80])
    payload = 8 << 30
    struct.pack_into("<Q", header, 64, payload)
    struct.pack_into("<I", header, 72, crc32c(bytes(header[:72])))
    sparse = tmp_path / "sparse.snap"
    with open(sparse, "wb") as out:
        out.write(header)
        out.truncate(80 + payload + 4)
    for args in [["verify", sparse], ["restore", sparse]]:
        result = hubreg(*args, data=tmp_path / "restored", check=1, timeout=60)
        assert result.stderr.startswith(
            f"hubreg: {sparse}: the header promises {80 + payload + 4} bytes, but the file has "
            "a hole (bytes never written) at offset ")
        assert "bad_alloc" not in result.stderr
    assert not (tmp_path / "restored").exists()


# --- one table: export --table, import --table ----------------------------

def store_state(data):
    """The row counts and the last sequence of a data directory."""
    stats = json.loads(hubreg("stats", "--json", data=data, check=0).stdout)
    return stats["counts"], stats["last_sequence"]


@pytest.mark.parametrize("secrets", [False, True])
def test_export_table_writes_that_file_alone_and_hides_passwords_unless_asked(
        v12, tmp_path, secrets):
    out = tmp_path / "export"
    out.mkdir()
    (out / "user.csv").write_text("someone else's file")  # not this export's business
    args = ["export", out, "--table", "client"] + (["--include-secrets"] if secrets else [])
    result = hubreg(*args, data=v12, check=0, preexec_fn=lambda: os.umask(0))
    assert result.stdout.startswith(
        f"exported 5 clients to {out} (csv, "
        + ("with passwords" if secrets else "passwords left empty") + ") in ")
    assert sorted(p.name for p in out.iterdir()) == ["client.csv", "user.csv"]
    assert mode(out / "client.csv") == 0o600
    assert (out / "user.csv").read_text() == "someone else's file"
    text = (out / "client.csv").read_text()
    assert (SECRET in text) == secrets
    assert text.splitlines()[0] == ("id,threecolts_organization_id,external_id,name,db_host,"
                                    "db_port,db_name,db_user,db_password,status,created_at,"
                                    "updated_at")
    assert len(text.splitlines()) == 6

    again = hubreg("export", out, "--table", "client", data=v12, check=1)
    assert again.stderr == f"hubreg: {out}/client.csv already exists (pass --force to overwrite)\n"
    result = hubreg("--json", "export", out, "--table", "client", "--force", "--format", "jsonl",
                    data=v12, check=0)
    summary = json.loads(result.stdout)
    assert summary["exported"] == {"client": 5}
    assert summary["files"] == [str(out / "client.jsonl")]
    assert [json.loads(line)["db_password"] for line in
            (out / "client.jsonl").read_text().splitlines()] == [None] * 5


def test_export_and_import_of_one_table_round_trip_into_a_registry_holding_the_rest(
        v12, tmp_path):
    """client_user is exported alone, and imported alone into a registry holding every other
    table: its references are checked against what that registry holds."""
    out = tmp_path / "links"
    hubreg("export", out, "--table", "client_user", data=v12, check=0)
    assert [p.name for p in out.iterdir()] == ["client_user.csv"]
    data = tmp_path / "part"
    for table in ["threecolts_app", "user", "threecolts_organization", "client"]:
        hubreg("import", V12, "--table", table, data=data, check=0)
    result = hubreg("import", out, "--table", "client_user", data=data, check=0)
    assert result.stdout.startswith(f"imported 8 links from {out} (sequence 5) in ")
    hubreg("export", tmp_path / "a", "--include-secrets", data=v12, check=0)
    hubreg("export", tmp_path / "b", "--include-secrets", data=data, check=0)
    for table in TABLES:
        assert ((tmp_path / "a" / f"{table}.csv").read_bytes() ==
                (tmp_path / "b" / f"{table}.csv").read_bytes()), table


def test_import_table_refuses_references_to_rows_the_registry_lacks_and_changes_nothing(
        tmp_path):
    data = tmp_path / "part"
    hubreg("import", V12, "--table", "threecolts_app", data=data, check=0)
    hubreg("import", V12, "--table", "user", data=data, check=0)
    before = store_state(data)
    assert before[1] == 2
    # The organizations are not there, so clients 1, 2, 3 and 5 point at nothing.
    result = hubreg("import", V12, "--table", "client", data=data, check=1)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("client.csv:2: threecolts_organization_id: ")
    assert [line.split(":")[1] for line in lines[:-1]] == ["2", "3", "4", "6"]
    assert lines[-1] == f"hubreg: {V12}: 4 bad rows, nothing was imported"

    # A bad file changes nothing either, and names file, line and column.
    bad = tmp_path / "users-2026.csv"  # with --table, any file name
    bad.write_text("id,external_id,email,name,status,created_at,updated_at\n"
                   "7,U-7,gus@example.com,Gus,active,2025-03-02 10:00:00,2025-03-02 10:00:00\n"
                   "8,U-8,hal@example.com,Hal,asleep,2025-03-02 10:00:00,2025-03-02 10:00:00\n"
                   "9,U-1,ivy@example.com,Ivy,active,2025-03-02 10:00:00,2025-03-02 10:00:00\n")
    result = hubreg("import", bad, "--table", "user", data=data, check=1)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("users-2026.csv:3: status: ")
    assert lines[1].startswith("users-2026.csv:4: external_id: ")
    assert lines[-1] == f"hubreg: {bad}: 2 bad rows, nothing was imported"
    assert store_state(data) == before


def test_import_table_reads_only_that_tables_file_and_rows(v12, tmp_path):
    jsonl = tmp_path / "jsonl"
    hubreg("export", jsonl, "--format", "jsonl", data=v12, check=0)
    data = tmp_path / "part"
    result = hubreg("--json", "import", jsonl, "--format", "jsonl", "--table", "user",
                    data=data, check=0)
    assert json.loads(result.stdout)["imported"] == {"user": 6}
    assert store_state(data)[0] == {"threecolts_app": 0, "threecolts_organization": 0,
                                       "client": 0, "user": 6, "client_user": 0}

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text((jsonl / "threecolts_app.jsonl").read_text().splitlines()[0] + "\n"
                     + (jsonl / "client.jsonl").read_text().splitlines()[0] + "\n")
    result = hubreg("import", mixed, "--format", "jsonl", "--table", "threecolts_app",
                    data=data, check=1)
    assert result.stderr == ('mixed.jsonl:2: table: "client" is not the table imported '
                             "(--table threecolts_app)\n"
                             f"hubreg: {mixed}: 1 bad row, nothing was imported\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    result = hubreg("import", empty, "--table", "client", data=data, check=1)
    assert result.stderr == f"hubreg: {empty}: no client.csv\n"
    result = hubreg("import", V12, "--table", "clients", data=data, check=2)
    assert "--table" in result.stderr
    assert store_state(data)[1] == 1
