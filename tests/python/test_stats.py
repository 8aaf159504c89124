"""Statistics, compaction and the version through the Python module."""
import re
from pathlib import Path

import pytest

import hubreg
from conftest import fill_sample

KEYS = ["counts", "last_sequence", "snapshot_sequence", "snapshot_bytes", "journal_batches",
        "journal_bytes", "map_size", "map_used", "open_seconds", "compactions",
        "last_compaction_error", "retired_registries", "commit_signal", "replacements",
        "copies", "last_refresh_error"]


def test_the_version_is_the_project_version():
    cmake = (Path(__file__).resolve().parents[2] / "CMakeLists.txt").read_text()
    assert hubreg.__version__ == re.search(r"project\(hubreg VERSION ([0-9.]+)", cmake).group(1)


def test_stats_has_every_store_stats_field_and_compact_folds_the_journal(tmp_path):
    with hubreg.open(str(tmp_path / "data"), sync="no_sync") as reg:
        fill_sample(reg)
        stats = reg.stats()
        assert list(stats) == KEYS
        assert stats["counts"] == {"threecolts_app": 2, "threecolts_organization": 2,
                                   "client": 4, "user": 3, "client_user": 5}
        assert stats["last_sequence"] == 1 and stats["journal_batches"] == 1
        assert stats["snapshot_sequence"] == 0 and stats["compactions"] == 0
        assert stats["last_compaction_error"] == "" and stats["retired_registries"] == 0
        assert stats["map_size"] >= stats["map_used"] > 0
        assert isinstance(stats["open_seconds"], float)
        reg.compact()
        after = reg.stats()
        assert after["snapshot_sequence"] == 1 and after["journal_batches"] == 0
        assert after["journal_bytes"] == 0 and after["compactions"] == 1
        with hubreg.open(str(tmp_path / "data"), read_only=True) as reader:
            assert reader.stats()["snapshot_sequence"] == 1
            with pytest.raises(hubreg.ReadOnlyError):
                reader.compact()


def test_stats_prometheus_is_the_stats_as_prometheus_text(tmp_path):
    path = str(tmp_path / "data")
    with hubreg.open(path, sync="no_sync") as reg:
        fill_sample(reg)
        text = reg.stats_prometheus()
        assert text.startswith("# HELP hubreg_rows ") and text.endswith("\n")
        assert '\nhubreg_rows{table="user"} 3\n' in text
        assert "\nhubreg_last_sequence 1\n" in text
        assert "\n# TYPE hubreg_compactions_total counter\n" in text
        labelled = reg.stats_prometheus(prefix="router", path=path)
        assert f'\nrouter_last_sequence{{path="{path}"}} 1\n' in labelled
        assert "hubreg_" not in labelled


def test_an_in_memory_registry_has_no_store_stats(reg):
    with pytest.raises(hubreg.InvalidArgumentError, match="data directory"):
        reg.stats()
    with pytest.raises(hubreg.InvalidArgumentError, match="data directory"):
        reg.stats_prometheus()
    with pytest.raises(hubreg.InvalidArgumentError, match="data directory"):
        reg.compact()
