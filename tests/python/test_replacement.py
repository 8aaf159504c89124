"""Issue 11: a registry replaced under a read-only process is never served
silently. A read-only process saw 7 users; a 6-user snapshot was restored
with overwrite into its data directory; its refresh() must serve the 6 users,
at a sequence above the one it had."""
import hubreg


def test_a_restore_under_a_read_only_process_is_served_after_refresh(tmp_path):
    data = str(tmp_path / "data")
    small = str(tmp_path / "small")
    snapshot = str(tmp_path / "six.snapshot")
    with hubreg.open(small, sync="no_sync") as reg:
        for k in range(1, 7):
            reg.insert_user(external_id=f"R-{k}", email=f"r{k}@example.com")
        reg.save_snapshot(snapshot)
    with hubreg.open(data, sync="no_sync") as reg:
        for k in range(1, 8):
            reg.insert_user(external_id=f"U-{k}", email=f"u{k}@example.com")
    with hubreg.open(data, read_only=True) as reader:
        assert reader.counts().users == 7
        before = reader.last_sequence
        hubreg.restore_snapshot(snapshot, data, overwrite=True)
        reader.refresh()
        assert reader.counts().users == 6
        assert reader.find_user_by_external_id("R-6") is not None
        assert reader.last_sequence > before
