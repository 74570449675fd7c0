"""The pytest plugin run by pytest itself (pytester): a failing test explains itself, with
``assert_called``'s message and the report section of the test's application's journal."""

import pytest

pytest_plugins = ["pytester"]

SUITE = '''
import requests


def test_passes(janrain_app, janrain_journal):
    requests.get(f"{janrain_app.config_base_url}/clients",
                 auth=(janrain_app.owner_client_id, janrain_app.owner_client_secret), timeout=10)
    janrain_journal.assert_called("/config/*", method="GET", times=1, status=200)
    janrain_journal.assert_not_called("/clients/add")


def test_fails(janrain_app, janrain_journal):
    requests.post(f"{janrain_app.legacy_base_url}/clients/add",
                  auth=(janrain_app.owner_client_id, "not-the-secret"),
                  data={"description": "first try"}, timeout=10)
    requests.post(f"{janrain_app.legacy_base_url}/clients/list",
                  auth=(janrain_app.owner_client_id, janrain_app.owner_client_secret), timeout=10)
    janrain_journal.assert_called("/clients/add", status=200, params={"description": "x"}, times=1)
'''


def test_a_failing_test_shows_what_its_application_received(pytester, emulator_url):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("-p", "janrain_emulator.plugin", "--janrain-emulator-url", emulator_url)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    # assert_called's message: what was expected, then what arrived, nearest first, with the
    # failed call's error and detail.
    assert "expected /clients/add with {'description': 'x'} answered 200 1 time; the application" in out
    assert "received it 0 times." in out
    # The helper's own frame is hidden: pytest shows the test's line, not the plugin's code.
    assert "matching = [e for e in received" not in out, out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "What it received, nearest first:" in line)
    nearest = lines[at + 1]
    assert "POST /clients/add -> HTTP 200, legacy error invalid_client_credentials (code 402): " in nearest, out
    assert "'description': 'first try'" in nearest
    assert "POST /clients/list -> HTTP 200" in lines[at + 2]
    # The report section, for the failing test only, secrets hidden.
    assert out.count("janrain-emulator journal") == 1, out
    section = out.split("janrain-emulator journal", 1)[1].split("short test summary", 1)[0]
    assert "invalid_client_credentials" in section and "POST /clients/list -> HTTP 200" in section
    # The wrong secret (in the test's own source, which pytest prints) is not in the journal.
    assert "not-the-secret" not in section


def test_a_passing_suite_has_no_journal_section(pytester, emulator_url):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("-p", "janrain_emulator.plugin", "--janrain-emulator-url", emulator_url,
                                "-k", "passes")
    result.assert_outcomes(passed=1)
    assert "janrain-emulator journal" not in result.stdout.str()


def test_faults_and_the_clock_are_the_test_applications_own(pytester, emulator_url):
    pytester.makepyfile(test_scoped='''
import requests


def test_scoped(janrain_emulator, janrain_app, janrain_faults, janrain_clock):
    rule = janrain_faults.add(path="/config/*", status=503)
    assert rule["app_id"] == janrain_app.app_id
    everyone = janrain_faults.add(path="/nowhere/*", status=503, app_id=None)
    assert "app_id" not in everyone
    janrain_clock.advance(7200)
    assert janrain_emulator.clock()["system"] is True
    assert janrain_emulator.clock(janrain_app.app_id)["system"] is False
    # The default application's calls are neither faulted nor spend the rule.
    default = requests.get(f"{janrain_emulator.config_base_url}/clients",
                           auth=("emulatorowner0000000000000000001", "emulatorsecret000000000000000001"), timeout=10)
    assert default.status_code == 200
    mine = requests.get(f"{janrain_app.config_base_url}/clients",
                        auth=(janrain_app.owner_client_id, janrain_app.owner_client_secret), timeout=10)
    assert mine.status_code == 503
''')
    result = pytester.runpytest("-p", "janrain_emulator.plugin", "--janrain-emulator-url", emulator_url)
    result.assert_outcomes(passed=1)
