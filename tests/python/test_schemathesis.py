"""schemathesis, driven by the emulator's own OpenAPI document: no 5xx, and every response fits
the document (schema, status code, content type). Fault rules are left out: a rule that answers
503 on purpose is not a server error."""

import os
import pathlib
import subprocess
import sys

OWNER_BASIC = "Basic ZW11bGF0b3Jvd25lcjAwMDAwMDAwMDAwMDAwMDAwMDE6ZW11bGF0b3JzZWNyZXQwMDAwMDAwMDAwMDAwMDAwMDE="


def test_schemathesis_finds_nothing(emulator_url, tmp_path):
    schemathesis = pathlib.Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis), "run", f"{emulator_url}/__emulator/openapi.json",
            "--url", emulator_url,
            "--max-examples", "10",
            "--seed", "1",
            "--checks", "not_a_server_error,response_schema_conformance,"
                        "status_code_conformance,content_type_conformance",
            "-H", f"Authorization: {OWNER_BASIC}",
            "--exclude-path-regex", "^/__emulator/faults",
        ],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
