"""Lookups, views and the access check through the Python module."""
import datetime

import hubreg
from conftest import T0


def test_rows_are_objects_with_column_attributes(reg):
    ann = reg.find_user(1)
    assert (ann.id, ann.external_id, ann.email, ann.name, ann.status) == (
        1, "U-1", "ann@example.com", "Ann", "active")
    assert ann.created_at == T0
    assert ann.created_at.tzinfo is not None
    app = reg.find_app_by_key("key-prod")
    assert (app.id, app.environment) == (2, "prod")
    org = reg.find_organization_by_external_id(1, "ORG-1")
    assert (org.id, org.threecolts_app_id, org.organization_owner_id) == (1, 1, 1)


def test_rows_are_read_only():
    user = hubreg.User(external_id="U-9", email="x@example.com")
    try:
        user.email = "other@example.com"
    except AttributeError:
        pass
    else:
        raise AssertionError("a row attribute could be assigned")


def test_lookups_that_find_nothing_return_none(reg):
    assert reg.find_user(99) is None
    assert reg.find_user_by_external_id("nobody") is None
    assert reg.find_client_by_external_id("ACC-99") is None
    assert reg.find_organization_by_external_id(2, "ORG-1") is None
    assert reg.owner_of_organization(42) is None
    assert reg.find_link(2, 2) is None


def test_emails_are_found_ignoring_ascii_case(reg):
    assert reg.find_user_by_email("ANN@Example.COM").id == 1


def test_list_lookups_return_lists(reg):
    assert sorted(c.external_id for c in reg.clients_of_user(1)) == ["ACC-1", "ACC-2"]
    assert sorted(u.id for u in reg.users_of_client(1)) == [1, 2, 3]
    assert reg.clients_of_user(99) == []
    assert [c.id for c in reg.clients_of_organization(0)] == [4]
    assert [o.id for o in reg.organizations_owned_by(2)] == [2]
    assert reg.owner_of_organization(2).external_id == "U-2"
    assert reg.counts() == reg.view().counts()
    counts = reg.counts()
    assert (counts.apps, counts.organizations, counts.clients, counts.users, counts.links) == (
        2, 2, 4, 3, 5)


def test_client_exposes_the_password_but_its_repr_does_not(reg):
    client = reg.find_client_by_external_id("ACC-1")
    assert client.db_password == "s3cret-1"
    assert (client.db_host, client.db_port, client.db_name, client.db_user) == (
        "db1.internal", 5432, "account_1", "svc_1")
    assert "s3cret" not in repr(client)
    assert "s3cret" not in repr(reg.clients_of_user(1))
    assert repr(client).startswith("Client(id=1, ")


def test_resolve_allows_and_routes(reg):
    decision = reg.resolve("ACC-1", "U-2")
    assert decision
    assert decision.allowed and decision.verdict == "allowed"
    assert decision.account.db_name == "account_1"
    assert decision.account.db_password == "s3cret-1"
    assert decision.user.id == 2
    assert "s3cret" not in repr(decision)
    assert reg.resolve("ACC-1", "U-1", app_key="key-stage",
                       organization_external_id="ORG-1").allowed


def test_resolve_explains_refusals(reg):
    assert reg.resolve("ACC-1", "U-9").verdict == "unknown user"
    assert reg.resolve("ACC-9", "U-1").verdict == "unknown account"
    assert reg.resolve("ACC-1", "U-1", app_key="nope").verdict == "unknown app"
    assert reg.resolve("ACC-1", "U-1", app_key="key-prod").verdict == "wrong organization"
    assert reg.resolve("ACC-2", "U-1").verdict == "account disabled"
    assert reg.resolve("ACC-1", "U-3").verdict == "user disabled"
    refused = reg.resolve("ACC-3", "U-1")
    assert refused.verdict == "no link" and not refused
    assert refused.account.id == 3 and refused.user.id == 1


def test_a_view_keeps_its_state_while_the_registry_changes(reg):
    with reg.view() as view:
        before = view.sequence
        assert view.find_user(1).name == "Ann"
    reg.update(reg.find_user(1).replace(name="Annie"))
    with reg.view() as view:
        assert view.sequence == before + 1
        assert view.find_user(1).name == "Annie"


def test_an_ended_view_refuses_lookups(reg):
    view = reg.view()
    view.close()
    try:
        view.find_user(1)
    except hubreg.InvalidArgumentError as error:
        assert str(error) == "the view has ended"
    else:
        raise AssertionError("an ended view answered")


def test_timestamps_accept_aware_datetimes_and_micros():
    when = datetime.datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    user = hubreg.User(external_id="U-7", email="u7@example.com", created_at=when,
                       updated_at=1_700_000_000_000_001)
    assert user.created_at == when
    assert user.updated_at == datetime.datetime(2023, 11, 14, 22, 13, 20, 1,
                                                tzinfo=datetime.timezone.utc)
    try:
        hubreg.User(external_id="U-8", created_at=datetime.datetime(2024, 1, 1))
    except hubreg.InvalidArgumentError as error:
        assert str(error) == "created_at is a naive datetime; give one with a timezone (e.g. UTC)"
    else:
        raise AssertionError("a naive datetime was accepted")
