"""Starts the built emulator binary on a free port for each test."""

import os
import pathlib
import signal
import subprocess
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
    """The base URL of a fresh emulator, stopped with SIGTERM after the test."""
    binary = os.environ["JANRAIN_EMULATOR_BIN"]
    process = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        # The binary prints this line once it accepts requests.
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        yield line[len("listening on "):]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
