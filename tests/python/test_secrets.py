"""No message, exception or repr of the Python module shows a password."""
import pytest

import hubreg

SECRET = "SuperSecret-py4W"


def assert_hidden(text):
    assert "SuperSecret" not in text
    assert "py4W" not in text


def client(**changes):
    columns = dict(id=9, threecolts_organization_id=1, external_id="ACC-9", db_password=SECRET)
    columns.update(changes)
    return hubreg.Client(**columns)


def test_a_wrong_type_names_the_column_and_the_type_only(reg):
    row = reg.find_client(1).replace(db_password=SECRET)
    with pytest.raises(TypeError) as error:
        row.replace(db_port="5433")
    assert str(error.value) == "Client: db_port must be an int, not str"
    with pytest.raises(TypeError) as error:
        client(name=b"bytes")
    assert str(error.value) == "Client: name must be a str, not bytes"
    with pytest.raises(TypeError) as error:
        client(db_password=123)
    assert str(error.value) == "Client: db_password must be a str, not int"


def test_an_unknown_keyword_names_only_itself():
    with pytest.raises(TypeError) as error:
        client(bogus=1)
    assert str(error.value) == "Client() got an unexpected keyword argument \"bogus\""
    with pytest.raises(TypeError) as error:
        client().replace(**{SECRET[:5]: 1})
    assert str(error.value) == "Client() got an unexpected keyword argument \"Super\""
    with pytest.raises(TypeError) as error:
        hubreg.Client(1, db_password=SECRET)
    assert str(error.value) == "Client() takes keyword arguments only (one per column)"


def test_every_error_a_client_can_cause_hides_the_password(reg):
    bad_rows = [
        dict(db_port="5433"), dict(db_port=70000), dict(db_port=-1), dict(status="sleeping"),
        dict(status=1), dict(id=-1), dict(id="9"), dict(created_at="yesterday"),
        dict(created_at=__import__("datetime").datetime(2024, 1, 1)), dict(bogus=SECRET[:5]),
        dict(db_host=None),
    ]
    for changes in bad_rows:
        with pytest.raises((TypeError, hubreg.Error)) as error:
            client(**changes)
        assert_hidden(str(error.value))
        assert_hidden(repr(error.value))
    for changes in [dict(external_id="ACC-1"), dict(id=1), dict(threecolts_organization_id=77),
                    dict(external_id="")]:
        with pytest.raises(hubreg.Error) as error:
            reg.insert(client(**changes))
        assert_hidden(str(error.value))
    with pytest.raises(hubreg.Error) as error:
        reg.update(client(id=77))
    assert_hidden(str(error.value))
    with pytest.raises(hubreg.Error) as error:
        reg.insert_client(**dict(id=9, external_id="ACC-1", db_password=SECRET))
    assert_hidden(str(error.value))


def test_the_password_is_an_attribute_but_never_in_repr():
    row = client()
    assert row.db_password == SECRET
    assert row._asdict()["db_password"] == SECRET
    assert_hidden(repr(row))
    assert repr(row) == ("Client(id=9, threecolts_organization_id=1, external_id='ACC-9', "
                         "name='', db_host='', db_port=0, db_name='', db_user='', "
                         "status='active')")
    assert row.replace(name="n").db_password == SECRET
    assert_hidden(repr([row]))
