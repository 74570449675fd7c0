"""The pytest plugin of janrain-emulator, registered through the ``pytest11`` entry point.

Fixtures:

- ``janrain_emulator`` (session): an :class:`~janrain_emulator.Emulator`. Started from the
  installed binary on a free port of 127.0.0.1 (one per xdist worker), or, with
  ``--janrain-emulator-url`` (or ``JANRAIN_EMULATOR_URL``), one that is already running.
- ``janrain_app``: an :class:`~janrain_emulator.App` of the test's own, made through
  ``POST /__emulator/apps`` and deleted when the test ends, so that tests running in parallel
  never see each other's clients.
- ``janrain_journal``: the request journal of the test's application, with ``assert_called``,
  ``assert_not_called`` and ``wait_for``.
- ``janrain_faults``: fault rules for the test's application, each removed when the test ends.
- ``janrain_clock``: the test's application's clock, given back to the emulator's when the test
  ends.

A failing test that used ``janrain_app`` gets a report section with that application's journal.
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
from typing import Any, Dict, Iterator, List, Optional

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

    def wait_for(self, path: str, method: Optional[str] = None, count: int = 1, timeout: float = 10.0) -> List[Dict[str, Any]]:
        """Waits (without polling) until the application has received ``count`` calls of
        ``path`` (a prefix when it ends in ``*``), for code that calls Janrain from a background
        job; the matching entries, newest first."""
        filters: Dict[str, Any] = {"path": path, "wait_ms": int(timeout * 1000), "min": count}
        if method:
            filters["method"] = method
        return self.entries(**filters)

    def assert_called(
        self,
        path: str,
        method: Optional[str] = None,
        times: Optional[int] = None,
        params: Optional[Dict[str, Any]] = None,
        status: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Asserts that the application received calls of ``path`` (a prefix when it ends in
        ``*``) with ``method``, ``status`` and at least the ``params`` given: ``times`` of them
        exactly, or at least one. On failure the message gives what was expected and every call
        the application received, nearest first, with each failed call's error and detail.
        Returns the matching calls, newest first."""
        __tracebackhide__ = True  # pytest shows the test's line and this message, not this code
        received = self.entries()
        matching = [e for e in received if _matches(e, path, method, params, status)]
        if (times is None and matching) or (times is not None and len(matching) == times):
            return matching
        wanted = _describe(path, method, params, status)
        count = "at least once" if times is None else f"{times} time{'s' if times != 1 else ''}"
        raise AssertionError(
            f"expected {wanted} {count}; the application {self.app_id} received it "
            f"{len(matching)} time{'s' if len(matching) != 1 else ''}.\n"
            + _received(received, path, method, params, status)
        )

    def assert_not_called(self, path: str, method: Optional[str] = None, params: Optional[Dict[str, Any]] = None) -> None:
        """Asserts that the application received no call of ``path`` (with ``method`` and
        ``params``, when given)."""
        __tracebackhide__ = True
        received = self.entries()
        matching = [e for e in received if _matches(e, path, method, params, None)]
        if matching:
            raise AssertionError(
                f"expected no {_describe(path, method, params, None)}; the application {self.app_id} "
                f"received {len(matching)}.\n" + _received(received, path, method, params, None)
            )


def _path_matches(wanted: str, path: str) -> bool:
    return path.startswith(wanted[:-1]) if wanted.endswith("*") else path == wanted


def _matches(entry: Dict[str, Any], path: str, method: Optional[str], params: Optional[Dict[str, Any]], status: Optional[int]) -> bool:
    return (
        _path_matches(path, entry["path"])
        and (method is None or entry["method"] == method.upper())
        and (status is None or entry["status"] == status)
        and all(entry["params"].get(key) == value for key, value in (params or {}).items())
    )


def _describe(path: str, method: Optional[str], params: Optional[Dict[str, Any]], status: Optional[int]) -> str:
    text = f"{method.upper() + ' ' if method else ''}{path}"
    if params:
        text += f" with {params}"
    if status is not None:
        text += f" answered {status}"
    return text


def _line(entry: Dict[str, Any]) -> str:
    # The HTTP status, then the error: a legacy error's code (200 for invalid_argument) beside its
    # name, so that it cannot be read as a second HTTP status.
    line = f"{entry['method']} {entry['path']} -> HTTP {entry['status']}"
    if entry.get("error"):
        code = entry.get("legacy_code")
        kind = f"legacy error {entry['error']} (code {code})" if code is not None else f"error {entry['error']}"
        line += f", {kind}: {entry.get('detail', '')}"
    if entry.get("params"):
        line += f" params={entry['params']}"
    return line


