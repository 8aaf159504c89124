"""Writes, batches and errors through the Python module."""
import threading

import pytest

import hubreg
from conftest import fill_sample


def test_a_batch_reports_its_sequence_and_inserted_ids():
    reg = hubreg.Registry()
    commit = fill_sample(reg)
    assert commit.sequence == 1
    assert commit.ids[:3] == [1, 2, 1]
    assert commit.ids[-1] is None  # a link has no id
    assert reg.last_sequence == 1


def test_single_mutations_return_the_assigned_id(reg):
    new_id = reg.insert_user(external_id="U-10", email="ten@example.com")
    assert new_id == 4
    assert reg.insert(hubreg.User(external_id="U-11", email="eleven@example.com")) == 5
    assert reg.link(1, new_id) is None
    assert reg.find_link(1, new_id).user_id == new_id
    reg.unlink(1, new_id)
    reg.update_user(id=new_id, external_id="U-10", email="ten@example.org", status="disabled")
    assert reg.find_user(new_id).status == "disabled"
    reg.erase_user(new_id)
    assert reg.find_user(new_id) is None


def test_errors_raise_one_class_per_kind_with_the_core_message(reg):
    with pytest.raises(hubreg.DuplicateError) as error:
        reg.insert_user(external_id="U-12", email="ANN@example.com")
    assert str(error.value) == (
        'user: email "ANN@example.com" is already used by id 1; in mutation 1 of 1')
    assert isinstance(error.value, hubreg.Error) and isinstance(error.value, ValueError)
    with pytest.raises(hubreg.InUseError):
        reg.erase_user(1)  # owns organization 1
    with pytest.raises(hubreg.ForeignKeyError) as error:
        reg.link(1, 77)
    assert str(error.value) == "client_user: user_id 77 does not exist in user; in mutation 1 of 1"
    with pytest.raises(hubreg.NotFoundError):
        reg.update_user(id=77, external_id="U-77", email="77@example.com")
    with pytest.raises(hubreg.InvalidArgumentError) as error:
        reg.insert_user(external_id="U-13", email="x@example.com", status="sleeping")
    assert str(error.value) == 'user: status "sleeping" is not "active" or "disabled"'
    with pytest.raises(hubreg.InvalidArgumentError):
        hubreg.Client(db_port=70000)
    # The change feed's "start again from a state" (issue 11) has its class too.
    assert issubclass(hubreg.ResyncRequiredError, hubreg.Error)


def test_error_messages_never_show_a_password(reg):
    with pytest.raises(hubreg.DuplicateError) as error:
        reg.insert_client(external_id="ACC-1", db_password="hunter2")
    assert "hunter2" not in str(error.value)


def test_a_batch_block_that_raises_applies_nothing(reg):
    before = reg.counts()
    with pytest.raises(RuntimeError):
        with reg.batch() as b:
            b.insert_user(external_id="U-20", email="u20@example.com")
            raise RuntimeError("changed my mind")
    assert reg.counts() == before
    assert b.commit is None


def test_a_failing_batch_applies_nothing_and_names_the_mutation(reg):
    before = reg.counts()
    with pytest.raises(hubreg.ForeignKeyError) as error:
        with reg.batch() as b:
            b.insert_user(external_id="U-20", email="u20@example.com")
            b.link(1, 99)
    assert str(error.value).endswith("; in mutation 2 of 2")
    assert reg.counts() == before


def test_a_standalone_batch_is_applied_explicitly(reg):
    batch = hubreg.Batch()
    batch.insert(hubreg.User(external_id="U-30", email="u30@example.com"))
    batch.update(reg.find_user(2).replace(name="Robert"))
    assert len(batch) == 2
    commit = reg.apply(batch)
    assert commit.ids[0] == 4
    assert reg.find_user(2).name == "Robert"
    with pytest.raises(hubreg.InvalidArgumentError):
        batch.insert("not a row")


def test_a_standalone_batch_block_keeps_its_mutations_for_apply(reg):
    with hubreg.Batch() as batch:
        batch.insert_user(external_id="U-40", email="u40@example.com")
    assert len(batch) == 1 and batch.commit is None
    assert reg.apply(batch).ids == [4]
    assert batch.commit.sequence == reg.last_sequence


def test_a_thread_holding_a_view_cannot_write(reg):
    with reg.view():
        with pytest.raises(hubreg.InvalidArgumentError) as error:
            reg.erase_user(3)
        assert str(error.value).startswith("this thread holds a view of the registry")
    reg.unlink(1, 3)
    reg.erase_user(3)


def test_a_writer_waits_for_another_threads_view_without_deadlock(reg):
    # The writer releases the GIL while it waits, so the reader can finish.
    view_open = threading.Event()
    written = threading.Event()

    def writer():
        view_open.wait()
        reg.update(reg.find_user(2).replace(name="B"))
        reg.update(reg.find_user(2).replace(name="Bo"))  # the second write waits for the view
        written.set()

    thread = threading.Thread(target=writer)
    thread.start()
    with reg.view() as view:
        view_open.set()
        for _ in range(1000):
            assert view.find_user(2).name == "Bob"
            assert len(view.clients_of_user(2)) == 2
    thread.join(timeout=30)
    assert written.is_set()
    assert reg.find_user(2).name == "Bo"


def test_a_closed_registry_refuses_calls():
    reg = hubreg.Registry()
    with reg:
        reg.insert_user(external_id="U-1", email="a@example.com")
    with pytest.raises(hubreg.InvalidArgumentError) as error:
        reg.find_user(1)
    assert str(error.value) == "the registry is closed"
