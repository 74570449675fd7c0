"""The conformance command against the emulator, run from the checkout (not the wheel): in full
and in every credential form, read-only, refused for a wrong secret and for a non-owner, and
interrupted."""

import json
import os
import pathlib
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
