"""Fuzzing the JSON API from its own OpenAPI document: no 5xx, responses as documented.

A bounded run here; `make fuzz` runs 200 examples per operation from a fixed seed. The shapes
random data rarely reaches (huge integers, far dates, lone surrogates) are sent to every
parameter by tests/test_api_edge_shapes.py.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from imroc.main import create_app
from tests.factories import World, api_token

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
EXAMPLES = int(os.environ.get("IMROC_FUZZ_EXAMPLES", "12"))
# Business rules (a review date before the start, a stage not reached) rightly refuse some
# requests that the schema alone allows, so "valid data must be accepted" does not apply.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture
def lead_headers(session):
    from fastapi.testclient import TestClient

    world = World(session)
    with TestClient(app, base_url="https://testserver") as client:
        headers = api_token(client, world.lead)
        cycle = client.post(f"/api/v1/sites/{world.site_a.id}/cycles", json={}, headers=headers)
        assert cycle.status_code == 201
    return headers


@schema.parametrize()
# No example database: a seeded run tries what its seed says, not what earlier runs left behind.
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_operations(case, lead_headers):
    if case.path == "/api/v1/auth/token":
        case.call_and_validate(excluded_checks=EXCLUDED)  # unauthenticated by design
        return
    case.call_and_validate(headers=lead_headers, excluded_checks=EXCLUDED)
