"""A new user's pytest file on the Testcontainers module, against the image scripts/check-container
built (JANRAIN_EMULATOR_IMAGE), through a Docker-compatible engine (DOCKER_HOST)."""

import json
import os
import urllib.error
import urllib.request

import pytest
from janrain.capture import Api

IMAGE = os.environ.get("JANRAIN_EMULATOR_IMAGE")
if not IMAGE or not os.environ.get("DOCKER_HOST"):
    pytest.skip(
        "no image and engine: scripts/check-container builds the image, serves podman's Docker API "
        "and runs these (JANRAIN_EMULATOR_IMAGE, DOCKER_HOST)",
        allow_module_level=True,
    )

from janrain_emulator import ControlError  # noqa: E402
from janrain_emulator.testcontainers import JanrainEmulatorContainer  # noqa: E402


def test_the_default_tenant_answers_both_families():
    with JanrainEmulatorContainer(IMAGE) as janrain:
        assert janrain.url.startswith("http://")
        api = Api(janrain.url, janrain.owner, sign_requests=False)
        api.call("clients/add", description="from a container")
        names = [c["description"] for c in api.call("clients/list")["results"]]
        assert names == ["Emulator owner client", "from a container"]
        request = urllib.request.Request(f"{janrain.config_base_url}/clients")
        request.add_header("Authorization", _basic(janrain.owner))
        with urllib.request.urlopen(request, timeout=10) as answer:
            listed = json.load(answer)
        assert [c["name"] for c in listed] == names
        # Each test may have an application of its own, as the plugin gives.
        app = janrain.new_app()
        assert app.app_id != janrain.app_id
        mine = Api(app.legacy_base_url, app.owner, sign_requests=False).call("clients/list")
        assert len(mine["results"]) == 1


def test_flags_a_read_only_fixture_a_seed_and_a_control_token(tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_text(
        json.dumps(
            {
                "apps": [
                    {
                        "app_id": "fixtureapp0000000000000001",
                        "clients": [
                            {
                                "_id": "fixtureowner00000000000000000001",
                                "_secret": "fixturesecret0000000000000000001",
                                "name": "Fixture owner",
                                "features": ["owner"],
                            }
                        ],
                    }
                ]
            }
        )
    )
    with JanrainEmulatorContainer(IMAGE, seed=7, fixture=str(fixture), control_token="t0ken") as janrain:
        assert janrain.app_id == "fixtureapp0000000000000001"
        # Read once in each run: under --seed, every request draws its id from the seeded
        # stream, so both runs must make the same calls before the client is made.
        owner = janrain.owner
        assert owner == {
            "client_id": "fixtureowner00000000000000000001",
            "client_secret": "fixturesecret0000000000000000001",
        }
        made = Api(janrain.url, owner, sign_requests=False).call("clients/add", description="seeded")
        # The control plane refuses a caller without the token; the handle carries it.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{janrain.url}/__emulator/apps", timeout=10)
        assert refused.value.code == 401
        assert janrain.new_app().app_id
        # The file is mounted read-only: the emulator could not change it.
        mounts = janrain.get_wrapped_container().attrs["Mounts"]
        assert [m["RW"] for m in mounts if m["Destination"] == "/fixture/fixture.json"] == [False]
    # The same seed gives the same generated client again.
    with JanrainEmulatorContainer(IMAGE, seed=7, fixture=str(fixture)) as again:
        owner = again.owner
        second = Api(again.url, owner, sign_requests=False).call("clients/add", description="seeded")
        assert second["client_id"] == made["client_id"]
        with pytest.raises(ControlError) as missing:
            again.emulator.control("GET", "/apps/no-such-app/snapshot")
        assert missing.value.status == 404


def _basic(owner):
    import base64

    pair = f"{owner['client_id']}:{owner['client_secret']}".encode()
    return "Basic " + base64.b64encode(pair).decode()
