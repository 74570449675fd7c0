"""The GitHub Action (action.yml, action/*.mjs) run as the runner runs it: node on its main and
post steps, inputs as INPUT_* variables, and GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH and
GITHUB_STATE files, with the built binary given, or served as a release."""

import base64
import hashlib
import http.server
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import threading
import urllib.request

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ["JANRAIN_EMULATOR_BIN"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    """One job's files, as a runner keeps them."""

    def __init__(self, tmp_path):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.dir = tmp_path
        self.files = {name: tmp_path / name.lower() for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE")}
        for path in self.files.values():
            path.write_text("")

    def step(self, script, **inputs):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "STATE_", "GITHUB_"))}
        env.update({name: str(path) for name, path in self.files.items()})
        env["RUNNER_TEMP"] = str(self.dir)
        env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
        env.update({f"STATE_{k}": v for k, v in self.pairs("GITHUB_STATE").items()})
        return subprocess.run(["node", str(ROOT / "action" / script)], env=env, capture_output=True, text=True, timeout=60)

    def pairs(self, name):
        lines = self.files[name].read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line)


def call(url, path, owner_id, secret):
    request = urllib.request.Request(f"{url}{path}")
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{owner_id}:{secret}".encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def stopped(pid):
    """Whether the process is gone (or a zombie nobody has reaped yet)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


def wait_stopped(pid):
    # Bounded: SIGTERM ends the emulator within its 3 s drain.
    for _ in range(100):
        if stopped(pid):
            return True
        threading.Event().wait(0.1)
    return False


def test_a_local_binary_exports_the_emulator_and_the_post_step_reports_failures(tmp_path):
    runner = Runner(tmp_path)
    port = free_port()
    main = runner.step("main.mjs", binary=BINARY, port=str(port), flags="--seed 1")
    assert main.returncode == 0, main.stdout + main.stderr
    env = runner.pairs("GITHUB_ENV")
    url = f"http://127.0.0.1:{port}"
    assert env == {
        "JANRAIN_CAPTURE_URL": url,
        "JANRAIN_CONFIG_URL": f"{url}/config/emulatorapp000000000000001",
        "JANRAIN_CLIENT_ID": "emulatorowner0000000000000000001",
        "JANRAIN_CLIENT_SECRET": "emulatorsecret000000000000000001",
    }
    assert runner.pairs("GITHUB_OUTPUT") == {
        "capture-url": env["JANRAIN_CAPTURE_URL"],
        "config-url": env["JANRAIN_CONFIG_URL"],
        "client-id": env["JANRAIN_CLIENT_ID"],
        "client-secret": env["JANRAIN_CLIENT_SECRET"],
    }
    # The secret is masked in the job's log; the binary's directory is on the later steps' PATH.
    assert "::add-mask::emulatorsecret000000000000000001" in main.stdout
    assert runner.files["GITHUB_PATH"].read_text().split() == [str(pathlib.Path(BINARY).parent)]
    listed = call(url, "/clients/list", env["JANRAIN_CLIENT_ID"], env["JANRAIN_CLIENT_SECRET"])
    assert listed["stat"] == "ok"
    # A call that fails, then the post step of a failed job: it names it, and stops the emulator.
    call(url, "/clients/list", env["JANRAIN_CLIENT_ID"], "not-the-secret")
    post = runner.step("post.mjs")
    assert post.returncode == 0, post.stderr
    assert "1 call(s) answered with an error" in post.stdout
    assert re.search(r"GET /clients/list -> HTTP 200 \(legacy code 402\) invalid_client_credentials", post.stdout), post.stdout
    assert wait_stopped(int(runner.pairs("GITHUB_STATE")["pid"]))


@pytest.fixture
def release(tmp_path):
    """A release directory served over HTTP as GitHub serves one: download/v1.2.3/<asset>."""
    root = tmp_path / "releases"
    version = root / "download" / "v1.2.3"
    version.mkdir(parents=True)
    asset = "janrain-emulator-linux-" + {"x86_64": "x86_64", "aarch64": "aarch64"}[os.uname().machine]
    shutil.copy(BINARY, version / asset)
    digest = hashlib.sha256((version / asset).read_bytes()).hexdigest()
    (version / "SHA256SUMS").write_text(f"{digest}  {asset}\n")

    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", version / "SHA256SUMS"
    finally:
        server.shutdown()
        server.server_close()


def test_the_released_binary_is_checked_and_runs_with_a_fixture(tmp_path, release, monkeypatch):
    base, sums = release
    monkeypatch.setenv("JANRAIN_EMULATOR_RELEASES", base)
    monkeypatch.setenv("RUNNER_OS", "Linux")
    monkeypatch.setenv("RUNNER_ARCH", {"x86_64": "X64", "aarch64": "ARM64"}[os.uname().machine])
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({"apps": [{"app_id": "actionapp00000000000000001", "clients": [{
        "_id": "actionowner000000000000000000001", "_secret": "actionsecret00000000000000000001",
        "name": "Action owner", "features": ["owner"]}]}]}))
    runner = Runner(tmp_path / "job")
    port = free_port()
    main = runner.step("main.mjs", version="1.2.3", port=str(port), fixture=str(fixture))
    assert main.returncode == 0, main.stdout + main.stderr
    env = runner.pairs("GITHUB_ENV")
    assert env["JANRAIN_CLIENT_ID"] == "actionowner000000000000000000001"
    assert env["JANRAIN_CONFIG_URL"].endswith("/config/actionapp00000000000000001")
    listed = call(env["JANRAIN_CONFIG_URL"], "/clients", env["JANRAIN_CLIENT_ID"], env["JANRAIN_CLIENT_SECRET"])
    assert [c["name"] for c in listed] == ["Action owner"]
    pid = int(runner.pairs("GITHUB_STATE")["pid"])
    os.kill(pid, 15)
    assert wait_stopped(pid)

    # A binary whose checksum is not the release's is never run.
    sums.write_text("0" * 64 + "  " + sums.read_text().split()[1] + "\n")
    tampered = Runner(tmp_path / "tampered")
    refused = tampered.step("main.mjs", version="1.2.3", port=str(free_port()))
    assert refused.returncode == 1
    assert "SHA256SUMS says" in refused.stdout and "not run" in refused.stdout
    assert tampered.pairs("GITHUB_STATE") == {} and tampered.pairs("GITHUB_ENV") == {}


def test_action_yml_declares_every_input_and_output_the_steps_use():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    sources = "".join(p.read_text() for p in (ROOT / "action").glob("*.mjs"))
    used = set(re.findall(r'input\("([a-z-]+)"\)', sources))
    assert used == set(action["inputs"]), used ^ set(action["inputs"])
    written = {"capture-url", "config-url", "client-id", "client-secret"}
    assert set(action["outputs"]) == written
    assert action["runs"]["main"] == "action/main.mjs" and action["runs"]["post"] == "action/post.mjs"
    assert action["runs"]["post-if"] == "failure()"
