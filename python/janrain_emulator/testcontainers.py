"""The emulator's container image as a Testcontainers module.

    from janrain_emulator.testcontainers import JanrainEmulatorContainer

    with JanrainEmulatorContainer() as janrain:
        api = Api(janrain.url, janrain.owner)
        app = janrain.new_app()  # an application of its own, as the pytest plugin gives

Needs the ``testcontainers`` extra (``pip install janrain-emulator[testcontainers]``) and a
Docker-compatible engine (``DOCKER_HOST``; podman's ``podman system service`` serves one).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy

from . import App, Emulator

__all__ = ["JanrainEmulatorContainer", "DEFAULT_IMAGE"]

#: The published image; pass ``image=`` for one built from a checkout.
DEFAULT_IMAGE = "ghcr.io/OWNER/janrain-emulator:latest"

_PORT = 8080
_FIXTURE_PATH = "/fixture/fixture.json"


class JanrainEmulatorContainer(DockerContainer):
    """A container of the emulator's image, ready once ``GET /__emulator/health`` answers 200.

    ``seed`` draws the generated ids and secrets from a fixed seed (``--seed``), ``fixture``
    mounts a fixture file read-only and imports it (``--import``), ``control_token`` guards the
    control plane (``--control-token``); ``args`` are any other flags. The port is published on
    ``host_ip`` only (loopback; ``None`` for every interface, as for a remote engine)."""

    def __init__(
        self,
        image: Optional[str] = None,
        *args: str,
        seed: Optional[int] = None,
        fixture: Optional[str] = None,
        control_token: Optional[str] = None,
        host_ip: Optional[str] = "127.0.0.1",
        startup_timeout: float = 60.0,
        **kwargs: Any,
    ):
        super().__init__(image or os.environ.get("JANRAIN_EMULATOR_IMAGE", DEFAULT_IMAGE), **kwargs)
        flags: List[str] = []
        if seed is not None:
            flags += ["--seed", str(seed)]
        if fixture is not None:
            self.with_volume_mapping(os.path.abspath(os.fspath(fixture)), _FIXTURE_PATH, mode="ro")
            flags += ["--import", _FIXTURE_PATH]
        if control_token is not None:
            flags += ["--control-token", control_token]
        flags += list(args)
        if flags:
            self.with_command(flags)
        self.control_token = control_token
        # A free port of host_ip: docker-py's (address, port) form, which with_bind_ports lacks.
        self.ports[str(_PORT)] = (host_ip, None) if host_ip else None
        self.waiting_for(
            HttpWaitStrategy(_PORT, "/__emulator/health")
            .for_status_code(200)
            .with_startup_timeout(int(startup_timeout))
        )
        self._emulator: Optional[Emulator] = None

    @property
    def url(self) -> str:
        """The base URL of both API families and the control plane, from this machine."""
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(_PORT)}"

    @property
    def emulator(self) -> Emulator:
        """The running emulator as ``janrain_emulator.Emulator`` drives it: journal, faults,
        clocks, snapshots."""
        if self._emulator is None:
            self._emulator = Emulator.connect(self.url, token=self.control_token)
        return self._emulator

    @property
    def app_id(self) -> str:
        """The default application's id."""
        return self.emulator.app_id

    @property
    def legacy_base_url(self) -> str:
        return self.url

    @property
    def config_base_url(self) -> str:
        return self.emulator.config_base_url

    @property
    def owner(self) -> Dict[str, str]:
        """The default application's owner credentials (``Emulator.owner``)."""
        return self.emulator.owner

    def new_app(self, **body: Any) -> App:
        """A new isolated application (``POST /__emulator/apps``)."""
        return self.emulator.new_app(**body)
