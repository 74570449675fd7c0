"""An example suite that uses only the installed janrain-emulator package (its pytest plugin)
and the public janrain-python-api client. scripts/check-wheel runs it under pytest-xdist, from a
directory with nothing else of the project in it."""

import pytest
import requests
from janrain.capture import Api, ApiResponseError


@pytest.fixture
def capture(janrain_app):
    """The public client, pointed at the emulator with the test's own application's owner."""
    return Api(janrain_app.legacy_base_url, janrain_app.owner)


@pytest.mark.parametrize("n", range(8))
def test_each_test_sees_only_its_own_clients(capture, n):
    capture.call("clients/add", description=f"client of test {n}")
    names = [c["description"] for c in capture.call("clients/list")["results"]]
    assert names == ["Application owner client", f"client of test {n}"]


def test_the_configuration_api_of_the_same_application(janrain_app, capture):
    capture.call("clients/add", description="made through the legacy API")
    listed = requests.get(
        f"{janrain_app.config_base_url}/clients",
        auth=(janrain_app.owner_client_id, janrain_app.owner_client_secret),
        timeout=10,
    ).json()
    assert [c["name"] for c in listed] == ["Application owner client", "made through the legacy API"]


def test_the_journal_of_the_test_application(janrain_journal, capture):
    capture.call("clients/list")
    entries = janrain_journal.entries(family="legacy")
    assert [e["path"] for e in entries] == ["/clients/list"]
    janrain_journal.assert_called("/clients/list", method="POST", times=1, status=200)


@pytest.mark.parametrize("n", range(4))
def test_a_fault_fails_the_next_call(janrain_faults, capture, n):
    janrain_faults.add(path="/clients/add", legacy_code=510)
    with pytest.raises(ApiResponseError) as refused:
        capture.call("clients/add", description="refused")
    assert refused.value.code == 510
    assert capture.call("clients/add", description="accepted")["stat"] == "ok"


@pytest.mark.parametrize("n", range(4))
def test_a_grace_period_ends_when_the_clock_moves(janrain_app, janrain_clock, capture, n):
    made = capture.call("clients/add", description="rotated", features=["owner"])
    old = made["client_secret"]
    capture.call("clients/reset_secret", for_client_id=made["client_id"], hours_to_live=1)
    as_old = Api(janrain_app.legacy_base_url, {"client_id": made["client_id"], "client_secret": old})
    assert as_old.call("clients/list")["stat"] == "ok"
    janrain_clock.advance(3600)
    with pytest.raises(ApiResponseError) as refused:
        as_old.call("clients/list")
    assert refused.value.code == 402


def test_the_session_emulator_handle(janrain_emulator):
    assert janrain_emulator.health() == {"status": "ok"}
    assert janrain_emulator.config_base_url.endswith(f"/config/{janrain_emulator.app_id}")


def test_code_that_names_the_real_host_reaches_the_test_application(janrain_app, janrain_intercept):
    """Unmodified code that builds Janrain's real URLs: the fixture's environment sends it to
    the emulator (as the proxy, with its CA in the bundle); the credentials pick the test's
    application."""
    capture = Api("https://anyrealm.janraincapture.com", janrain_app.owner)
    assert capture.call("clients/list")["results"][0]["client_id"] == janrain_app.owner_client_id
    listed = requests.get(
        f"https://v1.api.us.janrain.com/config/{janrain_app.app_id}/clients",
        auth=(janrain_app.owner_client_id, janrain_app.owner_client_secret),
        timeout=10,
    )
    assert listed.status_code == 200
    assert janrain_intercept["REQUESTS_CA_BUNDLE"].endswith(".pem")
