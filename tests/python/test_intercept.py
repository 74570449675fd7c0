"""Code that names Janrain's real hosts, unmodified, reaching the emulator by environment alone:
the emulator as the HTTPS proxy, its CA in the bundle (``Emulator.proxy_env``).

The real clients (janrain-python-api, janrain-datalib) are given
``https://<realm>.janraincapture.com``; the calls of the Ensono Configuration API wrapper
(GitHub only, so not installable here) are made exactly as its ``janrain/api_requests.py``
makes them, to the hosts it hard-codes.
"""

import base64
import os

import pytest
import requests
from janrain.capture import Api
from janrain_datalib import get_app

from janrain_emulator import Emulator

REALM = "myrealm"
CAPTURE = f"https://{REALM}.janraincapture.com"
REGION = "us"


@pytest.fixture(scope="module")
def emulator():
    with Emulator.start(binary=os.environ["JANRAIN_EMULATOR_BIN"]) as running:
        yield running


@pytest.fixture
def realm(emulator, monkeypatch):
    """An application whose capture domain is the realm's host, with the proxy environment set
    for the test only."""
    app = emulator.new_app(capture_domains=[f"{REALM}.janraincapture.com"])
    for name, value in emulator.proxy_env().items():
        monkeypatch.setenv(name, value)
    try:
        yield app
    finally:
        emulator.delete_app(app.app_id)


def test_proxy_env_names_every_variable_and_keeps_the_emulator_direct(emulator):
    env = emulator.proxy_env()
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        assert env[name] == emulator.url
    assert "127.0.0.1" in env["NO_PROXY"].split(",")
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert env[name] == env["REQUESTS_CA_BUNDLE"]
    with open(env["REQUESTS_CA_BUNDLE"]) as bundle:
        text = bundle.read()
    assert text.endswith(emulator.ca_pem())
    # The machine's roots come first, so other HTTPS calls keep working.
    assert text.count("-----BEGIN CERTIFICATE-----") > 1


def test_the_bundle_of_a_root_that_ends_with_its_emulator_is_removed_with_it(tmp_path):
    binary = os.environ["JANRAIN_EMULATOR_BIN"]
    with Emulator.start(binary=binary) as passing:
        bundle = passing.ca_bundle()
        assert os.path.isfile(bundle)
    assert not os.path.exists(bundle)
    # A root kept in --ca-dir outlives the process; so does its bundle, which others may share.
    with Emulator.start("--ca-dir", str(tmp_path / "ca"), binary=binary) as kept:
        bundle = kept.ca_bundle()
    assert os.path.isfile(bundle)
    os.remove(bundle)


@pytest.mark.parametrize("signed", [True, False])
def test_janrain_python_api_given_the_realm_host(realm, signed):
    api = Api(CAPTURE, dict(realm.owner), sign_requests=signed)
    added = api.call("clients/add", description="by realm", features=["direct_access"])
    assert added["stat"] == "ok"
    listed = api.call("clients/list")["results"]
    assert [c["description"] for c in listed] == ["Application owner client", "by realm"]
    assert api.call("settings/set_default", key="site_name", value="Realm")["stat"] == "ok"


def test_janrain_datalib_given_the_realm_host(realm):
    app = get_app(CAPTURE, realm.owner_client_id, realm.owner_client_secret)
    client_id = app.get_client().create("datalib by realm")
    assert get_app(CAPTURE, realm.owner_client_id, realm.owner_client_secret).clients_as_dict()[client_id]
    settings = app.get_client(client_id).settings
    assert settings.set("site_name", "Demo") is False
    assert settings.get("site_name") == "Demo"


class Wrapper:
    """The Ensono wrapper's hosts and calls (``janrain/api.py``, ``api_requests.py``,
    ``clients.py``, ``application.py``), with nothing overridden: the base URLs are built from
    the region, the application id and the realm, as its constructor builds them."""

    def __init__(self, app_id, client_id, secret):
        self.base_url = f"https://v1.api.{REGION}.janrain.com/config/{app_id}"
        self.capture_base_url = f"https://{REALM}.janraincapture.com"
        self.auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def _answer(self, response):
        if response.text != "":
            return response.json()
        return 200 <= response.status_code < 300

    def get(self, base, url):
        return self._answer(requests.get(f"{base}/{url}", headers={"Authorization": f"Basic {self.auth}"}))

    def send(self, method, base, url, payload):
        headers = {"Authorization": f"Basic {self.auth}", "Content-Type": "application/json"}
        return self._answer(requests.request(method, f"{base}/{url}", headers=headers, json=payload))

    def delete(self, base, url):
        return self._answer(requests.delete(f"{base}/{url}", headers={"Authorization": f"Basic {self.auth}"}))

    # What api.py offers, as it does it.
    def update_application_settings(self, updates):
        options = {o["name"]: o["group"] for o in self.get(self.base_url, "settings/options")}
        existing = self.get(self.base_url, "settings")
        for name, value in updates.items():
            if name not in options or options[name] == "Custom":
                existing["custom"][name] = value
            else:
                existing[name] = value
        return self.send("PUT", self.base_url, "settings", existing)

    def update_client_setting(self, client_id, key, value):
        # Query parameters not escaped, an empty JSON body: as clients.py sends it.
        return self.send(
            "POST", self.capture_base_url, f"settings/set?for_client_id={client_id}&key={key}&value={value}", ""
        )


def test_the_ensono_wrappers_calls_reach_the_emulator_unmodified(realm):
    wrapper = Wrapper(realm.app_id, realm.owner_client_id, realm.owner_client_secret)
    base = wrapper.base_url
    # Clients.
    created = wrapper.send("POST", base, "clients", {"name": "ensono", "features": ["direct_access"]})
    client_id = created["_id"]
    assert wrapper.get(base, f"clients/{client_id}")["name"] == "ensono"
    assert [c["name"] for c in wrapper.get(base, "clients")] == ["Application owner client", "ensono"]
    updated = wrapper.send("PUT", base, f"clients/{client_id}", {"name": "renamed", "features": ["direct_read_access"]})
    assert updated["features"] == ["direct_read_access"]
    # Client settings, through the Configuration API and through its legacy call.
    settings = wrapper.send("PUT", base, f"clients/{client_id}/settings", {"site_name": "Mine", "custom": {"tier": "gold"}})
    assert settings["site_name"] == "Mine" and settings["custom"] == {"tier": "gold"}
    legacy = wrapper.update_client_setting(client_id, "login_attempts", "5")
    assert legacy["stat"] == "ok", legacy
    seen = wrapper.get(base, f"clients/{client_id}/settings")
    assert seen["login_attempts"] == "5" and seen["site_name"] == "Mine"
    # Application settings: the options first, then the merged object back.
    after = wrapper.update_application_settings({"site_name": "Everyone", "my_flag": "on"})
    assert after["site_name"] == "Everyone"
    assert after["custom"] == {"my_flag": "on"}
    assert wrapper.get(base, "settings")["site_name"] == "Everyone"
    # And the client's deletion: 204, no body.
    assert wrapper.delete(base, f"clients/{client_id}") is True
    assert wrapper.get(base, f"clients/{client_id}") == {"errors": "Client ID not found."}


def test_other_hosts_are_refused_and_never_reached(realm):
    with pytest.raises(requests.exceptions.ProxyError) as refused:
        requests.get("https://example.com/", timeout=10)
    assert "403" in str(refused.value)
