"""The public janrain-python-api client, unmodified, against the emulator."""

import pytest
from janrain.capture import Api, ApiResponseError

from conftest import OWNER


@pytest.fixture(params=["signed", "unsigned"])
def api(request, emulator_url):
    """The owner's client, signing requests (the library's default) or not."""
    return Api(emulator_url, dict(OWNER), sign_requests=request.param == "signed")


def by_id(api, client_id):
    listed = api.call("clients/list")["results"]
    return next((c for c in listed if c["client_id"] == client_id), None)


def test_add_and_list_with_a_filter(api):
    new = api.call("clients/add", description="my client", features=["login_client"])
    assert new["stat"] == "ok"
    assert new["description"] == "my client"
    assert new["features"] == ["login_client"]
    assert len(new["client_id"]) == 32 and len(new["client_secret"]) == 32
    api.call("clients/add", description="reader", features=["direct_read_access"])

    found = api.call("clients/list", has_features=["login_client", "direct_access"])
    assert [c["description"] for c in found["results"]] == ["my client"]
    assert found["results"][0] == {
        "client_id": new["client_id"],
        "client_secret": new["client_secret"],
        "description": "my client",
        "whitelist": ["0.0.0.0/0"],
        "features": ["login_client"],
    }
    everyone = api.call("clients/list")["results"]
    assert [c["description"] for c in everyone] == ["Emulator owner client", "my client", "reader"]


def test_set_description_features_and_whitelist(api):
    new = api.call("clients/add", description="before")
    client_id = new["client_id"]
    assert api.call("clients/set_description", for_client_id=client_id, description="after") == {"stat": "ok"}
    api.call("clients/set_features", for_client_id=client_id, features=["direct_access", "access_issuer"])
    api.call("clients/set_whitelist", for_client_id=client_id, whitelist=["10.0.0.0/8", "192.168.1.0/24"])
    assert by_id(api, client_id) == {
        "client_id": client_id,
        "client_secret": new["client_secret"],
        "description": "after",
        "whitelist": ["10.0.0.0/8", "192.168.1.0/24"],
        "features": ["direct_access", "access_issuer"],
    }
    api.call("clients/clear_whitelist", for_client_id=client_id)
    assert by_id(api, client_id)["whitelist"] == ["0.0.0.0/0"]


def test_a_whitelist_outside_the_caller_refuses_its_calls(api, emulator_url):
    new = api.call("clients/add", description="fenced owner", features=["owner"])
    api.call("clients/set_whitelist", for_client_id=new["client_id"], whitelist=["10.0.0.0/8"])
    fenced = Api(emulator_url, {"client_id": new["client_id"], "client_secret": new["client_secret"]})
    with pytest.raises(ApiResponseError) as refused:
        fenced.call("clients/list")
    assert (refused.value.code, refused.value.error) == (403, "client_permission_error")


def test_reset_secret_keeps_the_old_one_for_its_grace_period(api, emulator_url):
    new = api.call("clients/add", description="rotating", features=["owner"])
    reset = api.call("clients/reset_secret", for_client_id=new["client_id"], hours_to_live=24)
    assert set(reset) == {"stat", "new_secret"}
    assert reset["new_secret"] != new["client_secret"]
    for secret in (new["client_secret"], reset["new_secret"]):
        as_rotated = Api(emulator_url, {"client_id": new["client_id"], "client_secret": secret})
        assert as_rotated.call("clients/list")["stat"] == "ok"
    # hours_to_live=0 retires the previous secret at once.
    again = api.call("clients/reset_secret", for_client_id=new["client_id"], hours_to_live=0)
    stale = Api(emulator_url, {"client_id": new["client_id"], "client_secret": reset["new_secret"]})
    with pytest.raises(ApiResponseError) as refused:
        stale.call("clients/list")
    assert refused.value.code == 402
    assert by_id(api, new["client_id"])["client_secret"] == again["new_secret"]


def test_delete(api, emulator_url):
    new = api.call("clients/add", description="doomed", features=["owner"])
    assert api.call("clients/delete", client_id_for_deletion=new["client_id"]) == {"stat": "ok"}
    assert by_id(api, new["client_id"]) is None
    gone = Api(emulator_url, {"client_id": new["client_id"], "client_secret": new["client_secret"]})
    with pytest.raises(ApiResponseError) as refused:
        gone.call("clients/list")
    assert (refused.value.code, refused.value.error) == (402, "invalid_client_credentials")


def test_error_responses(api, emulator_url):
    with pytest.raises(ApiResponseError) as bad_feature:
        api.call("clients/add", description="x", features=["superuser_owner"])
    error = bad_feature.value
    assert (error.code, error.error) == (200, "invalid_argument")
    assert str(error) == (
        "features was not valid for the following reason: superuser_owner is not a valid feature name"
    )
    assert error.response["argument_name"] == "features"
    assert len(error.response["request_id"]) == 16

    with pytest.raises(ApiResponseError) as missing:
        api.call("clients/add", features=["owner"])
    assert (missing.value.code, missing.value.error) == (100, "missing_argument")

    with pytest.raises(ApiResponseError) as unknown:
        api.call("clients/set_description", for_client_id="nosuchclient", description="x")
    assert str(unknown.value) == (
        "for_client_id was not valid for the following reason: for_client_id is not a valid id"
    )

    with pytest.raises(ApiResponseError) as out_of_range:
        api.call("clients/reset_secret", for_client_id=OWNER["client_id"], hours_to_live=169)
    assert out_of_range.value.response["argument_name"] == "hours_to_live"

    wrong = Api(emulator_url, {"client_id": OWNER["client_id"], "client_secret": "wrong"})
    with pytest.raises(ApiResponseError) as bad_credentials:
        wrong.call("clients/list")
    assert (bad_credentials.value.code, bad_credentials.value.error) == (402, "invalid_client_credentials")

    reader = api.call("clients/add", description="reader", features=["direct_read_access"])
    as_reader = Api(emulator_url, {"client_id": reader["client_id"], "client_secret": reader["client_secret"]})
    with pytest.raises(ApiResponseError) as not_owner:
        as_reader.call("clients/list")
    assert (not_owner.value.code, not_owner.value.error) == (403, "client_permission_error")
    assert [c["description"] for c in api.call("clients/list")["results"]] == ["Emulator owner client", "reader"]
