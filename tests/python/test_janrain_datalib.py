"""The public janrain-datalib library, unmodified, against the emulator.

The library sits on janrain-python-api and signs its requests (the `janrain-signed` scheme), as
it does by default. It caches what it reads, so every read of stored state goes through a fresh
`App`.
"""

import pytest
from janrain_datalib import get_app
from janrain_datalib.exceptions import ApiAuthError

from conftest import OWNER


@pytest.fixture
def connect(emulator_url):
    """A fresh App (an empty cache) for the owner, or for other credentials."""

    def make(client_id=OWNER["client_id"], client_secret=OWNER["client_secret"]):
        return get_app(emulator_url, client_id, client_secret)

    return make


def test_a_client_from_creation_to_deletion(connect):
    app = connect()
    client = app.get_client()
    client_id = client.create("datalib client", features=["direct_read_access"])
    assert connect().clients_as_dict()[client_id]["description"] == "datalib client"

    client.set_description("renamed")
    client.set_features(["direct_access", "access_issuer"])
    client.set_whitelist(["127.0.0.0/8", "10.0.0.0/8"])
    stored = connect().get_client(client_id).as_dict()
    assert stored["description"] == "renamed"
    assert stored["features"] == ["direct_access", "access_issuer"]
    assert stored["whitelist"] == ["127.0.0.0/8", "10.0.0.0/8"]

    old_secret = stored["client_secret"]
    new_secret = client.reset_secret(hours_to_live=1)
    assert new_secret != old_secret
    assert connect().get_client(client_id).as_dict()["client_secret"] == new_secret
    # Both secrets authenticate during the grace period, signed as the library signs.
    for secret in (old_secret, new_secret):
        connect(client_id, secret).get_client(client_id).settings.set("probe", secret[:4])

    client.delete()
    assert client_id not in connect().clients_as_dict()


def test_client_settings_set_read_overwrite_and_delete(connect):
    app = connect()
    client_id = app.get_client().create("configured")
    settings = app.get_client(client_id).settings
    assert settings.set("site_name", "Demo") is False
    assert settings.set("site_name", "Renamed") is True
    assert settings.set_multi({"site_name": "Again", "level": "10"}) == {
        "site_name": True,
        "level": False,
    }
    fresh = connect().get_client(client_id).settings
    assert fresh.get("site_name") == "Again"
    assert fresh.get("level") == "10"
    assert fresh.get("nowhere") is None
    assert settings.delete("level") is True
    assert settings.delete("level") is False
    assert connect().get_client(client_id).settings.get_all() == {"site_name": "Again"}


def test_defaults_and_the_default_seen_through_a_client(connect):
    app = connect()
    with_own = app.get_client().create("has its own")
    without = app.get_client().create("has none")
    defaults = app.default_settings
    assert defaults.set("site_name", "Default") is False
    assert defaults.set("site_name", "Default 2") is True
    assert defaults.set_multi({"public": "true", "site_name": "Default 3"}) == {
        "public": False,
        "site_name": True,
    }
    app.get_client(with_own).settings.set("site_name", "Own")

    fresh = connect()
    assert fresh.default_settings.get("site_name") == "Default 3"
    assert fresh.get_client(without).settings.get("site_name") == "Default 3"
    assert fresh.get_client(with_own).settings.get("site_name") == "Own"
    assert fresh.get_client(without).settings.get_all() == {"public": "true", "site_name": "Default 3"}

    assert defaults.delete("site_name") is True
    assert defaults.delete("site_name") is False
    after = connect()
    assert after.get_client(without).settings.get("site_name") is None
    assert after.get_client(with_own).settings.get("site_name") == "Own"
    assert after.settings_as_dict() == {
        "client_settings": {with_own: {"site_name": "Own"}},
        "default_settings": {"public": "true"},
    }


def test_refusals_reach_the_library_as_its_own_exceptions(connect):
    app = connect()
    # An unknown client: the library files "not a valid id" under ApiAuthError.
    with pytest.raises(ApiAuthError):
        app.get_client("nosuchclient00000000000000000000").settings.set("k", "v")
    # A client without owner may change its own settings, not the defaults.
    created = app.apicall("clients/add", description="worker", features=["direct_access"])
    worker = connect(created["client_id"], created["client_secret"])
    assert worker.get_client(created["client_id"]).settings.set("mine", "yes") is False
    with pytest.raises(ApiAuthError):
        worker.default_settings.set("site_name", "not mine")
    with pytest.raises(ApiAuthError):
        worker.settings_as_dict()
