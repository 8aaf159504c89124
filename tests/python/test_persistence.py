"""Data directories through the Python module: durable writes, read-only
handles that refresh, snapshots. Needs a build with the persist layer."""
import os
import subprocess
import sys

import pytest

import hubreg
from conftest import fill_sample

WRITER = """
import sys, hubreg
with hubreg.open(sys.argv[1], sync="no_sync") as reg:
    reg.insert_user(external_id="U-child", email="child@example.com")
"""


def test_writes_survive_reopening(tmp_path):
    data = str(tmp_path / "data")
    with hubreg.open(data, sync="no_sync") as reg:
        fill_sample(reg)
        assert reg.persistent and not reg.read_only and reg.path == data
    with hubreg.open(data, create=False) as reg:
        assert reg.counts().users == 3
        assert reg.find_client_by_external_id("ACC-1").db_password == "s3cret-1"


def test_a_missing_directory_is_not_created_when_asked(tmp_path):
    with pytest.raises(hubreg.NotFoundError):
        hubreg.open(str(tmp_path / "missing"), create=False)


def test_a_read_only_registry_refuses_writes_and_refreshes(tmp_path):
    data = str(tmp_path / "data")
    with hubreg.open(data, sync="no_sync") as reg:
        fill_sample(reg)
    with hubreg.open(data, read_only=True) as reader:
        with pytest.raises(hubreg.ReadOnlyError) as error:
            reader.insert_user(external_id="U-9", email="nine@example.com")
        assert str(error.value) == f'the registry at "{data}" is open read-only'
        env = dict(os.environ)
        subprocess.run([sys.executable, "-c", WRITER, data], check=True, env=env)
        assert reader.find_user_by_external_id("U-child") is None
        reader.refresh()
        assert reader.find_user_by_external_id("U-child") is not None


def test_snapshots_save_and_restore(tmp_path):
    data = str(tmp_path / "data")
    snapshot = str(tmp_path / "registry.snapshot")
    restored = str(tmp_path / "restored")
    with hubreg.open(data, sync="no_sync") as reg:
        fill_sample(reg)
        with reg.view():
            with pytest.raises(hubreg.InvalidArgumentError):
                reg.save_snapshot(snapshot)  # would wait for this thread's own view
        reg.save_snapshot(snapshot)
    hubreg.restore_snapshot(snapshot, restored)
    with pytest.raises(hubreg.Error):
        hubreg.restore_snapshot(snapshot, restored)  # needs overwrite=True
    with hubreg.open(restored, read_only=True) as reg:
        assert reg.counts().clients == 4
        assert reg.resolve("ACC-1", "U-2").allowed


def test_have_persistence_says_whether_data_directories_and_snapshots_work(tmp_path):
    try:
        with hubreg.open(str(tmp_path / "data"), sync="no_sync") as reg:
            reg.save_snapshot(str(tmp_path / "registry.snapshot"))
        works = True
    except hubreg.Error:
        works = False
    assert hubreg.have_persistence is works


def test_an_in_memory_registry_has_no_snapshot_file(tmp_path):
    with hubreg.Registry() as reg:
        with pytest.raises(hubreg.InvalidArgumentError):
            reg.save_snapshot(str(tmp_path / "x.snapshot"))
        with pytest.raises(hubreg.InvalidArgumentError):
            reg.refresh()
