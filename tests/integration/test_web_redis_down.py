"""While Redis is unreachable the console answers 503, never 500: a banner on pages, a JSON error on
/api (web/unavailable.py). A real Redis URL pointing at a closed port."""
from __future__ import annotations

import pytest

from tests.conftest import free_port
from tests.web_fixtures import build_app, login, sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def down_app(sqlite_url):  # noqa: F811
    return build_app(sqlite_url, redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_prefix="{hltest-down}")


def test_api_answers_503_with_a_json_error(down_app):
    client = login(down_app.test_client(), "alice")
    response = client.get("/api/agent/state")
    assert response.status_code == 503
    assert response.get_json()["error"] == "redis_unavailable"
    assert "Redis" in response.get_json()["message"]
    assert response.headers["Retry-After"]
    changed = client.post("/api/agent/state", json={"state": "break", "reason": "lunch"})
    assert changed.status_code == 503 and changed.get_json()["error"] == "redis_unavailable"


def test_pages_answer_503_with_a_banner(down_app):
    client = login(down_app.test_client(), "supervisor")
    response = client.get("/supervisor/wallboard.json", headers={"Accept": "text/html"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "Redis" in page and "Wallboard" in page   # the console's own frame
    assert client.get("/supervisor/wallboard.json").status_code == 503


def test_the_health_check_still_says_degraded(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["redis"].startswith("error")