def _received(received: List[Dict[str, Any]], path: str, method: Optional[str], params: Optional[Dict[str, Any]], status: Optional[int]) -> str:
    if not received:
        return "It received no calls at all."

    def nearness(entry: Dict[str, Any]) -> int:
        score = 4 if _path_matches(path, entry["path"]) else 0
        score += 2 if method is None or entry["method"] == method.upper() else 0
        score += 1 if status is None or entry["status"] == status else 0
        score += sum(1 for key, value in (params or {}).items() if entry["params"].get(key) == value)
        return score

    nearest = sorted(received, key=nearness, reverse=True)
    return "What it received, nearest first:\n" + "\n".join(f"  {_line(e)}" for e in nearest)


@pytest.fixture
def janrain_journal(janrain_emulator: Emulator, janrain_app: App) -> Journal:
    """The journal of the test's application."""
    return Journal(janrain_emulator, janrain_app.app_id)


class Faults:
    """Fault rules added by one test, removed when it ends. They apply to the test's own
    application unless a rule says otherwise (``app_id=None``: every application's requests)."""

    def __init__(self, emulator: Emulator, app_id: Optional[str] = None):
        self._emulator = emulator
        self.app_id = app_id
        self._added: List[Any] = []

    def add(self, **rule: Any) -> Dict[str, Any]:
        """Adds a rule (``path``, ``method``, ``status`` or ``legacy_code``, ``times``,
        ``delay_ms``, ``app_id``); returns it with its ``id``."""
        if "app_id" not in rule and self.app_id is not None:
            rule["app_id"] = self.app_id
        elif rule.get("app_id", "") is None:
            del rule["app_id"]
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
def janrain_faults(janrain_emulator: Emulator, janrain_app: App) -> Iterator[Faults]:
    """Fault rules for the test, scoped to its application, so that tests running in parallel
    never trip over each other's; whatever it added and was not used is removed at its end."""
    faults = Faults(janrain_emulator, janrain_app.app_id)
    try:
        yield faults
    finally:
        faults.remove_all()


class Clock:
    """One application's clock (the test's own, by default): moving it moves nothing else, so
    tests that move time run in parallel with any others."""

    def __init__(self, emulator: Emulator, app_id: Optional[str] = None):
        self._emulator = emulator
        self.app_id = app_id
        self.moved = False

    def now(self) -> str:
        return self._emulator.clock(self.app_id)["now"]

    def advance(self, seconds: float) -> Dict[str, Any]:
        self.moved = True
        return self._emulator.move_clock(self.app_id, advance_secs=seconds)

    def set(self, instant: str, freeze: bool = False) -> Dict[str, Any]:
        self.moved = True
        change: Dict[str, Any] = {"set": instant}
        if freeze:
            change["freeze"] = True
        return self._emulator.move_clock(self.app_id, **change)

    def freeze(self, frozen: bool = True) -> Dict[str, Any]:
        self.moved = True
        return self._emulator.move_clock(self.app_id, freeze=frozen)

    def system(self) -> Dict[str, Any]:
        self.moved = False
        return self._emulator.move_clock(self.app_id, system=True)


@pytest.fixture
def janrain_clock(janrain_emulator: Emulator, janrain_app: App) -> Iterator[Clock]:
    """The test's application's clock, back to the emulator's when the test ends."""
    clock = Clock(janrain_emulator, janrain_app.app_id)
    try:
        yield clock
    finally:
        if clock.moved:
            clock.system()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """When a test that used ``janrain_app`` fails, its report gets a section with that
    application's journal (secrets hidden, as the journal hides them)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    app, emulator = funcargs.get("janrain_app"), funcargs.get("janrain_emulator")
    if app is None or emulator is None:
        return
    try:
        entries = emulator.requests(app_id=app.app_id)
    except Exception as error:  # the emulator may be what failed
        report.sections.append(("janrain-emulator journal", f"could not read the journal: {error}"))
        return
    lines = [f"application {app.app_id}, newest first:"]
    lines += [f"  {_line(e)}" for e in entries] or ["  no calls"]
    report.sections.append(("janrain-emulator journal", "\n".join(lines)))


@pytest.fixture
def janrain_intercept(janrain_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """Sets the proxy and CA variables for the test (and only for it), so that code which names
    Janrain's real hosts reaches the emulator unmodified; the variables, as set."""
    env = janrain_emulator.proxy_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
