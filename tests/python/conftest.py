"""Shared fixtures for the tests of the hubreg Python module."""
import datetime

import pytest

import hubreg

T0 = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)


def fill_sample(reg):
    """apps 1 key-stage, 2 key-prod; users 1 ann (owns org 1), 2 bob, 3 dee
    (disabled); orgs 1 ORG-1 (app 1), 2 ORG-2 (app 2, owner bob); clients 1
    ACC-1, 2 ACC-2 (disabled), 3 ACC-3 (org 2), 4 ACC-4 (no organization);
    links (1,1) (2,1) (1,2) (1,3) (3,2)."""
    with reg.batch() as b:
        b.insert_app(id=1, name="stage", app_key="key-stage", environment="stage",
                     created_at=T0, updated_at=T0)
        b.insert_app(id=2, name="prod", app_key="key-prod", environment="prod")
        b.insert_user(id=1, external_id="U-1", email="ann@example.com", name="Ann",
                      created_at=T0, updated_at=T0)
        b.insert_user(id=2, external_id="U-2", email="bob@example.com", name="Bob")
        b.insert_user(id=3, external_id="U-3", email="dee@example.com", name="Dee",
                      status="disabled")
        b.insert_organization(id=1, threecolts_app_id=1, organization_owner_id=1,
                              external_id="ORG-1", name="Org 1")
        b.insert_organization(id=2, threecolts_app_id=2, organization_owner_id=2,
                              external_id="ORG-2", name="Org 2")
        for cid, org, status in ((1, 1, "active"), (2, 1, "disabled"), (3, 2, "active"),
                                 (4, 0, "active")):
            b.insert_client(id=cid, threecolts_organization_id=org, external_id=f"ACC-{cid}",
                            name=f"Account {cid}", db_host=f"db{cid}.internal", db_port=5432,
                            db_name=f"account_{cid}", db_user=f"svc_{cid}",
                            db_password=f"s3cret-{cid}", status=status)
        for client_id, user_id in ((1, 1), (2, 1), (1, 2), (1, 3), (3, 2)):
            b.link(client_id, user_id)
    return b.commit


@pytest.fixture
def reg():
    registry = hubreg.Registry()
    fill_sample(registry)
    yield registry
    registry.close()
