"""janrain-emulator from Python: find or start the emulator, and drive its control plane.

The emulator itself is a binary (``janrain-emulator``, installed on ``PATH`` with this package).
This module starts it, or connects to one that is already running, and wraps the control plane
under ``/__emulator/``: applications made at run time, the request journal, fault rules and the
clock. Standard library only.

    from janrain_emulator import Emulator

    with Emulator.start() as emulator:
        app = emulator.new_app()
        ...  # point a client library at app.legacy_base_url with app.owner

The pytest plugin (``janrain_emulator.plugin``) gives the same as fixtures.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["App", "ControlError", "Emulator", "find_binary"]

#: The default tenant of an emulator started with no flags.
DEFAULT_APP_ID = "emulatorapp000000000000001"
DEFAULT_OWNER_CLIENT_ID = "emulatorowner0000000000000000001"
DEFAULT_OWNER_CLIENT_SECRET = "emulatorsecret000000000000000001"

_EXE = "janrain-emulator" + (".exe" if sys.platform == "win32" else "")


def find_binary() -> str:
    """The path of the ``janrain-emulator`` binary: ``JANRAIN_EMULATOR_BIN`` if set, else the one
    installed with this package (in the environment's scripts directory), else one on ``PATH``."""
    explicit = os.environ.get("JANRAIN_EMULATOR_BIN")
    if explicit:
        return explicit
    candidates = [sysconfig.get_path("scripts")]
    if sys.version_info >= (3, 10):
        user = sysconfig.get_preferred_scheme("user")
        candidates.append(sysconfig.get_path("scripts", scheme=user))
    else:
        candidates.append(sysconfig.get_path("scripts", scheme=f"{os.name}_user"))
    for directory in candidates:
        path = os.path.join(directory, _EXE)
        if os.path.isfile(path):
            return path
    found = shutil.which(_EXE)
    if found:
        return found
    raise FileNotFoundError(
        "the janrain-emulator binary was not found: install the janrain-emulator package, "
        "or set JANRAIN_EMULATOR_BIN"
    )


class ControlError(Exception):
    """A control-plane call that did not succeed: its HTTP status and the emulator's text."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class App:
    """An application of the emulator, as ``POST /__emulator/apps`` made it."""

    app_id: str
    owner_client_id: str
    owner_client_secret: str
    legacy_base_url: str
    config_base_url: str
    capture_domains: List[str] = field(default_factory=list)

    @property
    def owner(self) -> Dict[str, str]:
        """The owner's credentials as ``janrain.capture.Api`` takes its defaults."""
        return {"client_id": self.owner_client_id, "client_secret": self.owner_client_secret}


class Emulator:
    """A running emulator: one this object started (``Emulator.start``) or one reached at a URL
    (``Emulator.connect``). ``stop()`` (or leaving a ``with`` block) stops only one it started."""

    def __init__(self, url: str, token: Optional[str] = None, process: Optional[subprocess.Popen] = None):
        self.url = url.rstrip("/")
        self.token = token
        self._process = process
        self._info: Optional[Dict[str, Any]] = None
        self._bundle: Optional[str] = None
        self._bundle_is_ours = False
        self._binary: Optional[str] = None
        self._ca_dir: Optional[str] = None
        self._ca_permits: List[str] = []

    # Starting and stopping -----------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *args: str,
        fixture: Optional[str] = None,
        seed: Optional[int] = None,
        binary: Optional[str] = None,
        timeout: float = 30.0,
    ) -> "Emulator":
        """Starts the binary on a free port of 127.0.0.1 and returns once it accepts requests
        (it prints its address line then). ``args`` are extra flags."""
        argv = [binary or find_binary(), "--listen", "127.0.0.1:0"]
        if fixture is not None:
            argv += ["--import", os.fspath(fixture)]
        if seed is not None:
            argv += ["--seed", str(seed)]
        argv += list(args)
        token = _flag_value(argv, "--control-token")
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = _read_line(process, timeout)
        prefix = "listening on "
        if not line.startswith(prefix):
            process.kill()
            process.wait()
            raise RuntimeError(f"janrain-emulator did not start: {line!r}")
        emulator = cls(line[len(prefix):].strip(), token=token, process=process)
        emulator._binary = argv[0]
        emulator._ca_dir = _flag_value(argv, "--ca-dir") or os.environ.get("JANRAIN_EMULATOR_CA_DIR")
        emulator._ca_permits = _flag_values(argv, "--ca-permit")
        # Without --ca-dir its root lives and dies with the process, and so does its bundle.
        emulator._bundle_is_ours = emulator._ca_dir is None
        return emulator

    @classmethod
    def connect(cls, url: str, token: Optional[str] = None) -> "Emulator":
        """An emulator that is already running (a CI service container, say)."""
        emulator = cls(url, token=token)
        emulator.health()
        return emulator

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """Stops the emulator if this object started it (SIGTERM); returns its exit status."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if hasattr(signal, "SIGTERM") else signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout:
            process.stdout.close()
        if self._bundle is not None and self._bundle_is_ours:
            # In a directory of its own, for a root no other emulator will have: nothing else
            # can want it.
            shutil.rmtree(os.path.dirname(self._bundle), ignore_errors=True)
            self._bundle = None
        return process.returncode

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # The default tenant ---------------------------------------------------------------------

    def info(self) -> Dict[str, Any]:
        """``GET /__emulator/info``."""
        if self._info is None:
            self._info = self.control("GET", "/info")
        return self._info

    @property
    def app_id(self) -> str:
        """The default application's id."""
        return self.info()["default_app_id"]

    @property
    def owner(self) -> Dict[str, str]:
        """The default application's owner credentials, as ``janrain.capture.Api`` takes them:
        the flags' owner or, from a fixture, the application's first owner client."""
        owner_id = self.info().get("owner_client_id")
        clients = self.snapshot(self.app_id)["apps"][0]["clients"]
        owner = next(
            c for c in clients if c["_id"] == owner_id or (owner_id is None and "owner" in c.get("features", []))
        )
        return {"client_id": owner["_id"], "client_secret": owner["_secret"]}

    @property
    def legacy_base_url(self) -> str:
        """The base URL of the legacy API (``janrain.capture.Api`` takes it)."""
        return self.url

    @property
    def config_base_url(self) -> str:
        """The Configuration API base URL of the default application."""
        return f"{self.url}/config/{self.app_id}"

    # The control plane ------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None) -> Any:
        """One call under ``/__emulator``; the decoded JSON answer (``None`` for an empty one)."""
        url = f"{self.url}/__emulator{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            try:
                message = json.loads(text).get("error", text)
            except ValueError:
                message = text
            raise ControlError(error.code, message) from None
        return json.loads(text) if text else None

    def health(self) -> Dict[str, Any]:
        return self.control("GET", "/health")

    # HTTPS: the local CA and the proxy --------------------------------------------------------

    def ca_pem(self) -> str:
        """The local CA's root certificate (``GET /__emulator/ca.pem``), PEM. Its name
        constraints let it vouch for Janrain's names, ``localhost`` and loopback only."""
        with urllib.request.urlopen(f"{self.url}/__emulator/ca.pem", timeout=30) as response:
            return response.read().decode()

    def ca_bundle(self) -> str:
        """The path of a PEM bundle of this machine's trusted roots plus the emulator's root, so
        that pointing ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE`` at it keeps every other HTTPS
        call working. ``janrain-emulator ca`` writes it, after checking that the root answering
        at this URL can vouch for no name but Janrain's (and the ``--ca-permit`` domains the
        emulator was started with): in a new directory of its own, or, for a root kept with
        ``--ca-dir``, the ``bundle.pem`` the emulator writes there at every start."""
        if self._bundle is None:
            if self._ca_dir is not None:
                self._bundle = os.path.join(self._ca_dir, "bundle.pem")
            else:
                self._bundle = _checked_bundle(
                    self._binary or find_binary(), f"{self.url}/__emulator/ca.pem", self._ca_permits
                )
        return self._bundle

    def proxy_env(self) -> Dict[str, str]:
        """The environment that sends unmodified code's calls to Janrain's hosts
        (``https://<realm>.janraincapture.com``, ``https://v1.api.<region>.janrain.com``) to
        this emulator: the emulator as the HTTP(S) proxy (it serves Janrain's hosts and refuses
        every other), a ``NO_PROXY`` that keeps calls to the emulator itself direct, and the CA
        bundle for Python, OpenSSL, curl and Node."""
        bundle = self.ca_bundle()
        host = urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"
        no_proxy = ",".join(dict.fromkeys([host, "localhost", "127.0.0.1", "::1"]))
        env = {}
        for name in ("HTTPS_PROXY", "HTTP_PROXY"):
            env[name] = env[name.lower()] = self.url
        env["NO_PROXY"] = env["no_proxy"] = no_proxy
        for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
            env[name] = bundle
        return env

    def new_app(self, **body: Any) -> App:
        """A new isolated application (``POST /__emulator/apps``); ``body`` as the control plane
        takes it (``app_id``, ``clients``, ``settings``, ``owner_client_id``, ...)."""
        made = self.control("POST", "/apps", body or None)
        return App(
            app_id=made["app_id"],
            owner_client_id=made["owner_client_id"],
            owner_client_secret=made["owner_client_secret"],
            legacy_base_url=made["legacy_base_url"],
            config_base_url=made["config_base_url"],
            capture_domains=list(made.get("capture_domains", [])),
        )

    def delete_app(self, app_id: str, missing_ok: bool = True) -> None:
        """Deletes an application, its clients and their credentials."""
        try:
            self.control("DELETE", f"/apps/{urllib.parse.quote(app_id, safe='')}")
        except ControlError as error:
            if not (missing_ok and error.status == 404):
                raise

    def reset_app(self, app_id: str) -> None:
        self.control("POST", f"/apps/{urllib.parse.quote(app_id, safe='')}/reset")

    def apps(self) -> List[Dict[str, Any]]:
        return self.control("GET", "/apps")["apps"]

    def snapshot(self, app_id: Optional[str] = None) -> Dict[str, Any]:
        """The whole state, or one application's, in the fixture format."""
        if app_id is None:
            return self.control("GET", "/snapshot")
        return self.control("GET", f"/apps/{urllib.parse.quote(app_id, safe='')}/snapshot")

    def reset(self) -> None:
        """Everything back to the start state (applications made since are dropped)."""
        self.control("POST", "/reset")

    def requests(self, **filters: Any) -> List[Dict[str, Any]]:
        """Journal entries, newest first; filters as ``GET /__emulator/requests`` takes them
        (``family``, ``app_id``, ``client_id``, ``status``, ``outcome``, ``path``, ``method``,
        ``since``, ``limit``, and ``wait_ms`` with ``min`` to wait for entries to arrive)."""
        return self.control("GET", "/requests", query=filters)

    def clear_requests(self) -> None:
        self.control("DELETE", "/requests")

    def add_fault(self, **rule: Any) -> Dict[str, Any]:
        """Adds a fault rule (``path``, ``method``, ``status`` or ``legacy_code``, ``times``,
        ``delay_ms``); returns it with its ``id``."""
        return self.control("POST", "/faults", rule)

    def faults(self) -> List[Dict[str, Any]]:
        return self.control("GET", "/faults")

    def remove_fault(self, fault_id: Any) -> None:
        try:
            self.control("DELETE", f"/faults/{fault_id}")
        except ControlError as error:
            if error.status != 404:
                raise

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def clock(self, app_id: Optional[str] = None) -> Dict[str, Any]:
        """``{"now": ..., "system": ..., "frozen": ...}``: the emulator's clock, or one
        application's (``GET /__emulator/apps/{appId}/clock``)."""
        return self.control("GET", _clock_path(app_id))

    def move_clock(self, app_id: Optional[str] = None, **change: Any) -> Dict[str, Any]:
        """``POST /__emulator/clock`` with ``advance_secs``, ``set``, ``freeze`` or ``system``;
        with ``app_id``, that application's clock alone."""
        return self.control("POST", _clock_path(app_id), change)

    def advance(self, seconds: float) -> Dict[str, Any]:
        return self.move_clock(advance_secs=seconds)

    def system_clock(self) -> Dict[str, Any]:
        return self.move_clock(system=True)


