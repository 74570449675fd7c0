"""Starts the built emulator binary on a free port for each test, through the Python package."""

import os
import pathlib
import sys

import pytest

# The Python package from the checkout, as the tests that drive it import it.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))

OWNER = {
    "client_id": "emulatorowner0000000000000000001",
    "client_secret": "emulatorsecret000000000000000001",
}


@pytest.fixture
def emulator_url():
    """The base URL of a fresh emulator, started through the package's own ``Emulator`` (as a
    user of the package starts one) and stopped with SIGTERM after the test."""
    from janrain_emulator import Emulator

    emulator = Emulator.start(binary=os.environ["JANRAIN_EMULATOR_BIN"])
    try:
        yield emulator.url
    finally:
        assert emulator.stop() == 0
