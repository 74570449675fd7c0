"""The emulator's own OpenAPI document is a valid OpenAPI 3.1 document."""

import requests
from openapi_spec_validator import validate


def test_the_served_document_is_valid(emulator_url):
    document = requests.get(f"{emulator_url}/__emulator/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    # Both families and the control plane are in it.
    assert "/clients/add" in document["paths"]
    assert "/config/{app_id}/clients" in document["paths"]
    assert "/__emulator/faults" in document["paths"]