def _checked_bundle(binary: str, url: str, permits: Sequence[str]) -> str:
    """``janrain-emulator ca --url URL``: the root at ``url`` checked, and the path of the bundle
    it wrote. Raises ``RuntimeError`` with the binary's one-line reason when the root is refused."""
    env = {k: v for k, v in os.environ.items() if k != "JANRAIN_EMULATOR_CA_DIR"}
    argv = [binary, "ca", "--url", url]
    for permit in permits:
        argv += ["--ca-permit", permit]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        raise RuntimeError(lines[-1] if lines else f"janrain-emulator ca failed: {result.stderr.strip()}")
    path = result.stdout.strip()
    # The directory is this process's own: gone when it ends, whoever stops the emulator.
    atexit.register(shutil.rmtree, os.path.dirname(path), True)
    return path


def _clock_path(app_id: Optional[str]) -> str:
    if app_id is None:
        return "/clock"
    return f"/apps/{urllib.parse.quote(app_id, safe='')}/clock"


def _flag_value(argv: Sequence[str], flag: str) -> Optional[str]:
    for index, word in enumerate(argv):
        if word == flag and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(flag + "="):
            return word[len(flag) + 1:]
    return os.environ.get("JANRAIN_EMULATOR_CONTROL_TOKEN") if flag == "--control-token" else None


def _flag_values(argv: Sequence[str], flag: str) -> List[str]:
    """Every value of a repeatable flag, as the binary reads it (comma-separated in its
    environment variable when the flag is not given)."""
    values: List[str] = []
    for index, word in enumerate(argv):
        if word == flag and index + 1 < len(argv):
            values.append(argv[index + 1])
        elif word.startswith(flag + "="):
            values.append(word[len(flag) + 1:])
    if not values and flag == "--ca-permit":
        values = [v for v in os.environ.get("JANRAIN_EMULATOR_CA_PERMIT", "").split(",") if v]
    return values


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line the process prints, within `timeout` seconds (without polling)."""
    import threading

    box: List[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box:
        process.kill()
        process.wait()
        raise RuntimeError(f"janrain-emulator printed no address line within {timeout} s")
    return box[0]
