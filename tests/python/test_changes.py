"""The change feed through the Python module: Registry.changes()."""
import _thread
import datetime
import sys
import threading
import time

import pytest

import hubreg
from conftest import fill_sample


def test_changes_yields_each_batch_after_since_with_rows_before_and_after(reg):
    reg.update_client(id=3, threecolts_organization_id=2, external_id="ACC-3",
                      db_host="moved.internal", db_password="rotated-3")
    reg.unlink(3, 2)
    batches = list(reg.changes(since=1, timeout=0.05))
    assert [b.sequence for b in batches] == [2, 3]
    first = batches[0]
    assert first.committed_at.tzinfo == datetime.timezone.utc
    [change] = first.changes
    table, op, before, after = change
    assert (table, op) == ("client", "update")
    assert isinstance(before, hubreg.Client) and isinstance(after, hubreg.Client)
    assert before.db_host == "db3.internal" and after.db_host == "moved.internal"
    assert "rotated-3" not in repr(after) and "rotated-3" not in repr(change)
    [unlink] = batches[1].changes
    assert (unlink.table, unlink.op, unlink.after) == ("client_user", "delete", None)
    assert (unlink.before.client_id, unlink.before.user_id) == (3, 2)
    assert isinstance(first.access, list) and isinstance(first.connection_changed, list)


def test_a_wait_with_a_timeout_ends_the_iteration_when_no_batch_comes(reg):
    changes = reg.changes(timeout=0.05)  # from the latest sequence
    assert changes.position == 1
    assert list(changes) == []
    reg.link(4, 1)
    assert [b.sequence for b in reg.changes(since=1, timeout=0.05)] == [2]


def test_another_thread_runs_while_one_waits(reg):
    changes = reg.changes(since=1, timeout=60)
    result = []
    thread = threading.Thread(target=lambda: result.append(next(changes).sequence))
    thread.start()
    # The waiting thread holds no GIL: this thread runs Python and writes.
    counted = sum(range(100_000))
    reg.link(4, 1)
    thread.join(timeout=60)
    # Had the wait kept the GIL, the write could only run after it timed out.
    assert not thread.is_alive() and result == [2] and counted > 0


def test_keyboard_interrupt_ends_a_wait(reg):
    changes = reg.changes(timeout=60)
    main = threading.get_ident()

    def wait_for_a_batch():
        return next(changes)

    def interrupt_the_wait():
        # Only once the main thread is inside wait_for_a_batch: an interrupt sent at a
        # fixed time could land before pytest.raises on a slow machine, and end the
        # whole pytest run.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            frame = sys._current_frames().get(main)
            while frame is not None and frame.f_code is not wait_for_a_batch.__code__:
                frame = frame.f_back
            if frame is not None:
                _thread.interrupt_main()
                return
            time.sleep(0.01)

    interrupter = threading.Thread(target=interrupt_the_wait, daemon=True)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        wait_for_a_batch()
    interrupter.join(timeout=60)


def test_a_cursor_no_longer_kept_raises_resync_with_the_restart_sequence(tmp_path):
    writer = hubreg.open(str(tmp_path / "a"))
    fill_sample(writer)
    writer.link(4, 1)
    snapshot = str(tmp_path / "snap.hubreg")
    writer.save_snapshot(snapshot)
    writer.close()
    hubreg.restore_snapshot(snapshot, str(tmp_path / "b"))
    restored = hubreg.open(str(tmp_path / "b"), read_only=True)
    with pytest.raises(hubreg.ResyncRequiredError) as error:
        next(restored.changes(since=0, timeout=1))
    assert error.value.restart_sequence == 2
    assert isinstance(error.value, hubreg.Error)
    assert "batch 1" in str(error.value)


def test_a_read_only_registry_sees_the_writers_batches(tmp_path):
    writer = hubreg.open(str(tmp_path / "data"))
    fill_sample(writer)
    reader = hubreg.open(str(tmp_path / "data"), read_only=True)
    changes = reader.changes(since=1, timeout=60)
    writer.link(4, 1)
    batch = next(changes)
    assert batch.sequence == 2
    assert [(c.table, c.op) for c in batch.changes] == [("client_user", "insert")]
