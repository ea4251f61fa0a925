"""Property-based fuzz of the REST API from its own OpenAPI description (schemathesis): every
operation, with bodies that fit the schema and bodies that do not, as each role. The console runs
on real Redis live state; the only promise checked is the one that must always hold: no 5xx, and
malformed input answered with a message."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web_fixtures import build_app, login

pytestmark = pytest.mark.integration
ROLES = ("alice", "supervisor", "admin")   # an agent, a supervisor, an admin (seeded users)
EXAMPLES = 8   # per operation and mode; each example is sent anonymously and as each role


@pytest.fixture
def console(tmp_path, redis_url, redis_prefix):
    return build_app(f"sqlite:///{tmp_path / 'hotline.db'}", redis_url=redis_url, redis_prefix=redis_prefix,
                     RATELIMIT_ENABLED=False)


@pytest.fixture
def sessions(console):
    cookies = {}
    for user in ROLES:
        client = login(console.test_client(), user)
        cookies[user] = {"session": client.get_cookie("session").value}
    return cookies


def test_no_server_errors_for_any_role(console, sessions):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", console)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, sessions)


def _fuzz(operation, mode, sessions) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        for user in (None, *ROLES):
            response = case.call(cookies=sessions[user] if user else None)
            where = (user, case.method, case.formatted_path, case.body)
            assert response.status_code < 500, (*where, response.text[:500])
            if response.status_code == 400 and response.headers.get("Content-Type", "").startswith("application/json"):
                assert (response.json() or {}).get("error"), (*where, response.text[:300])
    try:
        run()
    except Unsatisfiable:   # nothing in this operation can be made invalid (e.g. a bare string in the path)
        assert mode == GenerationMode.NEGATIVE, operation.label
