"""The pytest plugin of janrain-emulator, registered through the ``pytest11`` entry point.

Fixtures:

- ``janrain_emulator`` (session): an :class:`~janrain_emulator.Emulator`. Started from the
  installed binary on a free port of 127.0.0.1 (one per xdist worker), or, with
  ``--janrain-emulator-url`` (or ``JANRAIN_EMULATOR_URL``), one that is already running.
- ``janrain_app``: an :class:`~janrain_emulator.App` of the test's own, made through
  ``POST /__emulator/apps`` and deleted when the test ends, so that tests running in parallel
  never see each other's clients.
- ``janrain_journal``: the request journal of the test's application.
- ``janrain_faults``: fault rules, each removed when the test ends.
- ``janrain_clock``: the emulator's clock, given back to the real one when the test ends.
- ``janrain_intercept``: for one test, the environment (``Emulator.proxy_env``) that sends
  unmodified code's calls to ``https://<realm>.janraincapture.com`` and
  ``https://v1.api.<region>.janrain.com`` to the emulator, through it as the proxy; gives the
  variables it set.

Options: ``--janrain-emulator-url``, ``--janrain-emulator-token``, ``--janrain-emulator-fixture``,
``--janrain-emulator-seed``, ``--janrain-emulator-flag`` (repeatable: an extra flag for the binary).
"""

from __future__ import annotations

import os
import shlex
from typing import Any, Dict, Iterator, List

import pytest

from janrain_emulator import App, Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("janrain-emulator")
    group.addoption(
        "--janrain-emulator-url",
        default=os.environ.get("JANRAIN_EMULATOR_URL"),
        help="use the emulator already running at this URL instead of starting one "
        "(default: $JANRAIN_EMULATOR_URL)",
    )
    group.addoption(
        "--janrain-emulator-token",
        default=os.environ.get("JANRAIN_EMULATOR_CONTROL_TOKEN"),
        help="its --control-token (default: $JANRAIN_EMULATOR_CONTROL_TOKEN)",
    )
    group.addoption("--janrain-emulator-fixture", help="a fixture file to start the emulator from (--import)")
    group.addoption("--janrain-emulator-seed", type=int, help="start the emulator with --seed N")
    group.addoption(
        "--janrain-emulator-flag",
        action="append",
        default=[],
        help="an extra flag for the emulator it starts, such as '--signature-skew-secs 60'; repeatable",
    )


@pytest.fixture(scope="session")
def janrain_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The emulator of the session (of the xdist worker)."""
    config = request.config
    url = config.getoption("--janrain-emulator-url")
    token = config.getoption("--janrain-emulator-token")
    if url:
        yield Emulator.connect(url, token=token)
        return
    flags: List[str] = []
    for flag in config.getoption("--janrain-emulator-flag"):
        flags += shlex.split(flag)
    if token and "--control-token" not in flags:
        flags += ["--control-token", token]
    emulator = Emulator.start(
        *flags,
        fixture=config.getoption("--janrain-emulator-fixture"),
        seed=config.getoption("--janrain-emulator-seed"),
    )
    try:
        yield emulator
    finally:
        status = emulator.stop()
        if status not in (0, None):
            raise RuntimeError(f"janrain-emulator exited with status {status}")


@pytest.fixture
def janrain_app(janrain_emulator: Emulator) -> Iterator[App]:
    """An application of the test's own, deleted (with its clients) when the test ends."""
    app = janrain_emulator.new_app()
    try:
        yield app
    finally:
        janrain_emulator.delete_app(app.app_id)


class Journal:
    """The request journal, narrowed to one application."""

    def __init__(self, emulator: Emulator, app_id: str):
        self._emulator = emulator
        self.app_id = app_id

    def entries(self, **filters: Any) -> List[Dict[str, Any]]:
        """Entries of the application, newest first (filters as ``Emulator.requests``)."""
        filters.setdefault("app_id", self.app_id)
        return self._emulator.requests(**filters)

    def failures(self, **filters: Any) -> List[Dict[str, Any]]:
        return self.entries(outcome="error", **filters)


@pytest.fixture
def janrain_journal(janrain_emulator: Emulator, janrain_app: App) -> Journal:
    """The journal of the test's application."""
    return Journal(janrain_emulator, janrain_app.app_id)


class Faults:
    """Fault rules added by one test, removed when it ends."""

    def __init__(self, emulator: Emulator):
        self._emulator = emulator
        self._added: List[Any] = []

    def add(self, **rule: Any) -> Dict[str, Any]:
        """Adds a rule (``path``, ``method``, ``status`` or ``legacy_code``, ``times``,
        ``delay_ms``); returns it with its ``id``."""
        added = self._emulator.add_fault(**rule)
        self._added.append(added["id"])
        return added

    def pending(self) -> List[Dict[str, Any]]:
        mine = set(self._added)
        return [rule for rule in self._emulator.faults() if rule["id"] in mine]

    def remove_all(self) -> None:
        for fault_id in self._added:
            self._emulator.remove_fault(fault_id)
        self._added.clear()


@pytest.fixture
def janrain_faults(janrain_emulator: Emulator) -> Iterator[Faults]:
    """Fault rules for the test; whatever it added and was not used is removed at its end."""
    faults = Faults(janrain_emulator)
    try:
        yield faults
    finally:
        faults.remove_all()


class Clock:
    """The emulator's clock. There is one for the whole emulator: a test that moves it should
    not share an emulator with parallel tests that depend on the real time."""

    def __init__(self, emulator: Emulator):
        self._emulator = emulator
        self.moved = False

    def now(self) -> str:
        return self._emulator.clock()["now"]

    def advance(self, seconds: float) -> Dict[str, Any]:
        self.moved = True
        return self._emulator.advance(seconds)

    def set(self, instant: str, freeze: bool = False) -> Dict[str, Any]:
        self.moved = True
        change: Dict[str, Any] = {"set": instant}
        if freeze:
            change["freeze"] = True
        return self._emulator.move_clock(**change)

    def freeze(self, frozen: bool = True) -> Dict[str, Any]:
        self.moved = True
        return self._emulator.move_clock(freeze=frozen)

    def system(self) -> Dict[str, Any]:
        self.moved = False
        return self._emulator.system_clock()


@pytest.fixture
def janrain_clock(janrain_emulator: Emulator) -> Iterator[Clock]:
    """The emulator's clock, back to the real one when the test ends."""
    clock = Clock(janrain_emulator)
    try:
        yield clock
    finally:
        if clock.moved:
            clock.system()


@pytest.fixture
def janrain_intercept(janrain_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """Sets the proxy and CA variables for the test (and only for it), so that code which names
    Janrain's real hosts reaches the emulator unmodified; the variables, as set."""
    env = janrain_emulator.proxy_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
