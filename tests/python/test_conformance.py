"""The conformance command against the emulator, run from the checkout (not the wheel): in full
and in every credential form, read-only, refused for a wrong secret and for a non-owner,
interrupted, and recorded then replayed (clean, and tampered)."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys

import requests

from conftest import OWNER

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP = "emulatorapp000000000000001"


def command(url, *extra, client_id=OWNER["client_id"], secret=OWNER["client_secret"]):
    return [sys.executable, "-m", "janrain_emulator.conformance", "--capture-url", url, "--config-url", url,
            "--app-id", APP, "--client-id", client_id, "--client-secret", secret, *extra]


def environment():
    return {**os.environ, "PYTHONPATH": str(ROOT / "python")}


def conformance(url, *extra, **who):
    return subprocess.run(command(url, *extra, **who), capture_output=True, text=True, timeout=120,
                          env=environment())


def clients(url):
    snapshot = requests.get(f"{url}/__emulator/snapshot", timeout=10).json()
    return snapshot["apps"][0]


def test_a_full_run_in_every_credential_form_passes_and_leaves_nothing(emulator_url, tmp_path):
    report = tmp_path / "report.json"
    before = clients(emulator_url)
    result = conformance(emulator_url, "--auth", "all", "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    outcomes = {r["check"]: r["outcome"] for r in data["results"]}
    assert set(outcomes.values()) == {"matched"}, outcomes
    assert len(outcomes) >= 30
    for form in ("basic", "signed", "params"):
        assert any(f"[{form}]" in check for check in outcomes), form
    assert data["target"]["emulator"]["version"]
    assert data["target"]["client_id"] == OWNER["client_id"]
    assert any(r["quirk"] for r in data["results"]), "the checks of the emulator's choices say so"
    for text in (result.stdout, result.stderr, report.read_text()):
        assert OWNER["client_secret"] not in text
    after = clients(emulator_url)
    assert after == before, "the run deleted everything it created, settings included"


def test_read_only_changes_nothing(emulator_url, tmp_path):
    report = tmp_path / "report.json"
    before = clients(emulator_url)
    result = conformance(emulator_url, "--read-only", "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = [r["outcome"] for r in json.loads(report.read_text())["results"]]
    assert "matched" in outcomes and "not run" in outcomes and "differed" not in outcomes
    assert clients(emulator_url) == before
    journal = requests.get(f"{emulator_url}/__emulator/requests?limit=1000", timeout=10).json()
    writes = [e["path"] for e in journal if e["path"] not in ("/clients/list",) and not e["path"].startswith("/config/")]
    assert writes == [], writes


def test_a_wrong_secret_is_refused_before_any_check(emulator_url):
    result = conformance(emulator_url, secret="not-the-secret-at-all")
    assert result.returncode == 2
    assert "refused the credentials" in result.stderr
    assert "not-the-secret-at-all" not in result.stdout + result.stderr


def test_a_caller_that_is_not_an_owner_is_refused(emulator_url):
    made = requests.post(f"{emulator_url}/config/{APP}/clients", json={"name": "reader", "features": ["direct_read_access"]},
                         auth=(OWNER["client_id"], OWNER["client_secret"]), timeout=10).json()
    result = conformance(emulator_url, client_id=made["_id"], secret=made["_secret"])
    assert result.returncode == 2
    assert "not an owner" in result.stderr
    assert made["_secret"] not in result.stdout + result.stderr


def test_an_interrupted_run_deletes_what_it_created(emulator_url):
    before = clients(emulator_url)
    # Stall the call that follows the first client's creation, and interrupt the run there.
    fault = {"path": "/clients/set_features", "delay_ms": 20000, "times": 1}
    assert requests.post(f"{emulator_url}/__emulator/faults", json=fault, timeout=10).status_code == 201
    process = subprocess.Popen(command(emulator_url, "--auth", "basic"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment())
    created = None
    for line in process.stderr:
        if line.startswith("created ") and "-changed" in line:
            created = line
            break
    assert created, "the run never created its client"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    assert "interrupted; deleting what the run created" in stderr
    assert clients(emulator_url) == before


def test_the_readme_command_as_written(emulator_url, tmp_path):
    import re

    page = (ROOT / "docs" / "conformance.md").read_text()
    block = re.search(r"<!-- recipe: conformance -->\n```sh\n(.*?)```", page, re.S).group(1)
    script = (block
              .replace("<the owner client secret>", OWNER["client_secret"])
              .replace("<an owner client id>", OWNER["client_id"])
              .replace("https://my-app.janraincapture.com", emulator_url)
              .replace("https://v1.api.us.janrain.com", emulator_url)
              .replace("htb8fuhxnf8e38jrzub3c7pfrr", APP)
              .replace("python -m", f"{sys.executable} -m"))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                            timeout=120, env=environment(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "conformance.json").read_text())["results"]


def recorded_run(url, tmp_path, name="recording.json"):
    recording = tmp_path / name
    result = conformance(url, "--record", str(recording))
    assert result.returncode == 0, result.stdout + result.stderr
    return recording


def test_a_recording_holds_every_check_and_no_secret_or_id(emulator_url, tmp_path):
    recording = recorded_run(emulator_url, tmp_path)
    text = recording.read_text()
    data = json.loads(text)
    assert data["format"] == 1 and data["against"].startswith("the emulator")
    assert len(data["checks"]) >= 30
    calls = [call for check in data["checks"].values() for call in check]
    assert all({"request", "answer"} <= set(call) for call in calls)
    assert {call["answer"]["content_type"] for call in calls} == {"application/json"}
    # No secret, and no id or secret of any client: the emulator's are 32 characters of [a-z0-9],
    # and every one the run met is a placeholder now, as are the run's prefix and request ids.
    assert OWNER["client_secret"] not in text and OWNER["client_id"] not in text
    assert re.findall(r"\b[a-z0-9]{32}\b", text) == []
    assert "<owner>" in text and "<client-1>" in text and "<secret-1>" in text and "<request-id>" in text
    assert re.findall(r"conformance-[0-9a-f]{8}-", text) == []


def test_a_recording_replays_clean_against_another_emulator(emulator_url, tmp_path):
    from janrain_emulator import Emulator

    recording = recorded_run(emulator_url, tmp_path)
    with Emulator.start(binary=os.environ["JANRAIN_EMULATOR_BIN"]) as other:
        result = conformance(other.url, "--replay", str(recording))
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("replay of ", 1)[1]
    checks = len(json.loads(recording.read_text())["checks"])
    assert f"{checks} matched, 0 differed, 0 not in the recording, 0 recorded but not run" in table, table


def test_a_tampered_recording_names_each_difference(emulator_url, tmp_path):
    recording = recorded_run(emulator_url, tmp_path)
    data = json.loads(recording.read_text())
    field = "clients/add: the documented answer [basic]"
    status = "clients/add: no description [basic]"
    missing = "clients/add: an unknown feature [basic]"
    data["checks"][field][0]["answer"]["body"]["features"] = ["direct_access"]
    data["checks"][status][0]["answer"]["status"] = 400
    del data["checks"][missing]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    result = conformance(emulator_url, "--replay", str(tampered))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.split("replay of ", 1)[1].splitlines()
    at = {line.split("  ")[0]: i for i, line in enumerate(lines)}
    assert lines[at[field]].endswith("differed")
    assert ('call 1 (POST /clients/add) answer.body.features[0]: recorded "direct_access", '
            'received "direct_read_access"') in lines[at[field] + 1]
    assert lines[at[status]].endswith("differed")
    assert "call 1 (POST /clients/add) answer.status: recorded 400, received 200" in lines[at[status] + 1]
    assert lines[at[missing]].endswith("not in the recording")
    assert f"{len(data['checks']) - 2} matched, 2 differed, 1 not in the recording" in result.stdout


def test_a_file_that_is_no_recording_is_refused_before_any_check(emulator_url, tmp_path):
    other = tmp_path / "report.json"
    other.write_text(json.dumps({"results": []}))
    result = conformance(emulator_url, "--replay", str(other))
    assert result.returncode == 2
    assert "is not a recording of this version's format" in result.stderr
    assert "running" not in result.stderr
